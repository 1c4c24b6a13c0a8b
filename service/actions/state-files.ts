// sendtrace's own state (audit log, quarantine manifests, intents, locks) is
// written so that a crash at any instant leaves either the old or the new
// version of a file, never a torn one: write a temp file, fsync it, rename it
// over the target, fsync the directory (the rename is only durable then).
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { createError, isErrno } from '../errors.ts';

/** fsync a directory, making renames, creations and unlinks inside it durable. */
export function fsyncDir(dir: string | Buffer): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes all of `data` at the fd's position (writeSync may write less than asked). */
export function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** Atomic replace of `path` with `data` (mode applies to the new file). */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dir);
}

/** fsyncDir without blocking the thread. */
export async function fsyncDirAsync(dir: string): Promise<void> {
  const h = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * writeFileAtomic without blocking the thread on the write and the fsyncs
 * (the live checkpoint, every 30 s in the sidecar). `syncDir: false` leaves
 * the folder's fsync to the caller, who renames several files before one
 * fsyncDirAsync. Once this resolves the rename is done; a rejection means it
 * was not (the temp file is removed).
 */
export async function writeFileAtomicAsync(path: string, data: Buffer, mode = 0o600, o: { syncDir?: boolean } = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const h = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    try {
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch((e: unknown) => {
      if (!isErrno(e, 'ENOENT')) throw e;
    });
    throw err;
  }
  if (o.syncDir !== false) await fsyncDirAsync(dir);
}

/** Removes a file and makes that durable; a file already gone is fine. */
export function removeFileDurably(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  fsyncDir(dirname(path));
}

/**
 * A directory only root can enter (the quarantine and state folders). An
 * existing one must be a real directory owned by root and not writable by
 * others: whoever could write there could plant or swap what we read back.
 */
export function ensurePrivateDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
  }
  const st = lstatSync(path);
  if (!st.isDirectory()) throw createError('SENDTRACE_ERR_STATE', path, 'not a directory (a symbolic link?)');
  const uid = process.getuid?.() ?? 0;
  if (st.uid !== uid) throw createError('SENDTRACE_ERR_STATE', path, `owned by uid ${st.uid}, not by the user sendtrace runs as (${uid})`);
  if (st.mode & 0o022) throw createError('SENDTRACE_ERR_STATE', path, 'writable by group or others');
}

/** A state file's bytes, or null when it does not exist; a symbolic link or anything but a regular file is refused. */
export function readStateFile(path: string): Buffer | null {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      if (!fstatSync(fd).isFile()) throw createError('SENDTRACE_ERR_STATE', path, 'not a regular file');
      return readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
}

/** A JSON state file, or null when it does not exist. Garbage is an error naming the file. */
export function readJsonFile(path: string): unknown {
  const bytes = readStateFile(path);
  if (bytes === null) return null;
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw createError('SENDTRACE_ERR_STATE', path, `not valid JSON (${(err as Error).message})`);
  }
}
