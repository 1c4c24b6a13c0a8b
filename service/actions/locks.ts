// One action at a time per file: a lock file created with O_EXCL under
// stateDir/locks, naming its owner process. A lock whose owner is gone (a
// crash) is stale and taken over — recovery has already rolled its operation
// forward or back by then. The filesystem steps are safe without the lock
// (a second rename of a moved file fails with ENOENT); the lock turns a
// concurrent attempt into a clear refusal instead of a confusing failure.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createError, isErrno } from '../errors.ts';
import { currentProcess, isRunning, type ProcessIdentity } from './process-identity.ts';
import { ensurePrivateDir, fsyncDir, readJsonFile, removeFileDurably, writeAll } from './state-files.ts';

const LockSchema = z.object({ owner: z.object({ pid: z.number(), start: z.string().nullable(), boot: z.string().nullable() }), what: z.string(), at: z.number() });

export type Lock = { path: string; release(): void };

export function locksDir(stateDir: string): string {
  return join(stateDir, 'locks');
}

function ownerOf(path: string): ProcessIdentity | null {
  const parsed = LockSchema.safeParse(readJsonFile(path));
  // A lock torn by a crash between create and write has no owner: stale.
  return parsed.success ? parsed.data.owner : null;
}

/** Takes the lock `key` (a safe file name) or refuses, naming the process that holds it. */
export function acquireLock(stateDir: string, key: string, what: string): Lock {
  if (!/^[A-Za-z0-9._-]+$/.test(key)) throw new TypeError(`bad lock key ${key}`);
  const dir = locksDir(stateDir);
  ensurePrivateDir(stateDir);
  ensurePrivateDir(dir);
  const path = join(dir, `${key}.lock`);
  // The lock appears with its content in one step (written to a temp file,
  // then hard-linked into place; link fails with EEXIST when it is held), so
  // no other process can ever see a lock without an owner.
  const tmp = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeAll(fd, Buffer.from(JSON.stringify({ owner: currentProcess(), what, at: Date.now() })));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(tmp, path);
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw err;
        const owner = ownerOf(path);
        if (owner && isRunning(owner)) throw createError('SENDTRACE_ERR_REFUSED', `another sendtrace action is working on ${what} (pid ${owner.pid}); try again when it has finished`);
        // Stale: its owner died. Two processes that find the same stale lock at
        // the same instant could both take it; the file steps stay safe then.
        removeFileDurably(path);
        continue;
      }
      fsyncDir(dir);
      return { path, release: () => removeFileDurably(path) };
    }
  } finally {
    removeFileDurably(tmp);
  }
  throw createError('SENDTRACE_ERR_REFUSED', `could not take the lock for ${what}`);
}

/** Removes locks whose owner is gone (after recovery handled their operations). */
export function removeStaleLocks(stateDir: string): number {
  let names: string[];
  try {
    names = readdirSync(locksDir(stateDir));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.endsWith('.lock') || name.startsWith('.')) continue;
    const path = join(locksDir(stateDir), name);
    const owner = ownerOf(path);
    if (owner && isRunning(owner)) continue;
    removeFileDurably(path);
    removed++;
  }
  return removed;
}
