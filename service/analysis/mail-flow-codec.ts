// A MailFlow as plain JSON and back, for the cache of the mail-log pass
// (commands/mail-flow-pass.ts): Maps as flat [key, value, …] arrays in their
// order, each sender as one array, hour counts as deltas. load(store(f))
// gives a flow that reads exactly as f, hour maps built on first read as
// before. The stored form is checked with zod when it is read back (a file
// on disk is a door).
import { z } from 'zod';
import { HOUR } from '../time.ts';
import { BucketCounts } from './counters.ts';
import type { LimitRejects, MailFlow, SenderKind, SenderStats } from './mail-flow.ts';
import { HOUR_COUNTS, withLazyHours, type HourCounts } from './sender-acc.ts';

const num = z.number();
const int = z.number().int();
const time = z.number().nullable();
const nums = z.array(num);
const keyed = z.array(z.union([z.string(), num]));   // [key, count, key, count, …]

const SenderTuple = z.tuple([
  z.enum(['uid', 'sasl', 'client']), z.string(),
  int, int, int, int, int, int, int,                 // messages recipients sent deferred bounced rejected limitRejected
  time, time, time, int,                             // firstSeen lastSeen peakStart peakMessages
  nums, nums,                                        // hourly, limitRejectedHourly (BucketCounts deltas)
  keyed, keyed, keyed,                               // fromAddresses clientIps scripts
]);

export const StoredFlowSchema = z.object({
  lines: int, unparsed: int, unparsedExamples: z.array(z.string()), messages: int,
  firstTs: time, lastTs: time, unattributed: int, reinjections: int, evicted: int, droppedSenders: int,
  totals: z.object({ recipients: int, sent: int, deferred: int, bounced: int, rejected: int, limitRejected: int }),
  limitRejects: z.object({ total: int, handlerRejects: int, hourly: nums, byFrom: keyed, first: time, last: time }),
  minuteByUid: z.array(z.tuple([int, nums])),
  senders: z.array(SenderTuple),
});
export type StoredFlow = z.infer<typeof StoredFlowSchema>;

function flat<K extends string | number>(map: Map<K, number>): Array<K | number> {
  const out: Array<K | number> = [];
  for (const [k, v] of map) out.push(k, v);
  return out;
}

function unflat<K extends string | number>(pairs: Array<string | number>): Map<K, number> {
  const m = new Map<K, number>();
  for (let i = 0; i + 1 < pairs.length; i += 2) m.set(pairs[i] as K, pairs[i + 1] as number);
  return m;
}

function hourDeltas(s: SenderStats, which: keyof HourCounts): number[] {
  const compact = (s as SenderStats & { [HOUR_COUNTS]?: HourCounts })[HOUR_COUNTS];
  if (compact) return compact[which]?.toDeltas() ?? [];
  const c = new BucketCounts(HOUR);
  for (const [start, n] of which === 'hours' ? s.hourly : s.limitRejectedHourly) c.add(start, n);
  return c.toDeltas();
}

export function storeFlow(f: MailFlow): StoredFlow {
  const lr = f.limitRejects;
  return {
    lines: f.lines, unparsed: f.unparsed, unparsedExamples: f.unparsedExamples, messages: f.messages,
    firstTs: f.firstTs, lastTs: f.lastTs, unattributed: f.unattributed, reinjections: f.reinjections, evicted: f.evicted,
    droppedSenders: f.droppedSenders, totals: f.totals,
    limitRejects: { total: lr.total, handlerRejects: lr.handlerRejects, hourly: flat(lr.hourly), byFrom: flat(lr.byFrom), first: lr.first, last: lr.last },
    minuteByUid: [...f.minuteByUid].map(([uid, m]) => [uid, flat(m)]),
    senders: [...f.senders.values()].map((s) => [
      s.kind, s.id, s.messages, s.recipients, s.sent, s.deferred, s.bounced, s.rejected, s.limitRejected,
      s.firstSeen, s.lastSeen, s.peakHour?.start ?? null, s.peakHour?.messages ?? 0,
      hourDeltas(s, 'hours'), hourDeltas(s, 'limitHours'), flat(s.fromAddresses), flat(s.clientIps), flat(s.scripts),
    ]),
  };
}

export function loadFlow(d: StoredFlow): MailFlow {
  const lr = d.limitRejects;
  const limitRejects: LimitRejects = {
    total: lr.total, handlerRejects: lr.handlerRejects, hourly: unflat<number>(lr.hourly), byFrom: unflat<string>(lr.byFrom), first: lr.first, last: lr.last,
  };
  const senders = new Map<string, SenderStats>();
  for (const t of d.senders) {
    const [kind, id, messages, recipients, sent, deferred, bounced, rejected, limitRejected, firstSeen, lastSeen, peakStart, peakMessages] = t;
    const s: SenderStats = {
      kind: kind as SenderKind, id, messages, recipients, sent, deferred, bounced, rejected, limitRejected, firstSeen, lastSeen,
      hourly: new Map(), limitRejectedHourly: new Map(), peakHour: peakStart === null ? null : { start: peakStart, messages: peakMessages },
      fromAddresses: unflat<string>(t[15]), clientIps: unflat<string>(t[16]), scripts: unflat<string>(t[17]),
    };
    const limitHours = t[14].length > 0 ? BucketCounts.fromDeltas(HOUR, t[14]) : null;
    senders.set(`${kind}:${id}`, withLazyHours(s, BucketCounts.fromDeltas(HOUR, t[13]), limitHours));
  }
  return {
    lines: d.lines, unparsed: d.unparsed, unparsedExamples: d.unparsedExamples, messages: d.messages, firstTs: d.firstTs, lastTs: d.lastTs,
    senders, limitRejects, minuteByUid: new Map(d.minuteByUid.map(([uid, m]) => [uid, unflat<number>(m)])),
    totals: d.totals, unattributed: d.unattributed, reinjections: d.reinjections, evicted: d.evicted, droppedSenders: d.droppedSenders,
  };
}
