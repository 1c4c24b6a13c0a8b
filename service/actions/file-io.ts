// Reading, hashing and copying files through descriptors (never by path again
// once a path has been checked), with fsync where durability matters.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { writeAll } from './state-files.ts';

const CHUNK = 1024 * 1024;

/** sha256 (hex) of everything readable from `fd`, from offset 0. */
export function hashFd(fd: number): { sha256: string; size: number } {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  let pos = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, CHUNK, pos);
    if (n === 0) break;
    hash.update(buf.subarray(0, n));
    pos += n;
  }
  return { sha256: hash.digest('hex'), size: pos };
}

/** sha256 of a file we own (quarantine copies), opened without following a symlink. */
export function hashPath(path: string | Buffer): { sha256: string; size: number } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    return hashFd(fd);
  } finally {
    closeSync(fd);
  }
}

export type StepHook = (step: string) => void;

/**
 * Copies all of `from` into a new file at `to` (O_EXCL: never an existing
 * one), mode 0600, fsynced. `step('copy-write')` runs before each write so a
 * test can inject a failure (disk full) at that point. On any error the
 * partial copy is left for the caller to remove (it knows the rollback).
 */
export function copyFdToNewFile(from: number, to: string | Buffer, step: StepHook): { sha256: string; size: number } {
  const out = openSync(to, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = 0;
    for (;;) {
      const n = readSync(from, buf, 0, CHUNK, pos);
      if (n === 0) break;
      step('copy-write');
      writeAll(out, buf.subarray(0, n));
      hash.update(buf.subarray(0, n));
      pos += n;
    }
    fsyncSync(out);
    return { sha256: hash.digest('hex'), size: pos };
  } finally {
    closeSync(out);
  }
}

/** What restore must put back, taken from an open fd before anything reads the file (atime). */
export type FileMeta = { uid: number; gid: number; mode: number; size: number; atimeNs: string; mtimeNs: string; mtimeMs: number; dev: number; ino: number };

export function metaOfFd(fd: number): FileMeta {
  const st: BigIntStats = fstatSync(fd, { bigint: true });
  return {
    uid: Number(st.uid), gid: Number(st.gid), mode: Number(st.mode & 0o7777n), size: Number(st.size),
    atimeNs: st.atimeNs.toString(), mtimeNs: st.mtimeNs.toString(), mtimeMs: Number(st.mtimeNs / 1_000_000n),
    dev: Number(st.dev), ino: Number(st.ino),
  };
}

/**
 * Seconds (fractional) for futimes from a nanosecond string. libuv truncates
 * what it is given to whole microseconds, and a double holds today's epoch
 * seconds to about ±0.2 µs: aiming at the middle of the microsecond makes the
 * truncation land on it exactly. Times are restored to the microsecond.
 */
export function secondsOfNs(ns: string): number {
  const n = BigInt(ns);
  const micros = (n % 1_000_000_000n) / 1000n;
  return Number(n / 1_000_000_000n) + (Number(micros) + 0.5) / 1e6;
}
