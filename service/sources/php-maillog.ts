// PHP `mail.log` files → per-script totals. A busy mail.log holds millions of
// lines, so records are folded into bounded per-path summaries as they are
// read instead of being kept. Line format: php-maillog-line.ts.
import { describeError } from '../errors.ts';
import { HOUR } from '../time.ts';
import { expandPaths, readLines } from './log-files.ts';
import { PhpMailRecordSchema, parsePhpMailLogLine, type PhpMailRecord, type ZoneNotes } from './php-maillog-line.ts';

export { OriginatingScriptSchema, PhpMailRecordSchema, parseOriginatingScript, parsePhpMailLogLine } from './php-maillog-line.ts';
export type { OriginatingScript, PhpMailRecord } from './php-maillog-line.ts';

export type PhpMailScript = {
  path: string;
  count: number;                        // mail() calls logged for this file
  untimed: number;                      // of them, lines without a date prefix
  first: number | null;                 // epoch ms
  last: number | null;
  hourly: Map<number, number>;          // hour start → calls
  recipients: string[];                 // sample of distinct recipient addresses (bounded)
  recipientTotal: number;               // addresses over all calls
  lines: Set<number>;                   // line numbers of the mail() calls (bounded)
  dynamicCode: number;                  // calls made from eval()'d / runtime-created code
  originatingUids: Map<number, number>; // uid of X-PHP-Originating-Script headers seen in the logged headers
  subjects: string[];                   // sample of distinct subjects (bounded)
};

export type PhpMailLogSummary = {
  scripts: Map<string, PhpMailScript>;
  lines: number;
  records: number;
  unparsed: number;                     // non-empty lines that are not a mail() record
  unparsedExamples: string[];
  outsideWindow: number;                // records before `since` or after `until`
  droppedRecords: number;               // records of scripts beyond `maxScripts`
  first: number | null;
  last: number | null;
  unknownZones: Map<string, number>;    // zone names read with the configured zone instead
  warnings: string[];
};

export type PhpMailLogOptions = {
  timezone: string;                     // config.timezone: fallback for unknown zone names
  since?: number;
  until?: number;                       // the `--now` cut
  maxScripts?: number;
};

const SAMPLE = 20;
const MAX_LINES = 100;

export function createPhpMailLogSummary(): PhpMailLogSummary {
  return {
    scripts: new Map(), lines: 0, records: 0, unparsed: 0, unparsedExamples: [], outsideWindow: 0,
    droppedRecords: 0, first: null, last: null, unknownZones: new Map(), warnings: [],
  };
}

function splitRecipients(to: string): string[] {
  return to.split(',').map((a) => a.trim()).filter((a) => a !== '').slice(0, 200);
}

/** Folds one record into the summary. */
export function addPhpMailRecord(sum: PhpMailLogSummary, r: PhpMailRecord, opts: Omit<PhpMailLogOptions, 'timezone'> = {}): void {
  if (r.ts !== null && ((opts.since !== undefined && r.ts < opts.since) || (opts.until !== undefined && r.ts > opts.until))) {
    sum.outsideWindow++;
    return;
  }
  let s = sum.scripts.get(r.path);
  if (!s) {
    if (sum.scripts.size >= (opts.maxScripts ?? 10_000)) {
      sum.droppedRecords++;
      return;
    }
    s = {
      path: r.path, count: 0, untimed: 0, first: null, last: null, hourly: new Map(), recipients: [], recipientTotal: 0,
      lines: new Set(), dynamicCode: 0, originatingUids: new Map(), subjects: [],
    };
    sum.scripts.set(r.path, s);
  }
  sum.records++;
  s.count++;
  if (r.ts === null) {
    s.untimed++;
  } else {
    if (s.first === null || r.ts < s.first) s.first = r.ts;
    if (s.last === null || r.ts > s.last) s.last = r.ts;
    if (sum.first === null || r.ts < sum.first) sum.first = r.ts;
    if (sum.last === null || r.ts > sum.last) sum.last = r.ts;
    const hour = Math.floor(r.ts / HOUR) * HOUR;
    s.hourly.set(hour, (s.hourly.get(hour) ?? 0) + 1);
  }
  const recipients = splitRecipients(r.to);
  s.recipientTotal += recipients.length;
  for (const a of recipients) {
    if (s.recipients.length >= SAMPLE) break;
    if (!s.recipients.includes(a)) s.recipients.push(a.slice(0, 320));
  }
  if (s.subjects.length < 5 && !s.subjects.includes(r.subject)) s.subjects.push(r.subject.slice(0, 200));
  if (s.lines.size < MAX_LINES) s.lines.add(r.line);
  if (r.dynamicCode) s.dynamicCode++;
  const uid = r.originatingScript?.uid;
  if (uid !== undefined && (s.originatingUids.has(uid) || s.originatingUids.size < 16)) {
    s.originatingUids.set(uid, (s.originatingUids.get(uid) ?? 0) + 1);
  }
}

/** Control characters in an example line are shown escaped: the line came from a stranger. */
function showable(line: Buffer): string {
  return line.toString('utf8', 0, Math.min(line.length, 200)).replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Folds one raw line; returns the record when it parsed (for callers that want more than totals). */
export function addPhpMailLogLine(sum: PhpMailLogSummary, line: Buffer, opts: PhpMailLogOptions): PhpMailRecord | null {
  sum.lines++;
  if (line.length === 0) return null;
  const notes: ZoneNotes = { unknownZones: sum.unknownZones };
  const parsed = parsePhpMailLogLine(line, opts.timezone, notes);
  const valid = parsed ? PhpMailRecordSchema.safeParse(parsed) : null;
  if (!valid?.success) {
    sum.unparsed++;
    if (sum.unparsedExamples.length < 5) sum.unparsedExamples.push(showable(line));
    return null;
  }
  addPhpMailRecord(sum, valid.data, opts);
  return valid.data;
}

/**
 * Reads PHP mail.log files (paths or globs, e.g. config.phpMailLog; rotated
 * files oldest first) into one summary. An unreadable file is a warning that
 * names it, not a failure.
 */
export async function readPhpMailLogs(patterns: string[], opts: PhpMailLogOptions): Promise<PhpMailLogSummary> {
  const sum = createPhpMailLogSummary();
  const expanded = await expandPaths(patterns);
  sum.warnings.push(...expanded.warnings);
  let overlong = 0;
  const read = await readLines(expanded.files, (buf, start, end) => {
    addPhpMailLogLine(sum, buf.subarray(start, end), opts);
  }, { maxLineBytes: 64 * 1024, onOverlong: () => { overlong++; } });
  sum.warnings.push(...read.warnings);
  // An overlong line is still a line that was not a usable record.
  sum.lines += overlong;
  sum.unparsed += overlong;
  if (sum.unparsed) sum.warnings.push(`PHP mail log: ${sum.unparsed} of ${sum.lines} lines were not mail() records and were skipped`);
  for (const [zone, n] of sum.unknownZones) {
    sum.warnings.push(`PHP mail log: unknown time zone '${zone.slice(0, 64)}' on ${n} lines, read as ${opts.timezone}`);
  }
  if (sum.droppedRecords) sum.warnings.push(`PHP mail log: more than ${opts.maxScripts ?? 10_000} scripts; ${sum.droppedRecords} records of further scripts were not summarized`);
  return sum;
}
