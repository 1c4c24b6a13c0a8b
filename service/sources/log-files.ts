// Reads log files line by line as Buffer slices, for every log source (Postfix
// maillog, PHP mail.log, access logs). Built for a 1 GB pass: two 1 MiB read
// buffers per file (the next read runs while a chunk is split and parsed), no
// string per line, `.gz` streamed through node:zlib. A file that cannot be
// read is a warning that names it; the other files are still read.
import { constants, createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { describeError } from '../errors.ts';
import { LineSplitter } from './line-splitter.ts';

export { expandPaths, orderByRotation, rotationOf, type ExpandedPaths } from './log-paths.ts';

/** Called once per line; `buf` is only valid during the call (it is reused). `end` excludes the newline and a CR. */
export type OnLine = (buf: Buffer, start: number, end: number, fileIndex: number) => void;

export type LogFileInfo = { path: string; mtimeMs: number; size: number; gzip: boolean };

export type LogFileReport = LogFileInfo & {
  lines: number;
  overlong: number;
  complete: boolean;        // read to its end without error
};

export type ReadLinesOptions = {
  maxLineBytes?: number;    // longer lines are skipped and reported through onOverlong (default 64 KiB)
  chunkBytes?: number;      // default 1 MiB
  /** Before the first line of a file (after it was opened and judged readable). */
  onFile?: (fileIndex: number, info: LogFileInfo) => void;
  /** A skipped overlong line; `head` is its first bytes, for an example. */
  onOverlong?: (fileIndex: number, head: Buffer) => void;
};

export type ReadLinesResult = { files: LogFileReport[]; warnings: string[]; readable: number };

const GZIP_MAGIC = [0x1f, 0x8b];
const UNSUPPORTED: Array<[string, number[]]> = [['bzip2', [0x42, 0x5a, 0x68]], ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a]], ['zstd', [0x28, 0xb5, 0x2f, 0xfd]]];

const startsWith = (b: Buffer, len: number, magic: number[]) => len >= magic.length && magic.every((m, i) => b[i] === m);

/**
 * Text logs have few control bytes and almost no NULs; a file that is mostly
 * control bytes (an image, a database, a core dump) or whose start is dotted
 * with NULs (compressed or encrypted data, as `grep` judges it) is not a log.
 */
function looksBinary(b: Buffer, len: number): boolean {
  const n = Math.min(len, 4096);
  let odd = 0;
  let nul = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0) nul++;
    if (c < 9 || (c > 13 && c < 32 && c !== 27)) odd++;
  }
  // A stray NUL in a short file is damage inside a log, not a binary file.
  return n > 0 && (odd / n > 0.3 || (n >= 512 && nul / n > 0.01));
}

class FileSkipped extends Error {}

async function readPlain(fh: FileHandle, first: Buffer, firstLen: number, chunk: number, split: LineSplitter): Promise<void> {
  // Two buffers: the next read is in flight while the current chunk is split.
  let cur: Buffer = first;
  let curLen = firstLen;
  let spare: Buffer = Buffer.allocUnsafe(chunk);
  let position = firstLen;
  while (curLen > 0) {
    const next = fh.read(spare, 0, chunk, position);
    split.push(cur.subarray(0, curLen), curLen);
    const { bytesRead } = await next;
    position += bytesRead;
    [cur, spare] = [spare, cur];
    curLen = bytesRead;
  }
}

async function readGzip(path: string, fh: FileHandle, chunk: number, split: LineSplitter): Promise<void> {
  const input = createReadStream('', { fd: fh, start: 0, highWaterMark: chunk, autoClose: false });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  input.on('error', (err) => gunzip.destroy(err));
  let first = true;
  try {
    for await (const out of input.pipe(gunzip) as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        if (looksBinary(out, out.length)) throw new FileSkipped(`${path}: decompressed data looks binary, skipped`);
      }
      split.push(out, out.length);
    }
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

async function readOne(path: string, index: number, onLine: OnLine, opts: ReadLinesOptions, report: LogFileReport): Promise<void> {
  const chunk = opts.chunkBytes ?? 1024 * 1024;
  // O_NONBLOCK: opening a FIFO planted under a log name must not hang the scan.
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new FileSkipped(`${path}: not a regular file, skipped`);
    const first = Buffer.allocUnsafe(chunk);
    const { bytesRead } = await fh.read(first, 0, chunk, 0);
    report.mtimeMs = st.mtimeMs;
    report.size = st.size;
    report.gzip = startsWith(first, bytesRead, GZIP_MAGIC);
    if (!report.gzip && path.endsWith('.gz')) throw new FileSkipped(`${path}: named .gz but not gzip data, skipped`);
    for (const [name, magic] of UNSUPPORTED) {
      if (startsWith(first, bytesRead, magic)) throw new FileSkipped(`${path}: ${name}-compressed, not supported, skipped`);
    }
    if (!report.gzip && looksBinary(first, bytesRead)) throw new FileSkipped(`${path}: looks binary, not a text log, skipped`);
    opts.onFile?.(index, { path, mtimeMs: st.mtimeMs, size: st.size, gzip: report.gzip });
    const split = new LineSplitter(
      opts.maxLineBytes ?? 64 * 1024,
      (buf, s, e) => {
        report.lines++;
        onLine(buf, s, e, index);
      },
      (head) => {
        report.overlong++;
        opts.onOverlong?.(index, head);
      },
    );
    if (report.gzip) await readGzip(path, fh, chunk, split);
    else await readPlain(fh, first, bytesRead, chunk, split);
    split.end();
    report.complete = true;
  } finally {
    await fh.close();
  }
}

/** Reads `paths` in the given order (use expandPaths for rotation order). */
export async function readLines(paths: string[], onLine: OnLine, opts: ReadLinesOptions = {}): Promise<ReadLinesResult> {
  const files: LogFileReport[] = [];
  const warnings: string[] = [];
  let readable = 0;
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    const report: LogFileReport = { path, mtimeMs: 0, size: 0, gzip: false, lines: 0, overlong: 0, complete: false };
    files.push(report);
    try {
      await readOne(path, i, onLine, opts, report);
    } catch (err) {
      if (err instanceof FileSkipped) warnings.push(err.message);
      else if (report.gzip && err instanceof Error && 'code' in err && String(err.code).startsWith('Z_')) {
        // zlib: truncated (Z_BUF_ERROR "unexpected end of file") or corrupt data. The lines before stay counted.
        warnings.push(`${path}: gzip data truncated or corrupt after ${report.lines} lines (${err.message})`);
      } else if (err instanceof Error && 'code' in err && typeof err.code === 'string') {
        warnings.push(`cannot read ${path}: ${describeError(err)}`);
      } else {
        throw err;
      }
    }
    if (report.lines > 0 || report.complete) readable++;
  }
  return { files, warnings, readable };
}
