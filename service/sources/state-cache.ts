// Results kept under <stateDir>/cache/, one file per key: written atomically
// (temp file, fsync, rename, fsync of the folder), so a crash or a parallel
// run leaves the old file or the new one, never a torn one. Root writes
// these: the folder is created only when stateDir's parent exists (never a
// /usr/local/psa tree on a server without Plesk), 0700, not through a symlink.
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeError, isErrno } from '../errors.ts';

export type CacheDir = { dir: string } | { dir: null; reason: string };

const KEEP = 8;                 // newest entries kept; older ones are removed after a write

/** The cache folder, created if stateDir's parent exists; else why there is none (a note, not a warning). */
export async function openCacheDir(stateDir: string): Promise<CacheDir> {
  const dir = join(stateDir, 'cache');
  try {
    await stat(dirname(stateDir));
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return { dir: null, reason: `${dirname(stateDir)} does not exist` };
    return { dir: null, reason: `cannot use ${stateDir}: ${describeError(err)}` };
  }
  for (const d of [stateDir, dir]) {
    try {
      await mkdir(d, { mode: 0o700 });
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) return { dir: null, reason: `cannot create ${d}: ${describeError(err)}` };
    }
    const st = await lstat(d);
    if (!st.isDirectory()) return { dir: null, reason: `${d} is not a directory` };
  }
  return { dir };
}

export const cacheKey = (parts: unknown): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

const entryPath = (dir: string, key: string) => join(dir, `${key}.json`);

export type CacheBytes = { bytes: Buffer } | { bytes: null; damaged: boolean };

/**
 * The bytes stored under `key`. An entry is a header line `{"key","sha256"}`
 * and the text: a file torn by a crash, cut short by a full disk or written
 * under another key reads as damaged (a miss), never as a wrong answer.
 */
export async function readCacheBytes(dir: string, key: string): Promise<CacheBytes> {
  let raw: Buffer;
  try {
    raw = await readFile(entryPath(dir, key));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { bytes: null, damaged: false };
    throw err;
  }
  const nl = raw.indexOf(10);
  const body = raw.subarray(nl + 1);
  const head = nl > 0 && nl < 512 ? raw.toString('latin1', 0, nl) : '';
  const ok = head === JSON.stringify({ key, sha256: createHash('sha256').update(body).digest('hex') });
  return ok ? { bytes: body } : { bytes: null, damaged: true };
}

/** Bytes encoded, hashed and written at a time: one scratch buffer, not a fresh copy of the whole text. */
const CHUNK = 1 << 20;
const encoder = new TextEncoder();

/**
 * Stores `text` (or its parts, concatenated; each part whole characters: a surrogate pair split
 * between two parts would be stored as two U+FFFD) under `key`, crash-safe (temp file, fsync, rename,
 * fsync of the folder). The text is encoded a chunk at a time into one reused buffer, hashed and
 * written after the header's place, then the header is written at the start: an entry is a few
 * MB, and each fresh buffer of that size (the UTF-8 copy, then header + body) cost more than the
 * encoding itself (decision 012, last addendum). The header's length does not depend on the
 * digest (64 hex digits), so the body's offset is known before it is hashed.
 */
export async function writeCacheEntry(dir: string, key: string, text: string | Iterable<string>): Promise<void> {
  const path = entryPath(dir, key);
  const tmp = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const headOf = (sha256: string) => Buffer.from(`${JSON.stringify({ key, sha256 })}\n`);
    let at = headOf('0'.repeat(64)).length;
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    let used = 0;
    const flush = async () => {
      hash.update(buf.subarray(0, used));
      await writeAll(fh, buf.subarray(0, used), at);
      at += used;
      used = 0;
    };
    for (const part of typeof text === 'string' ? [text] : text) {
      let rest = part;
      for (;;) {
        // encodeInto never splits a character: what does not fit is encoded at the next chunk's start.
        const { read, written } = encoder.encodeInto(rest, used === 0 ? buf : buf.subarray(used));
        used += written;
        if (read === rest.length) break;
        await flush();
        rest = rest.slice(read);
      }
    }
    await flush();
    await writeAll(fh, headOf(hash.digest('hex')), 0);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp);
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  const d = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  await pruneCache(dir);
}

/** write(2) may write less than asked: goes on until all of `bytes` is at `position`. */
async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** Keeps the newest KEEP entries (each run with other options or other logs adds one). */
async function pruneCache(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json'));
  if (names.length <= KEEP) return;
  const dated = await Promise.all(names.map(async (n) => ({ n, at: (await stat(join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.at - a.at);
  for (const { n } of dated.slice(KEEP)) {
    await unlink(join(dir, n)).catch((err: unknown) => {
      if (!isErrno(err, 'ENOENT')) throw err;     // a parallel run removed it first
    });
  }
}
