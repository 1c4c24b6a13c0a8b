// Opening one log file and judging it before any line is read: a regular
// file, not binary, gzip or plain (other compressions are named and skipped).
// Shared by the sequential reader (log-files.ts) and the maillog pass that
// splits files between threads (maillog-units.ts).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { describeError } from '../errors.ts';

export type LogFileInfo = { path: string; mtimeMs: number; size: number; gzip: boolean };

export type OpenedLog = { fh: FileHandle; first: Buffer; firstLen: number; info: LogFileInfo };

/** A file that is not read at all (or not further), with the warning that says why. */
export class FileSkipped extends Error {}

const GZIP_MAGIC = [0x1f, 0x8b];
const UNSUPPORTED: Array<[string, number[]]> = [['bzip2', [0x42, 0x5a, 0x68]], ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a]], ['zstd', [0x28, 0xb5, 0x2f, 0xfd]]];

const startsWith = (b: Buffer, len: number, magic: number[]) => len >= magic.length && magic.every((m, i) => b[i] === m);

/** Text logs have few control bytes; a file that is mostly control bytes is not a log (an image, a database, a core dump). */
export function looksBinary(b: Buffer, len: number): boolean {
  const n = Math.min(len, 4096);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c < 9 || (c > 13 && c < 32 && c !== 27)) odd++;
  }
  return n > 0 && odd / n > 0.3;
}

/** Opens `path` and reads its first chunk; throws FileSkipped (with the warning) or the system error. */
export async function openLogFile(path: string, chunk: number): Promise<OpenedLog> {
  // O_NONBLOCK: opening a FIFO planted under a log name must not hang the scan.
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new FileSkipped(`${path}: not a regular file, skipped`);
    const first = Buffer.allocUnsafe(chunk);
    const { bytesRead } = await fh.read(first, 0, chunk, 0);
    const gzip = startsWith(first, bytesRead, GZIP_MAGIC);
    if (!gzip && path.endsWith('.gz')) throw new FileSkipped(`${path}: named .gz but not gzip data, skipped`);
    for (const [name, magic] of UNSUPPORTED) {
      if (startsWith(first, bytesRead, magic)) throw new FileSkipped(`${path}: ${name}-compressed, not supported, skipped`);
    }
    if (!gzip && looksBinary(first, bytesRead)) throw new FileSkipped(`${path}: looks binary, not a text log, skipped`);
    return { fh, first, firstLen: bytesRead, info: { path, mtimeMs: st.mtimeMs, size: st.size, gzip } };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** The warning for a failure while opening or reading a log file; anything unexpected is rethrown. */
export function readFailureWarning(path: string, gzip: boolean, lines: number, err: unknown): string {
  if (err instanceof FileSkipped) return err.message;
  if (gzip && err instanceof Error && 'code' in err && String(err.code).startsWith('Z_')) {
    // zlib: truncated (Z_BUF_ERROR "unexpected end of file") or corrupt data. The lines before stay counted.
    return `${path}: gzip data truncated or corrupt after ${lines} lines (${err.message})`;
  }
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return `cannot read ${path}: ${describeError(err)}`;
  throw err;
}

/** A read failure as it crosses between threads (a structured clone keeps neither an Error's class nor its code). */
export type ReadError = { message: string; code: string | null; syscall: string | null; skipped: boolean };

/** The failure as data; anything readFailureWarning would not explain is rethrown. */
export function toReadError(err: unknown): ReadError {
  if (err instanceof FileSkipped) return { message: err.message, code: null, syscall: null, skipped: true };
  const e = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof e.code === 'string') return { message: err.message, code: e.code, syscall: e.syscall ?? null, skipped: false };
  throw err;
}

/** The error back, for readFailureWarning. */
export function fromReadError(r: ReadError): Error {
  if (r.skipped) return new FileSkipped(r.message);
  return Object.assign(new Error(r.message), { code: r.code, ...(r.syscall !== null ? { syscall: r.syscall } : {}) });
}
