// A MailFlow as plain JSON and back, for the cache of the mail-log pass
// (commands/mail-flow-pass.ts): Maps as flat [key, value, …] arrays in their
// order, each sender as one array, hour counts as deltas; in the cache, each
// sender and each UID's minutes a record of its own (flowRecords). A loaded
// flow reads exactly as the stored one; a sender or minute map is built when
// first read, a sender's hour maps when they are read, as before. The schema
// describes the stored form; what guards a read is the cache entry's header
// (state-cache.ts: the key, which includes this program's hash, and the
// sha256 of the text), so a torn, foreign or older file is a miss before
// anything in it is parsed.
import { z } from 'zod';
import { HOUR } from '../time.ts';
import { BucketCounts } from './counters.ts';
import type { LimitRejects, MailFlow, SenderKind, SenderStats } from './mail-flow.ts';
import { LazyMap } from './lazy-map.ts';
import { HOUR_COUNTS, withLazyHours, type HourCounts, type SenderAcc } from './sender-acc.ts';
import { TallySenders } from './mail-flow-tally.ts';

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
  return { ...storedRest(f), minuteByUid: [...f.minuteByUid].map(([uid, m]) => [uid, flat(m)]), senders: [...f.senders.values()].map(senderTuple) };
}

/** Everything but the senders and the per-minute counts. */
function storedRest(f: MailFlow): Omit<StoredFlow, 'senders' | 'minuteByUid'> {
  const lr = f.limitRejects;
  return {
    lines: f.lines, unparsed: f.unparsed, unparsedExamples: f.unparsedExamples, messages: f.messages,
    firstTs: f.firstTs, lastTs: f.lastTs, unattributed: f.unattributed, reinjections: f.reinjections, evicted: f.evicted,
    droppedSenders: f.droppedSenders, totals: f.totals,
    limitRejects: { total: lr.total, handlerRejects: lr.handlerRejects, hourly: flat(lr.hourly), byFrom: flat(lr.byFrom), first: lr.first, last: lr.last },
  };
}

function senderTuple(s: SenderStats): SenderTupleData {
  return [
    s.kind, s.id, s.messages, s.recipients, s.sent, s.deferred, s.bounced, s.rejected, s.limitRejected,
    s.firstSeen, s.lastSeen, s.peakHour?.start ?? null, s.peakHour?.messages ?? 0,
    hourDeltas(s, 'hours'), hourDeltas(s, 'limitHours'), flat(s.fromAddresses), flat(s.clientIps), flat(s.scripts),
  ];
}

/** senderTuple(acc.toStats(hours)), without building the stats. */
function accTuple(a: SenderAcc, hours: BucketCounts): SenderTupleData {
  const peak = hours.peak();
  return [
    a.kind, a.id, a.messages, a.recipients, a.sent, a.deferred, a.bounced, a.rejected, a.limitRejected,
    a.first === Infinity ? null : a.first, a.last === -Infinity ? null : a.last, peak?.start ?? null, peak?.count ?? 0,
    hours.toDeltas(), a.limitHours?.toDeltas() ?? [], a.from.flat(), a.kind === 'client' ? [a.id, a.messages] : (a.ips?.flat() ?? []), a.scripts?.flat() ?? [],
  ];
}

type SenderTupleData = StoredFlow['senders'][number];

function senderOf(t: SenderTupleData): SenderStats {
  const [kind, id, messages, recipients, sent, deferred, bounced, rejected, limitRejected, firstSeen, lastSeen, peakStart, peakMessages] = t;
  const s: SenderStats = {
    kind: kind as SenderKind, id, messages, recipients, sent, deferred, bounced, rejected, limitRejected, firstSeen, lastSeen,
    hourly: new Map(), limitRejectedHourly: new Map(), peakHour: peakStart === null ? null : { start: peakStart, messages: peakMessages },
    fromAddresses: unflat<string>(t[15]), clientIps: unflat<string>(t[16]), scripts: unflat<string>(t[17]),
  };
  const limitHours = t[14].length > 0 ? BucketCounts.fromDeltas(HOUR, t[14]) : null;
  return withLazyHours(s, BucketCounts.fromDeltas(HOUR, t[13]), limitHours);
}

/**
 * The cache's form of a flow: a head (everything but the senders and the
 * per-minute counts, plus their keys) and one JSON text per sender, then one
 * per UID's minutes. A cached `diagnose` reads the few senders of one
 * subscription out of ~10 000: parsing and building all of them was most of
 * its time, so each record is parsed when its value is first read.
 */
export type FlowHead = Omit<StoredFlow, 'senders' | 'minuteByUid'> & { senderKeys: string[]; minuteUids: number[] };

export function flowRecords(f: MailFlow): { records: Iterable<string>; head: () => FlowHead } {
  // Each record is made when asked for: written at once, it is garbage before the next collection
  // (held until all were made, they were copied by every scavenge of the tail: decision 017).
  function* records(): Generator<string> {
    // After a pass, straight from the accumulators (no SenderStats, no Maps built for the entry); the same text.
    if (f.senders instanceof TallySenders) for (const [acc, hours] of f.senders.accumulators()) yield JSON.stringify(accTuple(acc, hours));
    else for (const s of f.senders.values()) yield JSON.stringify(senderTuple(s));
    for (const m of f.minuteByUid.values()) yield JSON.stringify(flat(m));
  }
  const head = (): FlowHead => ({
    ...storedRest(f), senderKeys: [...f.senders.keys()], minuteUids: [...f.minuteByUid.keys()],
  });
  return { records: records(), head };
}

/** The flow flowRecords() stored; `record(i)` gives the i-th record's text (called once per record, when its value is first read). */
export function loadFlow(head: FlowHead, record: (i: number) => string): MailFlow {
  const lr = head.limitRejects;
  const limitRejects: LimitRejects = {
    total: lr.total, handlerRejects: lr.handlerRejects, hourly: unflat<number>(lr.hourly), byFrom: unflat<string>(lr.byFrom), first: lr.first, last: lr.last,
  };
  const n = head.senderKeys.length;
  return {
    lines: head.lines, unparsed: head.unparsed, unparsedExamples: head.unparsedExamples, messages: head.messages, firstTs: head.firstTs, lastTs: head.lastTs,
    senders: new LazyMap(head.senderKeys, (i) => senderOf(JSON.parse(record(i)) as SenderTupleData)),
    limitRejects,
    minuteByUid: new LazyMap(head.minuteUids, (i) => unflat<number>(JSON.parse(record(n + i)) as number[])),
    totals: head.totals, unattributed: head.unattributed, reinjections: head.reinjections, evicted: head.evicted, droppedSenders: head.droppedSenders,
  };
}
