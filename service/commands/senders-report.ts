// The `senders` document (CONTRACT.md `senders`; fields may be added, never
// renamed) and its readable table. The aggregated result is checked once at
// the door, not each of the millions of lines behind it
// (docs/decisions/001-maillog-hot-path.md): the zod schema is the contract's
// text, checked against real documents in the tests; at run time
// senders-report-check.ts applies the same rules without copying the
// document (decision 012, last addendum).
import { z } from 'zod';
import type { BucketCounts } from '../analysis/counters.ts';
import type { MailFlow, SenderKind, SenderStats } from '../analysis/mail-flow.ts';
import { TallySenders } from '../analysis/mail-flow-tally.ts';
import type { SenderAcc } from '../analysis/sender-acc.ts';
import { escapeControls } from '../sources/bytes.ts';
import type { LogFileReport } from '../sources/log-files.ts';
import type { Passwd } from '../sources/passwd.ts';
import { formatIso } from '../time.ts';
import { checkSendersReport } from './senders-report-check.ts';

const count = z.number().int().nonnegative();
const iso = z.string().nullable();
const top = <K extends string>(key: K) => z.array(z.object({ [key]: z.string(), count } as Record<K, z.ZodString> & { count: typeof count }));

export const SenderRowSchema = z.object({
  kind: z.enum(['uid', 'sasl', 'client']),
  id: z.string(),
  login: z.string().optional(),             // uid senders: the passwd login
  messages: count, recipients: count, sent: count, deferred: count, bounced: count, rejected: count, limitRejected: count,
  firstSeen: iso, lastSeen: iso,
  peakHour: z.object({ start: z.string(), messages: count }).nullable(),
  fromAddresses: top('address'), clientIps: top('ip'), scripts: top('script'),
});
export type SenderRow = z.infer<typeof SenderRowSchema>;

export const SendersReportSchema = z.object({
  lines: count, unparsed: count, unparsedExamples: z.array(z.string()),
  messages: count, unattributed: count, reinjections: count, evicted: count,
  since: iso, until: iso, first: iso, last: iso,
  totals: z.object({ recipients: count, sent: count, deferred: count, bounced: count, rejected: count, limitRejected: count }),
  limitRejects: z.object({ total: count, handlerRejects: count, first: iso, last: iso, byFrom: top('from') }),
  senders: z.array(SenderRowSchema),
  files: z.array(z.object({ path: z.string(), lines: count, gzip: z.boolean(), complete: z.boolean() })),
  warnings: z.array(z.string()),
});
export type SendersReport = z.infer<typeof SendersReportSchema>;

/** What topOf reads: a Map of counts, or a TopK (counters.ts). */
export type Counts = { readonly size: number; forEach(fn: (count: number, key: string) => void): void };

/**
 * The n largest counts, most first, ties by key: what sorting the whole map and keeping n gave
 * (keys are distinct, so the order is total and the n kept are the same), without copying and
 * sorting every entry of ~10 000 senders' maps.
 */
export function topOf<K extends string>(map: Counts, key: K, n = 5): Array<Record<K, string> & { count: number }> {
  type Entry = Record<K, string> & { count: number };
  const out: Entry[] = [];
  if (map.size === 0) return out;
  const keys: string[] = [];
  const counts: number[] = [];
  map.forEach((c, k) => {
    const len = keys.length;
    if (len === n && !(c > counts[n - 1]! || (c === counts[n - 1] && k < keys[n - 1]!))) return;
    let i = len < n ? len : n - 1;     // the free place: a new last one, or the last one's (dropped)
    while (i > 0 && (c > counts[i - 1]! || (c === counts[i - 1] && k < keys[i - 1]!))) {
      keys[i] = keys[i - 1]!;
      counts[i] = counts[i - 1]!;
      i--;
    }
    keys[i] = k;
    counts[i] = c;
  });
  for (let i = 0; i < keys.length; i++) out.push({ [key]: keys[i]!, count: counts[i]! } as Entry);
  return out;
}

/** One sender's numbers as a row reads them, from its SenderStats or straight from its accumulator. */
type RowSource = {
  kind: SenderKind; id: string; messages: number; recipients: number; sent: number; deferred: number; bounced: number;
  rejected: number; limitRejected: number; firstSeen: number | null; lastSeen: number | null;
  peak: { start: number; messages: number } | null; from: Counts; ips: Counts; scripts: Counts;
};

const NONE: Counts = new Map<string, number>();

function fromStats(s: SenderStats): RowSource {
  return {
    kind: s.kind, id: s.id, messages: s.messages, recipients: s.recipients, sent: s.sent, deferred: s.deferred, bounced: s.bounced,
    rejected: s.rejected, limitRejected: s.limitRejected, firstSeen: s.firstSeen, lastSeen: s.lastSeen, peak: s.peakHour,
    from: s.fromAddresses, ips: s.clientIps, scripts: s.scripts,
  };
}

/** What fromStats(acc.toStats(hours)) gives, without building the SenderStats and its Maps. */
function fromAcc(a: SenderAcc, hours: BucketCounts): RowSource {
  const peak = hours.peak();
  return {
    kind: a.kind, id: a.id, messages: a.messages, recipients: a.recipients, sent: a.sent, deferred: a.deferred, bounced: a.bounced,
    rejected: a.rejected, limitRejected: a.limitRejected,
    firstSeen: a.first === Infinity ? null : a.first, lastSeen: a.last === -Infinity ? null : a.last,
    peak: peak && { start: peak.start, messages: peak.count },
    // A client sender is its IP (as SenderAcc.toStats says); only SASL users keep a list.
    from: a.from, ips: a.kind === 'client' ? { size: 1, forEach: (fn) => fn(a.messages, a.id) } : (a.ips ?? NONE), scripts: a.scripts ?? NONE,
  };
}

function senderRow(s: RowSource, passwd: Passwd | null, zone: string): SenderRow {
  const at = (ms: number | null) => (ms === null ? null : formatIso(ms, zone));
  const peak = s.peak && { start: formatIso(s.peak.start, zone), messages: s.peak.messages };
  const login = s.kind === 'uid' ? passwd?.byUid.get(Number(s.id))?.login : undefined;
  return {
    kind: s.kind, id: s.id, ...(login !== undefined ? { login } : {}),
    messages: s.messages, recipients: s.recipients, sent: s.sent, deferred: s.deferred, bounced: s.bounced,
    rejected: s.rejected, limitRejected: s.limitRejected, firstSeen: at(s.firstSeen), lastSeen: at(s.lastSeen), peakHour: peak,
    fromAddresses: topOf(s.from, 'address'), clientIps: topOf(s.ips, 'ip'), scripts: topOf(s.scripts, 'script'),
  };
}

/** Every sender's row source: straight from the accumulators after a pass, else from the (cached) SenderStats. */
function rowSources(senders: MailFlow['senders']): RowSource[] {
  const out: RowSource[] = [];
  if (senders instanceof TallySenders) for (const [acc, hours] of senders.accumulators()) out.push(fromAcc(acc, hours));
  else for (const s of senders.values()) out.push(fromStats(s));
  return out;
}

export type ReportInput = {
  flow: MailFlow; files: LogFileReport[]; warnings: string[]; passwd: Passwd | null; zone: string;
  since: number | undefined; until: number | undefined;
};

export function buildSendersReport(r: ReportInput): SendersReport {
  const at = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : formatIso(ms, r.zone));
  const { flow } = r;
  // Most messages first, then kind, then id.
  const senders = rowSources(flow.senders)
    .sort((a, b) => b.messages - a.messages || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((s) => senderRow(s, r.passwd, r.zone));
  const lr = flow.limitRejects;
  return checkSendersReport({
    lines: flow.lines, unparsed: flow.unparsed, unparsedExamples: flow.unparsedExamples,
    messages: flow.messages, unattributed: flow.unattributed, reinjections: flow.reinjections, evicted: flow.evicted,
    since: at(r.since), until: at(r.until), first: at(flow.firstTs), last: at(flow.lastTs),
    totals: flow.totals,
    limitRejects: { total: lr.total, handlerRejects: lr.handlerRejects, first: at(lr.first), last: at(lr.last), byFrom: topOf(lr.byFrom, 'from', 10) },
    senders,
    files: r.files.map((f) => ({ path: f.path, lines: f.lines, gzip: f.gzip, complete: f.complete })),
    warnings: r.warnings,
  });
}

const SHOWN = 50;

export function formatSendersText(rep: SendersReport): string {
  const out: string[] = [];
  const read = rep.files.filter((f) => f.lines > 0 || f.complete).length;
  out.push(`Mail log: ${read} of ${rep.files.length} files, ${rep.lines} lines (${rep.unparsed} unparsed), ${rep.messages} messages (${rep.unattributed} without a known sender)`);
  if (rep.first) out.push(`Period: ${rep.first} … ${rep.last}`);
  const lr = rep.limitRejects;
  if (lr.total || lr.handlerRejects) out.push(`Refused by the outgoing limit (OMC): ${lr.total} (limit-out handler lines: ${lr.handlerRejects}), ${lr.first} … ${lr.last}`);
  out.push('');
  const head = ['KIND', 'SENDER', 'MSGS', 'RCPTS', 'SENT', 'DEFER', 'BOUNCE', 'REJECT', 'LIMIT'];
  // Sender IDs come from the log (SASL names, envelope data): escaped before they reach a terminal.
  const rows = rep.senders.slice(0, SHOWN).map((s) => [
    s.kind, escapeControls(s.login ? `${s.id} (${s.login})` : s.id), s.messages, s.recipients, s.sent, s.deferred, s.bounced, s.rejected, s.limitRejected,
  ].map(String));
  if (rows.length === 0) out.push('No senders found.');
  else {
    const width = head.map((h, i) => Math.min(48, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
    const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.slice(0, width[i]).padEnd(width[i]!) : c.padStart(width[i]!))).join('  ').trimEnd();
    out.push(line(head), ...rows.map(line));
    if (rep.senders.length > SHOWN) out.push(`… ${rep.senders.length - SHOWN} more senders (--json lists all)`);
  }
  return `${out.join('\n')}\n`;
}
