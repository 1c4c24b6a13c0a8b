// The maillog pass as a list of units of work in log order, so that two
// threads can parse it (docs/decisions/001-maillog-hot-path.md): each file is
// cut into byte ranges, a unit owning the lines that START inside its range.
// A .gz file is cut by the offsets of its inflated text, which the reader of
// a unit inflates from the start (cheap next to parsing, and each thread
// keeps its inflater from one unit to its next: docs/decisions/017); its
// size is the one its trailer states (a guess: the last unit reads to the
// end whatever it is). The files are opened and judged once, here; readers
// share the descriptors (threads of one process share its file table), so a
// file rotated away during the pass is still the file that was judged.
import { readSync } from 'node:fs';
import { directInflateAvailable } from './gunzip.ts';
import { readFailureWarning, openLogFile, type LogFileInfo } from './log-file-open.ts';
import type { LogFileReport } from './log-files.ts';

export type UnitFile = { path: string; fd: number; gzip: boolean; referenceMs: number };

/** Lines starting in [start, end) of file `file` (of its inflated text for a .gz); the last unit of a file has end = -1 (to its end, growing or not). */
export type MaillogUnit = { file: number; start: number; end: number };

export type UnitPlan = {
  files: Array<UnitFile | null>;          // null: not readable (its warning is in warnings)
  reports: LogFileReport[];
  warnings: Array<string | null>;         // per file, in file order
  units: MaillogUnit[];
  bytes: number;                          // total size of the readable files' text (a .gz file's as its trailer states, or its own size)
  close(): Promise<void>;
};

const PROBE = 64 * 1024;

/** `referenceMs`: until/now; a file's year reference is min(its mtime, referenceMs). */
export async function planUnits(paths: string[], unitBytes: number, referenceMs: number): Promise<UnitPlan> {
  const closers: Array<() => Promise<void>> = [];
  const plan: UnitPlan = {
    files: [], reports: [], warnings: [], units: [], bytes: 0,
    close: async () => {
      await Promise.all(closers.map((c) => c()));
    },
  };
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    const report: LogFileReport = { path, mtimeMs: 0, size: 0, gzip: false, lines: 0, overlong: 0, complete: false };
    plan.reports.push(report);
    let info: LogFileInfo;
    try {
      const opened = await openLogFile(path, PROBE);
      closers.push(() => opened.fh.close());
      info = opened.info;
      plan.files.push({ path, fd: opened.fh.fd, gzip: info.gzip, referenceMs: Math.min(info.mtimeMs, referenceMs) });
      plan.warnings.push(null);
    } catch (err) {
      plan.files.push(null);
      plan.warnings.push(readFailureWarning(path, false, 0, err));
      continue;
    }
    Object.assign(report, { mtimeMs: info.mtimeMs, size: info.size, gzip: info.gzip });
    const size = !info.gzip ? info.size : directInflateAvailable() ? inflatedSize(plan.files[i]!.fd, info.size) : 0;
    plan.bytes += Math.max(size, info.size);
    if (size <= unitBytes) {
      plan.units.push({ file: i, start: 0, end: -1 });
      continue;
    }
    for (let start = 0; start < size; start += unitBytes) {
      plan.units.push({ file: i, start, end: start + unitBytes >= size ? -1 : start + unitBytes });
    }
  }
  return plan;
}

/**
 * The inflated size a gzip file's trailer states: that of its last member, modulo 4 GiB (RFC 1952
 * ISIZE). A log rotated by gzip(1) is one member, so it is exact up to 4 GiB; it only sizes the units.
 * Deflate expands at most ~1032-fold: a trailer claiming more (a forged file) is not believed.
 */
function inflatedSize(fd: number, size: number): number {
  if (size < 18) return 0;
  const trailer = Buffer.alloc(4);
  try {
    if (readSync(fd, trailer, 0, 4, size - 4) !== 4) return 0;
  } catch {
    return 0;            // met again, and reported, when the unit is read
  }
  return Math.min(trailer.readUInt32LE(0), size * 1032);
}
