// Quarantine: move a checked file out of the web space into quarantineDir,
// root-only, with a manifest. Crash-safe (docs/decisions/006-quarantine.md):
// an intent is durable before anything moves; the move is one rename on the
// same filesystem, or copy + fsync + verify + unlink across filesystems; every
// step leaves a state that recovery.ts rolls forward or back. Never deletes
// the customer's bytes: the original name is unlinked only once a verified,
// durable copy exists.
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createError, describeError, isErrno, SendtraceError } from '../errors.ts';
import { copyFdToNewFile, hashFd, hashPath, metaOfFd, type StepHook } from './file-io.ts';
import { acquireLock } from './locks.ts';
import { files, newQuarantineId, removeQuarantineFolder, stagingDir, writeManifest, type Manifest, type QuarantineIntent } from './manifest.ts';
import { currentProcess } from './process-identity.ts';
import type { CheckedFile } from './safe-path.ts';
import { atDir } from './safe-walk.ts';
import { ensurePrivateDir, fsyncDir, removeFileDurably, writeFileAtomic } from './state-files.ts';
import { putBack } from './put-back.ts';
import { formatIso } from '../time.ts';

export type QuarantineInput = {
  checked: CheckedFile;
  reason: string;
  actor: string;
  evidence: unknown[];
  now: number;
  zone: string;
  quarantineDir: string;
  stateDir: string;
};

export type QuarantineOptions = {
  dryRun?: boolean;
  /** Tests: take the cross-filesystem path (copy, verify, unlink) even on one filesystem. */
  forceCopy?: boolean;
  /** Tests: called at each step; may throw (injected failure) or kill the process (crash). */
  step?: StepHook;
};

export type QuarantineOutcome = { dryRun: boolean; manifest: Manifest };

/** Makes the quarantined copy root's and unreadable to anyone else (idempotent). */
export function lockDown(fd: number): void {
  fchownSync(fd, 0, 0);
  fchmodSync(fd, 0o400);
  fsyncSync(fd);
}

/**
 * Locks the held file down and makes the manifest describe exactly the bytes
 * held: a rename moves the inode as it is at that instant, and the site could
 * have written to it between our hash and the move (the copy path refuses
 * that case instead). Idempotent; recovery calls it too.
 */
export function settleHeld(path: string, manifest: Manifest): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    lockDown(fd);
    const held = hashFd(fd);
    if (held.sha256 !== manifest.sha256 || held.size !== manifest.size) {
      const meta = metaOfFd(fd);
      manifest.notes.push(`the file changed between the check and the move (was ${manifest.size} bytes, sha256 ${manifest.sha256}); the manifest describes the bytes held`);
      Object.assign(manifest, { sha256: held.sha256, size: held.size, mtimeNs: meta.mtimeNs, mtimeMs: meta.mtimeMs });
    }
  } finally {
    closeSync(fd);
  }
}

function refuseChanged(shown: string, what: string): SendtraceError {
  return createError('SENDTRACE_ERR_REFUSED', `${shown} ${what}; nothing was changed, check the file and try again`);
}

export function quarantineFile(input: QuarantineInput, options: QuarantineOptions = {}): QuarantineOutcome {
  const step = options.step ?? (() => {});
  const { checked } = input;
  const fd = checked.file.fd;
  const meta = metaOfFd(fd);   // before reading: the atime restore puts back
  const { sha256, size } = hashFd(fd);
  if (size !== meta.size) throw refuseChanged(checked.shown, 'changed while it was being read');
  step('hashed');
  const id = newQuarantineId(input.now);
  const manifest: Manifest = {
    v: 1, id, status: 'quarantined',
    originalPath: checked.shown, originalPathBase64: checked.path.toString('base64'), homePathBase64: checked.homePath.toString('base64'),
    subscription: { id: checked.place.id, name: checked.place.name },
    owner: { uid: meta.uid, gid: meta.gid }, mode: meta.mode, size, sha256,
    mtimeMs: meta.mtimeMs, mtimeNs: meta.mtimeNs, atimeNs: meta.atimeNs, dev: meta.dev, ino: meta.ino,
    method: options.forceCopy ? 'copy' : 'rename',
    quarantinedAt: formatIso(input.now, input.zone), quarantinedAtMs: input.now,
    actor: input.actor, reason: input.reason, evidence: input.evidence, notes: [],
    restoredAt: null, restoredBy: null, newcomerKeptAs: null,
  };
  if (options.dryRun) return { dryRun: true, manifest };

  ensurePrivateDir(input.quarantineDir);
  const lock = acquireLock(input.stateDir, `file-${meta.dev}-${meta.ino}`, checked.shown);
  const f = files(input.quarantineDir, id);
  const intentText = (phase: QuarantineIntent['phase']) => `${JSON.stringify({ op: 'quarantine', phase, owner: currentProcess(), manifest } satisfies QuarantineIntent)}\n`;
  const writeIntent = (phase: QuarantineIntent['phase']) => writeFileAtomic(f.intent, intentText(phase));
  // Until the original name is gone, failing means: remove what we made, the original stays.
  const rollBack = () => {
    removeQuarantineFolder(input.quarantineDir, basename(stagingDir(input.quarantineDir, id)));
    removeQuarantineFolder(input.quarantineDir, id);
  };
  let current = 'start';
  let originalGone = false;
  const at = (name: string) => {
    current = name;
    step(name);
  };
  try {
    // The id folder appears with its intent inside (staged, then renamed into
    // place): recovery never meets an id folder that says nothing.
    const staging = stagingDir(input.quarantineDir, id);
    mkdirSync(staging, { mode: 0o700 });
    at('dir-created');
    writeFileAtomic(join(staging, 'intent.json'), intentText('prepared'));
    renameSync(staging, f.dir);
    fsyncDir(input.quarantineDir);
    at('intent-written');
    if (manifest.method === 'rename') {
      try {
        // The folder is the one checked (held open); only the final name could have been swapped.
        renameSync(atDir(checked.dir.fd, checked.name), f.file);
        originalGone = true;
      } catch (err) {
        if (isErrno(err, 'ENOENT')) throw refuseChanged(checked.shown, 'was moved away while being quarantined (by another action?)');
        if (!isErrno(err, 'EXDEV')) throw err;
        manifest.method = 'copy';
        writeIntent('prepared');
      }
    }
    if (originalGone) {
      at('moved');
      const moved = lstatSync(f.file);
      if (moved.dev !== meta.dev || moved.ino !== meta.ino) {
        // Swapped between the check and the rename: what we moved is not what we checked. Put it back.
        putBack(f.file, atDir(checked.dir.fd, checked.name), moved.isDirectory());
        originalGone = false;
        throw refuseChanged(checked.shown, 'was replaced between the check and the move');
      }
      fsyncSync(checked.dir.fd);
      fsyncDir(f.dir);
      at('synced');
    } else {
      const copy = copyFdToNewFile(fd, f.partial, at);
      at('copied');
      // Verify what is on the quarantine's disk, not what we meant to write.
      const onDisk = hashPath(f.partial);
      if (copy.sha256 !== sha256 || onDisk.sha256 !== sha256 || onDisk.size !== size) throw refuseChanged(checked.shown, 'changed while being copied (or the copy is corrupt)');
      renameSync(f.partial, f.file);
      fsyncDir(f.dir);
      writeIntent('copied');
      at('intent-copied');
      const now = metaOfFd(fd);
      if (now.mtimeNs !== meta.mtimeNs || now.size !== meta.size) throw refuseChanged(checked.shown, 'changed while being copied');
      const named = lstatSync(atDir(checked.dir.fd, checked.name), { throwIfNoEntry: false });
      if (!named || named.dev !== meta.dev || named.ino !== meta.ino) throw refuseChanged(checked.shown, 'was moved or replaced while being copied');
      unlinkSync(atDir(checked.dir.fd, checked.name));
      originalGone = true;
      fsyncSync(checked.dir.fd);
      at('unlinked');
      const links = fstatSync(fd).nlink;
      if (links !== 0) manifest.notes.push(`after the move the original inode still had ${links} link(s): another name was created meanwhile`);
    }
    settleHeld(f.file, manifest);
    at('locked-down');
    writeManifest(input.quarantineDir, manifest);
    at('manifest-written');
    removeFileDurably(f.intent);
    at('done');
    return { dryRun: false, manifest };
  } catch (err) {
    if (originalGone) {
      // The bytes are safe in the quarantine; the record is what is missing. The intent
      // stays, and recovery (next start of any action) completes it.
      throw createError('SENDTRACE_ERR_STATE', f.dir, `the file was moved but the quarantine record could not be completed at step '${current}' (${describeError(err)}); it will be completed on the next run`);
    }
    rollBack();
    if (err instanceof SendtraceError) throw err;
    throw createError('SENDTRACE_ERR_ACTION_FAILED', `Quarantine of ${checked.shown}`, `${describeError(err)} at step '${current}'; the file is still in place`);
  } finally {
    lock.release();
  }
}
