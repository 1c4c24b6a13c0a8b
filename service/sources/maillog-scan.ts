// One pass over the Postfix mail logs: expand the configured paths (rotated
// files oldest first, `.gz` included), parse every line, hand each event to
// `onEvent` in log order. Lines that look like Postfix but do not parse are
// counted with a few examples; unreadable files are warnings that name them.
// A large log is parsed by two threads (maillog-parallel.ts); the events and
// every count are the same as with one.
import type { LogFileReport } from './log-files.ts';
import { expandPaths, type ExpandedPaths } from './log-paths.ts';
import type { MaillogEvent } from './maillog-line.ts';
import { scanUnits } from './maillog-parallel.ts';
import { planUnits } from './maillog-units.ts';

export type MaillogScanOptions = {
  zone: string;                       // config.timezone, for classic timestamps
  referenceMs: number;                // `until`, or now: no line is later (year inference)
  onEvent: (event: MaillogEvent) => void;   // the event object is reused: copy what you keep
  maxExamples?: number;               // unparsed examples kept (default 5)
  /** 1: parse on this thread only; 2 (default): a worker thread parses ahead when the log is large. */
  threads?: 1 | 2;
  /** For tests: smaller units, a worker for any size, the worker started from another file (the bundle). */
  tuning?: { unitBytes?: number; parallelMinBytes?: number; workerEntry?: URL; leaveToWorker?: (unit: number) => boolean; engine?: 'js' | 'wasm' };
};

export type MaillogScan = {
  lines: number;
  unparsed: number;
  unparsedExamples: string[];
  files: LogFileReport[];
  warnings: string[];                 // inputs that could not be read (or only in part)
  readable: number;                   // files read at least in part
  /** Units of work the worker thread parsed; null when the pass ran on one thread. */
  worker: { units: number; failure: string | null } | null;
};

// Units of 8 MiB: small enough that the two threads finish close together and
// the worker's events waiting for the main thread stay a few MB; a log under
// 24 MiB is not worth starting a thread (~0.1 s to load the bundle in it).
const UNIT_BYTES = 8 * 1024 * 1024;
const PARALLEL_MIN_BYTES = 24 * 1024 * 1024;

export async function scanMaillog(patterns: string[], options: MaillogScanOptions): Promise<MaillogScan> {
  return scanMaillogFiles(await expandMaillog(patterns), options);
}

/** The files of the configured patterns, rotated ones oldest first; a warning when none exists. */
export async function expandMaillog(patterns: string[]): Promise<ExpandedPaths> {
  const expanded = await expandPaths(patterns);
  if (expanded.files.length === 0 && expanded.warnings.length === 0) {
    expanded.warnings.push(`no mail log found (looked for ${patterns.join(', ') || 'nothing: no path configured'})`);
  }
  return expanded;
}

export async function scanMaillogFiles(expanded: ExpandedPaths, options: MaillogScanOptions): Promise<MaillogScan> {
  const t = options.tuning ?? {};
  const plan = await planUnits(expanded.files, t.unitBytes ?? UNIT_BYTES, options.referenceMs);
  try {
    const worker = options.threads !== 1 && plan.bytes >= (t.parallelMinBytes ?? PARALLEL_MIN_BYTES) && plan.units.length > 1;
    const r = await scanUnits(plan, {
      zone: options.zone, onEvent: options.onEvent, maxExamples: options.maxExamples ?? 5, worker,
      ...(t.workerEntry ? { workerEntry: t.workerEntry } : {}), ...(t.leaveToWorker ? { leaveToWorker: t.leaveToWorker } : {}),
      ...(t.engine ? { engine: t.engine } : {}),
    });
    return { ...r, warnings: [...expanded.warnings, ...r.warnings] };
  } finally {
    await plan.close();
  }
}
