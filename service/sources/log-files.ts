// Reads log files line by line as Buffer slices, for every log source (Postfix
// maillog, PHP mail.log, access logs). Built for a 1 GB pass: two 1 MiB read
// buffers per file (the next read runs while a chunk is split and parsed), no
// string per line, `.gz` inflated as it is read (gunzip.ts). A file that cannot be
// read is a warning that names it; the other files are still read.
import type { FileHandle } from 'node:fs/promises';
import { readGzip } from './gunzip.ts';
import { openLogFile, readFailureWarning, type LogFileInfo } from './log-file-open.ts';
import { LineSplitter } from './line-splitter.ts';

export { expandPaths, orderByRotation, rotationOf, type ExpandedPaths } from './log-paths.ts';

/** Called once per line; `buf` is only valid during the call (it is reused). `end` excludes the newline and a CR. */
export type OnLine = (buf: Buffer, start: number, end: number, fileIndex: number) => void;

export type { LogFileInfo } from './log-file-open.ts';

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

async function readOne(path: string, index: number, onLine: OnLine, opts: ReadLinesOptions, report: LogFileReport): Promise<void> {
  const chunk = opts.chunkBytes ?? 1024 * 1024;
  const { fh, first, firstLen, info } = await openLogFile(path, chunk);
  try {
    report.mtimeMs = info.mtimeMs;
    report.size = info.size;
    report.gzip = info.gzip;
    opts.onFile?.(index, info);
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
    if (report.gzip) await readGzip(path, fh.fd, chunk, split);
    else await readPlain(fh, first, firstLen, chunk, split);
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
      warnings.push(readFailureWarning(path, report.gzip, report.lines, err));
    }
    if (report.lines > 0 || report.complete) readable++;
  }
  return { files, warnings, readable };
}
