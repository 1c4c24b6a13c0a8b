// Raw log lines → counters, through the parsers the scans use (no second
// Postfix parser): maillog-line.ts for Postfix/Plesk lines, php-maillog-line.ts
// for PHP's mail.log, access-log.ts for web logs. Lines that look like ours
// but do not parse are counted (garbled) with a few examples, and skipped.
import { LINE, MaillogLineParser, createMaillogEvent } from '../sources/maillog-line.ts';
import { PhpMailRecordSchema, parsePhpMailLogLine } from '../sources/php-maillog-line.ts';
import { parseAccessLogLine, vhostFromLogPath } from '../sources/access-log.ts';
import { showableLine } from '../sources/bytes.ts';
import type { LiveCounters } from './counters.ts';

export const LOG_KINDS = ['maillog', 'phpMailLog', 'accessLogs'] as const;
export type LogKind = (typeof LOG_KINDS)[number];

export type IngestStats = Record<LogKind, { lines: number; garbled: number }> & { examples: string[] };

export type Ingest = {
  line(kind: LogKind, buf: Buffer, start: number, end: number, file: { path: string; mtimeMs: number }, now: number): void;
  stats: IngestStats;
};

export function createIngest(counters: LiveCounters, zone: string): Ingest {
  const parser = new MaillogLineParser(zone);
  const event = createMaillogEvent();
  const stats: IngestStats = { maillog: { lines: 0, garbled: 0 }, phpMailLog: { lines: 0, garbled: 0 }, accessLogs: { lines: 0, garbled: 0 }, examples: [] };
  let lastFile = '';
  let lastRef = 0;
  const garbled = (kind: LogKind, buf: Buffer, s: number, e: number) => {
    stats[kind].garbled++;
    if (stats.examples.length < 5) stats.examples.push(`${kind}: ${showableLine(buf, s, e)}`);
  };
  return {
    stats,
    line(kind, buf, s, e, file, now) {
      stats[kind].lines++;
      if (kind === 'maillog') {
        // Year inference of classic timestamps: the file cannot hold lines later than its mtime (or now).
        const ref = Math.min(file.mtimeMs, now);
        if (file.path !== lastFile || Math.floor(ref / 86_400_000) !== Math.floor(lastRef / 86_400_000)) {
          parser.startFile(ref);
          lastFile = file.path;
          lastRef = ref;
        }
        const r = parser.parse(buf, s, e, event);
        if (r === LINE.event) counters.addMaillogEvent(event, now);
        else if (r === LINE.unparsed) garbled(kind, buf, s, e);
        return;
      }
      if (e === s) return;
      if (kind === 'phpMailLog') {
        const rec = parsePhpMailLogLine(buf.subarray(s, e), zone);
        const ok = rec ? PhpMailRecordSchema.safeParse(rec) : null;
        if (ok?.success) counters.addPhpMail(ok.data, now);
        else garbled(kind, buf, s, e);
        return;
      }
      const rec = parseAccessLogLine(buf.subarray(s, e), vhostFromLogPath(file.path));
      if (rec) counters.addAccess(rec, now);
      else garbled(kind, buf, s, e);
    },
  };
}
