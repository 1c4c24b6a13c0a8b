// Restore: put the identical bytes back at the original path with the owner,
// mode and times they had, never over a file that appeared there since
// (unless --force, which keeps that newcomer beside it). Crash-safe like the
// quarantine: a restore intent is durable before anything changes, the file
// appears at its name in one step (link, which also refuses to overwrite),
// and recovery.ts finishes or undoes an interrupted restore.
import { closeSync, constants, fchmodSync, fchownSync, fsyncSync, futimesSync, linkSync, lstatSync, openSync, renameSync, unlinkSync, type Stats } from 'node:fs';
import { createError, describeError, isErrno, SendtraceError } from '../errors.ts';
import { formatIso } from '../time.ts';
import { copyFdToNewFile, hashFd, hashPath, secondsOfNs, type StepHook } from './file-io.ts';
import { acquireLock } from './locks.ts';
import { files, readManifest, writeManifest, type Manifest, type RestoreIntent } from './manifest.ts';
import { showPath } from './path-arg.ts';
import { currentProcess } from './process-identity.ts';
import { besidePath } from './put-back.ts';
import { atDir, openDirNoFollow, splitCanonical, walkDirs, type OpenedDir } from './safe-walk.ts';
import { fsyncDir, removeFileDurably, writeFileAtomic } from './state-files.ts';

export type RestoreInput = { id: string; quarantineDir: string; stateDir: string; actor: string; now: number; zone: string };
export type RestoreOptions = { dryRun?: boolean; force?: boolean; forceCopy?: boolean; step?: StepHook };
export type RestoreOutcome = { dryRun: boolean; manifest: Manifest; restoredPath: string; newcomerKeptAs: string | null };

/** The folder of the original path, walked from the recorded home without following a symlink. */
export function openOriginalFolder(m: Manifest): { home: OpenedDir; dir: OpenedDir; name: Buffer; path: Buffer; close(): void } {
  const path = Buffer.from(m.originalPathBase64, 'base64');
  const homePath = Buffer.from(m.homePathBase64, 'base64');
  const rel = splitCanonical(path).slice(splitCanonical(homePath).length);
  const home = openDirNoFollow(homePath, `the home of subscription ${m.subscription.name}`);
  let dir: OpenedDir;
  try {
    dir = rel.length > 1 ? walkDirs(home, homePath, rel.slice(0, -1)) : home;
  } catch (err) {
    closeSync(home.fd);
    throw err;
  }
  return { home, dir, name: rel[rel.length - 1]!, path, close: () => new Set([home.fd, dir.fd]).forEach((fd) => closeSync(fd)) };
}

/** Owner, mode and times of the manifest onto the restored file (through its fd). */
export function applyMeta(fd: number, m: Manifest): void {
  fchownSync(fd, m.owner.uid, m.owner.gid);
  fchmodSync(fd, m.mode);
  futimesSync(fd, secondsOfNs(m.atimeNs), secondsOfNs(m.mtimeNs));
  fsyncSync(fd);
}

const describeNewcomer = (st: Stats, zone: string) =>
  `${st.isFile() ? `a file of ${st.size} bytes` : st.isDirectory() ? 'a folder' : st.isSymbolicLink() ? 'a symbolic link' : 'something'} modified ${formatIso(st.mtimeMs, zone)}`;

export function restoreFile(input: RestoreInput, options: RestoreOptions = {}): RestoreOutcome {
  const step = options.step ?? (() => {});
  const f = files(input.quarantineDir, input.id);
  const m = readManifest(input.quarantineDir, input.id);
  if (!m) throw createError('SENDTRACE_ERR_NOT_FOUND', 'Quarantine id', input.id);
  if (m.status === 'restored') throw createError('SENDTRACE_ERR_REFUSED', `${input.id} was already restored (${m.restoredAt} by ${m.restoredBy})`);
  const qfd = openSync(f.file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  const target = (() => {
    try {
      return openOriginalFolder(m);
    } catch (err) {
      closeSync(qfd);
      throw err;
    }
  })();
  let lock: { release(): void } | null = null;
  try {
    const held = hashFd(qfd);
    if (held.sha256 !== m.sha256 || held.size !== m.size) throw createError('SENDTRACE_ERR_STATE', f.file, 'the quarantined bytes do not match their manifest (sha256); not restored');
    const at = (p: Buffer) => atDir(target.dir.fd, p);
    const existing = lstatSync(at(target.name), { throwIfNoEntry: false });
    const aside = besidePath(target.name, `sendtrace-newcomer-${input.id.slice(-8)}`);
    const asideShown = showPath(besidePath(target.path, `sendtrace-newcomer-${input.id.slice(-8)}`));
    if (existing && !options.force) {
      throw createError('SENDTRACE_ERR_REFUSED', `a new file appeared at ${m.originalPath} since the quarantine (${describeNewcomer(existing, input.zone)}); it is not overwritten. ` +
        `Look at it first; 'restore --force' keeps it beside the restored file as ${asideShown}`);
    }
    const result = { manifest: m, restoredPath: m.originalPath, newcomerKeptAs: existing ? asideShown : null };
    if (options.dryRun) return { dryRun: true, ...result };

    lock = acquireLock(input.stateDir, `restore-${input.id}`, input.id);
    const method: RestoreIntent['method'] = !options.forceCopy && lstatSync(f.file).dev === target.dir.st.dev ? 'link' : 'copy';
    const tmp = Buffer.from(`.sendtrace-restore-${input.id}.tmp`);
    const intent: RestoreIntent = {
      op: 'restore', phase: 'prepared', owner: currentProcess(), method,
      tmpNameBase64: method === 'copy' ? tmp.toString('base64') : null,
      newcomer: existing ? { nameBase64: target.name.toString('base64'), asideBase64: aside.toString('base64') } : null,
      actor: input.actor, at: input.now,
    };
    writeFileAtomic(f.restoreIntent, `${JSON.stringify(intent)}\n`);
    step('intent-written');
    let placed = false;
    let current = 'intent-written';
    const mark = (s: string) => {
      current = s;
      step(s);
    };
    try {
      if (existing) {
        // link + unlink: the aside name is never overwritten (EEXIST); a folder is renamed.
        if (lstatSync(at(aside), { throwIfNoEntry: false })) throw createError('SENDTRACE_ERR_REFUSED', `${asideShown} exists already; move it away first`);
        if (existing.isDirectory()) renameSync(at(target.name), at(aside));
        else {
          linkSync(at(target.name), at(aside));
          unlinkSync(at(target.name));
        }
        fsyncSync(target.dir.fd);
        mark('newcomer-aside');
      }
      const copyBack = () => {
        copyFdToNewFile(qfd, at(tmp), mark);
        if (hashPath(at(tmp)).sha256 !== m.sha256) throw createError('SENDTRACE_ERR_ACTION_FAILED', `Restore of ${input.id}`, 'the copy does not match the quarantined bytes');
        linkSync(at(tmp), at(target.name));
      };
      if (method === 'copy') copyBack();
      else {
        try {
          linkSync(f.file, at(target.name));
        } catch (err) {
          // Same st_dev but another mount (a bind mount, as the hardened unit's
          // ProtectSystem=strict makes): link(2) says EXDEV. Copy instead, and
          // say so in the intent first, so that a crash is rolled back right.
          if (!isErrno(err, 'EXDEV')) throw err;
          intent.method = 'copy';
          intent.tmpNameBase64 = tmp.toString('base64');
          writeFileAtomic(f.restoreIntent, `${JSON.stringify(intent)}\n`);
          mark('intent-copy');
          copyBack();
        }
      }
      placed = true;
      fsyncSync(target.dir.fd);
      mark('linked');
    } catch (err) {
      if (placed) throw err;
      rollBackRestore(input.quarantineDir, input.id, intent, target);
      if (err instanceof SendtraceError) throw err;
      if (isErrno(err, 'EEXIST')) throw createError('SENDTRACE_ERR_REFUSED', `a new file appeared at ${m.originalPath} during the restore; it is not overwritten`);
      throw createError('SENDTRACE_ERR_ACTION_FAILED', `Restore of ${input.id}`, `${describeError(err)} at step '${current}'; the file is still in the quarantine`);
    }
    try {
      finishRestore(input.quarantineDir, m, intent, target, input.now, input.zone, mark);
    } catch (err) {
      throw createError('SENDTRACE_ERR_STATE', f.dir, `the file is back at ${m.originalPath} but the restore could not be completed at step '${current}' (${describeError(err)}); it will be completed on the next run`);
    }
    return { dryRun: false, ...result, manifest: readManifest(input.quarantineDir, input.id) ?? m };
  } finally {
    lock?.release();
    target.close();
    closeSync(qfd);
  }
}

type Target = ReturnType<typeof openOriginalFolder>;

/** Everything after the file is at its name: metadata, drop the quarantined copy, record, forget the intent. Idempotent. */
export function finishRestore(quarantineDir: string, m: Manifest, intent: RestoreIntent, target: Target, now: number, zone: string, step: StepHook): void {
  const f = files(quarantineDir, m.id);
  const at = (p: Buffer) => atDir(target.dir.fd, p);
  const tfd = openSync(at(target.name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    applyMeta(tfd, m);
  } finally {
    closeSync(tfd);
  }
  step('metadata');
  if (intent.tmpNameBase64) {
    try {
      unlinkSync(at(Buffer.from(intent.tmpNameBase64, 'base64')));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    fsyncSync(target.dir.fd);
  }
  removeFileDurably(f.file);
  step('quarantine-file-removed');
  const folder = target.path.subarray(0, target.path.length - target.name.length);
  writeManifest(quarantineDir, {
    ...m, status: 'restored', restoredAt: formatIso(now, zone), restoredBy: intent.actor,
    newcomerKeptAs: intent.newcomer ? showPath(Buffer.concat([folder, Buffer.from(intent.newcomer.asideBase64, 'base64')])) : null,
  });
  step('manifest-updated');
  removeFileDurably(f.restoreIntent);
  fsyncDir(f.dir);
  step('done');
}

/** Undo a restore that never put the file at its name: drop our temp copy, return the newcomer, forget the intent. */
export function rollBackRestore(quarantineDir: string, id: string, intent: RestoreIntent, target: Target): void {
  const at = (p: Buffer) => atDir(target.dir.fd, p);
  if (intent.tmpNameBase64) {
    const tmp = at(Buffer.from(intent.tmpNameBase64, 'base64'));
    const st = lstatSync(tmp, { throwIfNoEntry: false });
    // Only ours: created by root, O_EXCL, mode 0600, under a name of our own.
    if (st && st.isFile() && st.uid === 0) unlinkSync(tmp);
  }
  if (intent.newcomer) {
    const name = at(Buffer.from(intent.newcomer.nameBase64, 'base64'));
    const aside = at(Buffer.from(intent.newcomer.asideBase64, 'base64'));
    const st = lstatSync(aside, { throwIfNoEntry: false });
    if (st && !lstatSync(name, { throwIfNoEntry: false })) {
      if (st.isDirectory()) renameSync(aside, name);
      else {
        linkSync(aside, name);
        unlinkSync(aside);
      }
    }
  }
  fsyncSync(target.dir.fd);
  removeFileDurably(files(quarantineDir, id).restoreIntent);
}
