// Start-up recovery: every quarantine or restore that a crash interrupted is
// rolled forward (the bytes are safely in their new place: finish the
// record) or back (they are still in their old place: remove what we made),
// judged from what is on disk, never left half done. Runs before every action
// command and at sidecar start; operations of a process that is still running
// are left alone. docs/decisions/006-quarantine.md has the table of cases.
import { closeSync, constants, lstatSync, openSync, readdirSync, statSync, unlinkSync, fsyncSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, isErrno, SendtraceError } from '../errors.ts';
import { hashFd, hashPath } from './file-io.ts';
import { locksDir, removeStaleLocks } from './locks.ts';
import { files, listIds, readManifest, readQuarantineIntent, readRestoreIntent, removeQuarantineFolder, STAGING_PATTERN, writeManifest, type QuarantineIntent } from './manifest.ts';
import { isRunning } from './process-identity.ts';
import { putBack } from './put-back.ts';
import { settleHeld } from './quarantine.ts';
import { finishRestore, openOriginalFolder, rollBackRestore } from './restore.ts';
import { atDir } from './safe-walk.ts';
import { removeFileDurably } from './state-files.ts';

export type RecoveryReport = { rolledForward: string[]; rolledBack: string[]; warnings: string[] };

function pidAlive(pid: number): boolean {
  try {
    statSync(`/proc/${pid}`);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

function finishQuarantine(quarantineDir: string, intent: QuarantineIntent): void {
  const f = files(quarantineDir, intent.manifest.id);
  settleHeld(f.file, intent.manifest);
  writeManifest(quarantineDir, intent.manifest);
  removeFileDurably(f.intent);
}

/** One interrupted quarantine → 'forward' | 'back'. */
export function recoverQuarantine(quarantineDir: string, intent: QuarantineIntent): 'forward' | 'back' {
  const m = intent.manifest;
  const f = files(quarantineDir, m.id);
  const held = lstatSync(f.file, { throwIfNoEntry: false });
  if (m.method === 'rename') {
    if (!held) {
      removeQuarantineFolder(quarantineDir, m.id);        // the rename never happened
      return 'back';
    }
    if (held.dev === m.dev && held.ino === m.ino) {
      finishQuarantine(quarantineDir, intent);
      return 'forward';
    }
    // A name swapped in before the rename was moved instead of the checked file: return it.
    const target = openOriginalFolder(m);
    try {
      putBack(f.file, atDir(target.dir.fd, target.name), held.isDirectory());
      fsyncSync(target.dir.fd);
    } finally {
      target.close();
    }
    removeQuarantineFolder(quarantineDir, m.id);
    return 'back';
  }
  // Copy: until phase 'copied' the original was never touched and our copy may be partial.
  if (intent.phase === 'prepared' || !held || hashPath(f.file).sha256 !== m.sha256) {
    removeQuarantineFolder(quarantineDir, m.id);
    return 'back';
  }
  // A verified copy exists; the original name may or may not have been unlinked yet.
  let target: ReturnType<typeof openOriginalFolder> | null = null;
  try {
    target = openOriginalFolder(m);
  } catch (err) {
    m.notes.push(`recovery could not check the original path (${describeError(err)}); if it is still there, it is a second copy`);
  }
  if (target) {
    try {
      const name = atDir(target.dir.fd, target.name);
      const st = lstatSync(name, { throwIfNoEntry: false });
      if (st && st.isFile() && st.dev === m.dev && st.ino === m.ino) {
        const fd = openSync(name, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
        let same: boolean;
        try {
          same = hashFd(fd).sha256 === m.sha256;
        } finally {
          closeSync(fd);
        }
        if (!same) {
          // Changed after our copy while we were down: the original is the newer
          // content. Keep it, drop our copy.
          removeQuarantineFolder(quarantineDir, m.id);
          return 'back';
        }
        unlinkSync(name);
        fsyncSync(target.dir.fd);
      } else if (st) m.notes.push('at recovery, the original path held another file; it was left alone');
    } finally {
      target.close();
    }
  }
  finishQuarantine(quarantineDir, intent);
  return 'forward';
}

/** One interrupted restore → 'forward' | 'back' (forward when the identical bytes are at the original name). */
export function recoverRestore(quarantineDir: string, id: string, now: number, zone: string): 'forward' | 'back' {
  const f = files(quarantineDir, id);
  const intent = readRestoreIntent(f.restoreIntent);
  const m = readManifest(quarantineDir, id);
  if (!intent) return 'forward';
  if (!m || m.status === 'restored') {
    removeFileDurably(f.restoreIntent);
    return 'forward';
  }
  let target: ReturnType<typeof openOriginalFolder>;
  try {
    target = openOriginalFolder(m);
  } catch (err) {
    // The folder is gone: the file cannot have been put back there (and no temp copy either).
    if (!(err instanceof SendtraceError && err.code === 'SENDTRACE_ERR_NOT_FOUND')) throw err;
    removeFileDurably(f.restoreIntent);
    return 'back';
  }
  try {
    const name = atDir(target.dir.fd, target.name);
    const st = lstatSync(name, { throwIfNoEntry: false });
    const held = lstatSync(f.file, { throwIfNoEntry: false });
    let ours = false;
    if (st && st.isFile()) {
      if (intent.method === 'link') ours = !held || (held.dev === st.dev && held.ino === st.ino);
      else {
        const fd = openSync(name, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
        try {
          ours = hashFd(fd).sha256 === m.sha256;
        } finally {
          closeSync(fd);
        }
      }
    }
    if (ours) {
      finishRestore(quarantineDir, m, intent, target, now, zone, () => {});
      return 'forward';
    }
    rollBackRestore(quarantineDir, id, intent, target);
    return 'back';
  } finally {
    target.close();
  }
}

/** Recovers everything pending in the quarantine; problems become warnings naming the folder. */
export function recoverPending(dirs: { quarantineDir: string; stateDir: string }, now: number, zone: string): RecoveryReport {
  const report: RecoveryReport = { rolledForward: [], rolledBack: [], warnings: [] };
  let names: string[];
  try {
    names = readdirSync(dirs.quarantineDir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) names = [];
    else throw err;
  }
  for (const name of names) {
    const staged = STAGING_PATTERN.exec(name);
    // A folder being prepared by a process that died before renaming it into place: nothing moved yet.
    if (staged && !pidAlive(Number(staged[2]))) {
      removeQuarantineFolder(dirs.quarantineDir, name);
      report.rolledBack.push(staged[1]!);
    }
  }
  for (const id of listIds(dirs.quarantineDir)) {
    const f = files(dirs.quarantineDir, id);
    try {
      removeDeadTemps(f.dir);
      const intent = readQuarantineIntent(f.intent);
      if (intent && !isRunning(intent.owner)) {
        (recoverQuarantine(dirs.quarantineDir, intent) === 'forward' ? report.rolledForward : report.rolledBack).push(id);
      }
      const rintent = readRestoreIntent(f.restoreIntent);
      if (rintent && !isRunning(rintent.owner)) {
        (recoverRestore(dirs.quarantineDir, id, now, zone) === 'forward' ? report.rolledForward : report.rolledBack).push(id);
      }
    } catch (err) {
      report.warnings.push(`quarantine ${join(dirs.quarantineDir, id)}: an interrupted operation could not be recovered: ${describeError(err)}`);
    }
  }
  removeStaleLocks(dirs.stateDir);
  removeDeadTemps(locksDir(dirs.stateDir));
  return report;
}

/** Temp files of writeFileAtomic and acquireLock (`.NAME.PID.RAND.tmp`) whose writer died before renaming them. */
function removeDeadTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const name of names) {
    const m = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
    if (m && !pidAlive(Number(m[1]))) removeFileDurably(join(dir, name));
  }
}
