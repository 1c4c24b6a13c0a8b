// The maillog pass as a list of units of work in log order, so that two
// threads can parse it (docs/decisions/001-maillog-hot-path.md): each plain
// file is cut into byte ranges, a unit owning the lines that START inside its
// range; a .gz file can only be read from its beginning and is one unit. The
// files are opened and judged once, here; readers share the descriptors
// (threads of one process share its file table), so a file rotated away
// during the pass is still the file that was judged.
import { readFailureWarning, openLogFile, type LogFileInfo } from './log-file-open.ts';
import type { LogFileReport } from './log-files.ts';

export type UnitFile = { path: string; fd: number; gzip: boolean; referenceMs: number };

/** Lines starting in [start, end) of file `file`; the last unit of a file has end = -1 (to its end, growing or not). */
export type MaillogUnit = { file: number; start: number; end: number };

export type UnitPlan = {
  files: Array<UnitFile | null>;          // null: not readable (its warning is in warnings)
  reports: LogFileReport[];
  warnings: Array<string | null>;         // per file, in file order
  units: MaillogUnit[];
  bytes: number;                          // total size of the readable files
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
    plan.bytes += info.size;
    if (info.gzip || info.size <= unitBytes) {
      plan.units.push({ file: i, start: 0, end: -1 });
      continue;
    }
    for (let start = 0; start < info.size; start += unitBytes) {
      plan.units.push({ file: i, start, end: start + unitBytes >= info.size ? -1 : start + unitBytes });
    }
  }
  return plan;
}
