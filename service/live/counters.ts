// Live counters: per source (a script path from PHP's mail.log, a UID from
// Postfix's pickup, an SMTP-AUTH mailbox from smtpd's sasl_username, and a
// vhost's 404s on .php for probing) and per subscription, per minute (48 h)
// and per hour (35 days): series.ts. Fed by the existing parsers
// (maillog-line.ts events, php-maillog-line.ts records, access-log.ts records).
//
// Memory is bounded whatever the server: at most `maxSources` sources (the
// least recently active is evicted first, and `evicted` says how many were),
// subscriptions only as many as psa has, queue IDs remembered only until
// Postfix's `removed` line or `maxQueue` of them.
//
// What is counted:
// - a message of a subscription: a pickup (uid=, local submission, PHP's
//   sendmail included) or an smtpd client line with sasl_username (SMTP AUTH);
// - a reject: Postfix's milter-reject/reject carrying OMC's limit text
//   [V reference/plesk.md §1.7], tied to the submission through its queue ID
//   (else to the sender's domain). psa-pc-remote's `REJECT during call
//   'limit-out' handler` line is the same refusal seen by the milter: counted
//   apart (handlerRejects), never twice;
// - a script's mail: a mail.log record (the same message is also a pickup of
//   the subscription's UID: script counts refine, they do not add).
import type { MaillogEvent } from '../sources/maillog-line.ts';
import type { PhpMailRecord } from '../sources/php-maillog-line.ts';
import type { AccessRecord } from '../sources/access-log.ts';
import type { QueueKey } from '../sources/queue-key.ts';
import { isText, LIMIT_OUT, REJECT } from '../analysis/event-text.ts';
import { z } from 'zod';
import { ChunkLedger, HOUR_WINDOW_MS, Series, type SeriesMeta, type StoredSeries } from './series.ts';
import { EMPTY_DIRECTORY, type LiveDirectory } from './directory.ts';
import { HOUR, MINUTE } from '../time.ts';

export const SOURCE_KINDS = ['script', 'system-user', 'mailbox', 'vhost'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export type LiveSource = {
  key: string;                      // `script:/path`, `uid:10001`, `sasl:info@example.jp`, `vhost:example.jp`
  kind: SourceKind;
  id: string;
  subscriptionId: number | null;
  messages: Series;                 // vhost: 404 answers to .php requests
  rejects: Series | null;
  touchedMinute: number;
};

export type SubscriptionCounts = { messages: Series; rejects: Series };

export type CounterStats = {
  sources: number;
  evicted: number;                  // sources dropped to stay under maxSources
  queueIds: number;
  unattributed: number;             // messages/rejects that no subscription could be found for
  handlerRejects: number;           // psa-pc-remote limit-out REJECT lines
  tooOld: number;                   // events older than the 35-day window (or far in the future): not counted
};

const StatsSchema = z.object({ sources: z.number(), evicted: z.number(), queueIds: z.number(), unattributed: z.number(), handlerRejects: z.number(), tooOld: z.number() });
const TotalsSchema = z.array(z.tuple([z.string(), z.number(), z.number()]));

/** v1: everything in checkpoint.json (read for existing installs, no longer written). */
const StoredSeriesSchema = z.object({ m: z.array(z.array(z.number())), h: z.array(z.array(z.number())), total: z.number(), first: z.number(), last: z.number() });
export const StoredCountersSchema = z.object({
  v: z.literal(1),
  sources: z.array(z.object({ key: z.string(), kind: z.enum(SOURCE_KINDS), id: z.string(), messages: StoredSeriesSchema, rejects: StoredSeriesSchema.nullable() })),
  subscriptions: z.array(z.object({ id: z.number().int(), messages: StoredSeriesSchema, rejects: StoredSeriesSchema })),
  totals: TotalsSchema,
  stats: StatsSchema,
});
export type StoredCounters = { v: 1; sources: Array<{ key: string; kind: SourceKind; id: string; messages: StoredSeries; rejects: StoredSeries | null }>; subscriptions: Array<{ id: number; messages: StoredSeries; rejects: StoredSeries }>; totals: Array<[string, number, number]>; stats: CounterStats };

/** v2: the metadata only, tuples to keep checkpoint.json small (20,000 sources: ~1.5 MB); the chunks are in the segment files, by sid. */
const sid = z.number().int().positive().max(0xffff_ffff);
const SeriesMetaSchema = z.tuple([sid, z.number(), z.number(), z.number()]);
export const CountersMetaSchema = z.object({
  v: z.literal(2),
  nextSid: z.number().int().positive(),
  sources: z.array(z.tuple([z.string(), z.enum(SOURCE_KINDS), z.string(), SeriesMetaSchema, SeriesMetaSchema.nullable()])),
  subscriptions: z.array(z.tuple([z.number().int(), SeriesMetaSchema, SeriesMetaSchema])),
  totals: TotalsSchema,
  stats: StatsSchema,
});
export type CountersMeta = {
  v: 2; nextSid: number;
  sources: Array<[key: string, kind: SourceKind, id: string, messages: SeriesMeta, rejects: SeriesMeta | null]>;
  subscriptions: Array<[id: number, messages: SeriesMeta, rejects: SeriesMeta]>;
  totals: Array<[string, number, number]>; stats: CounterStats;
};

export class LiveCounters {
  readonly sources = new Map<string, LiveSource>();
  readonly subscriptions = new Map<number, SubscriptionCounts>();
  /** Cumulative messages/rejects by `${subscriptionId}|${kind}` since the counters began (for /metrics). */
  readonly totals = new Map<string, { messages: number; rejects: number }>();
  /** Sources and subscriptions touched since the last takeDirty(): what detection looks at next. */
  private dirtySources = new Set<string>();
  private dirtySubs = new Set<number>();
  private readonly queue = new Map<QueueKey, string>();
  readonly stats: CounterStats = { sources: 0, evicted: 0, queueIds: 0, unattributed: 0, handlerRejects: 0, tooOld: 0 };
  /** Sids and changed chunks of all the series below, for the incremental checkpoint (series.ts). */
  readonly ledger = new ChunkLedger();
  private dir: LiveDirectory = EMPTY_DIRECTORY;
  private readonly maxSources: number;
  private readonly maxQueue: number;
  private prunedHour = NaN;
  /** The newest instant seen in any log: events are judged against it, not the wall clock. */
  latest = 0;

  constructor(o: { maxSources?: number; maxQueue?: number } = {}) {
    this.maxSources = o.maxSources ?? 20_000;
    this.maxQueue = o.maxQueue ?? 100_000;
  }

  setDirectory(dir: LiveDirectory): void {
    this.dir = dir;
    for (const s of this.sources.values()) s.subscriptionId = this.subscriptionOf(s.kind, s.id);
  }

  directory(): LiveDirectory {
    return this.dir;
  }

  takeDirty(): { sources: string[]; subscriptions: number[] } {
    const out = { sources: [...this.dirtySources], subscriptions: [...this.dirtySubs] };
    this.dirtySources.clear();
    this.dirtySubs.clear();
    return out;
  }

  private subscriptionOf(kind: SourceKind, id: string): number | null {
    switch (kind) {
      case 'system-user': return this.dir.byUid(Number(id));
      case 'mailbox': return this.dir.byMailbox(id);
      case 'script': return this.dir.byPath(id);
      case 'vhost': return this.dir.byDomain(id);
    }
  }

  private inWindow(ts: number, now: number): boolean {
    if (ts > this.latest && ts <= now + 3600_000) this.latest = ts;
    if (ts < now - HOUR_WINDOW_MS || ts > now + 3600_000) {
      this.stats.tooOld++;
      return false;
    }
    return true;
  }

  private source(kind: SourceKind, id: string, ts: number): LiveSource {
    const key = `${kind === 'system-user' ? 'uid' : kind === 'mailbox' ? 'sasl' : kind}:${id}`;
    const minute = Math.floor(ts / MINUTE);
    let s = this.sources.get(key);
    if (s) {
      // Re-inserted at most once a minute: the Map's order is then least recently active first.
      if (minute > s.touchedMinute) {
        this.sources.delete(key);
        this.sources.set(key, s);
        s.touchedMinute = minute;
      }
      return s;
    }
    while (this.sources.size >= this.maxSources) {
      const oldest = this.sources.keys().next().value as string;
      this.sources.delete(oldest);
      this.stats.evicted++;
    }
    s = { key, kind, id, subscriptionId: this.subscriptionOf(kind, id), messages: new Series(this.ledger), rejects: null, touchedMinute: minute };
    this.sources.set(key, s);
    this.stats.sources = this.sources.size;
    return s;
  }

  private sub(id: number): SubscriptionCounts {
    let c = this.subscriptions.get(id);
    if (!c) this.subscriptions.set(id, (c = { messages: new Series(this.ledger), rejects: new Series(this.ledger) }));
    return c;
  }

  private total(subId: number | null, kind: SourceKind, messages: number, rejects: number): void {
    const k = `${subId ?? 'none'}|${kind}`;
    const t = this.totals.get(k);
    if (t) {
      t.messages += messages;
      t.rejects += rejects;
    } else this.totals.set(k, { messages, rejects });
  }

  private message(kind: 'system-user' | 'mailbox', id: string, e: MaillogEvent): void {
    const s = this.source(kind, id, e.ts);
    s.messages.add(e.ts);
    this.dirtySources.add(s.key);
    if (s.subscriptionId !== null) {
      this.sub(s.subscriptionId).messages.add(e.ts);
      this.dirtySubs.add(s.subscriptionId);
    } else this.stats.unattributed++;
    this.total(s.subscriptionId, kind, 1, 0);
    if (e.qkey !== '') {
      this.queue.set(e.qkey, s.key);
      if (this.queue.size > this.maxQueue) this.queue.delete(this.queue.keys().next().value as QueueKey);
    }
  }

  /** One Postfix/Plesk event (the parser's reused object: nothing of it is kept). */
  addMaillogEvent(e: MaillogEvent, now: number): void {
    switch (e.kind) {
      case 'pickup':
        if (e.uid >= 0 && this.inWindow(e.ts, now)) this.message('system-user', String(e.uid), e);
        return;
      case 'client':
        if (e.saslE > e.saslS && this.inWindow(e.ts, now)) this.message('mailbox', e.sasl.toLowerCase(), e);
        return;
      case 'removed':
        this.queue.delete(e.qkey);
        return;
      case 'handler':
        if (isText(e.buf, e.valueS, e.valueE, REJECT, false) && isText(e.buf, e.nameS, e.nameE, LIMIT_OUT, false)) this.stats.handlerRejects++;
        return;
      case 'reject': {
        if (!e.limit || !this.inWindow(e.ts, now)) return;
        const key = e.qkey === '' ? undefined : this.queue.get(e.qkey);
        const s = key === undefined ? undefined : this.sources.get(key);
        let subId: number | null;
        let kind: SourceKind = 'system-user';
        if (s) {
          (s.rejects ??= new Series(this.ledger)).add(e.ts);
          this.dirtySources.add(s.key);
          subId = s.subscriptionId;
          kind = s.kind;
        } else {
          const from = e.from;
          const at = from.lastIndexOf('@');
          subId = at > 0 ? this.dir.byDomain(from.slice(at + 1)) : null;
        }
        if (subId !== null) {
          this.sub(subId).rejects.add(e.ts);
          this.dirtySubs.add(subId);
        } else this.stats.unattributed++;
        this.total(subId, kind, 0, 1);
        return;
      }
      default:
    }
  }

  /** One PHP mail.log record: the script that called mail(). Untimed records count at `now`. */
  addPhpMail(r: PhpMailRecord, now: number): void {
    const ts = r.ts ?? now;
    if (!this.inWindow(ts, now)) return;
    const s = this.source('script', r.path, ts);
    s.messages.add(ts);
    this.dirtySources.add(s.key);
    this.total(s.subscriptionId, 'script', 1, 0);
  }

  /** One web request: only a 404 for a .php file counts (probing for scripts, DESIGN.md §1). */
  addAccess(r: AccessRecord, now: number): void {
    if (r.status !== 404 || !r.path || !r.vhost || !/\.php$/i.test(r.path) || !this.inWindow(r.ts, now)) return;
    const s = this.source('vhost', r.vhost.toLowerCase(), r.ts);
    s.messages.add(r.ts);
    this.dirtySources.add(s.key);
  }

  /**
   * Drops old chunks of quiet series (call now and then: a busy series prunes
   * itself). The windows move by whole hours: within the hour of the last
   * call it does nothing (says false) and costs nothing (4,000 series: ~5-15 ms saved per checkpoint).
   */
  prune(now: number): boolean {
    const hour = Math.floor(now / HOUR);
    if (hour === this.prunedHour) return false;
    this.prunedHour = hour;
    for (const s of this.sources.values()) {
      s.messages.prune(now);
      s.rejects?.prune(now);
    }
    for (const c of this.subscriptions.values()) {
      c.messages.prune(now);
      c.rejects.prune(now);
    }
    return true;
  }

  approxBytes(): number {
    let b = this.queue.size * 80;
    for (const s of this.sources.values()) b += 200 + s.key.length * 2 + s.messages.bytes() + (s.rejects?.bytes() ?? 0);
    for (const c of this.subscriptions.values()) b += 100 + c.messages.bytes() + c.rejects.bytes();
    return b;
  }

  /** Every series, sources' first (in their least-recently-active order), then subscriptions'. */
  *allSeries(): Generator<Series> {
    for (const s of this.sources.values()) {
      yield s.messages;
      if (s.rejects) yield s.rejects;
    }
    for (const c of this.subscriptions.values()) {
      yield c.messages;
      yield c.rejects;
    }
  }

  /**
   * Sids are u32 in the segment files and never reused: should they run out
   * (a million new series a day for 11 years), they are given again from 1
   * and every chunk is rewritten.
   */
  renumberSeriesIfNeeded(limit = 0xffff_ffff): boolean {
    if (this.ledger.nextSid <= limit) return false;
    this.ledger.nextSid = 1;
    for (const s of this.allSeries()) {
      s.sid = this.ledger.nextSid++;
      s.markAllChanged();
    }
    return true;
  }

  /** What checkpoint.json keeps (the chunks go to the segment files). */
  storeMeta(): CountersMeta {
    this.stats.queueIds = this.queue.size;
    const sources: CountersMeta['sources'] = [];
    for (const s of this.sources.values()) sources.push([s.key, s.kind, s.id, s.messages.meta(), s.rejects?.meta() ?? null]);
    const subscriptions: CountersMeta['subscriptions'] = [];
    for (const [id, c] of this.subscriptions) subscriptions.push([id, c.messages.meta(), c.rejects.meta()]);
    const totals: CountersMeta['totals'] = [];
    for (const [k, t] of this.totals) totals.push([k, t.messages, t.rejects]);
    return { v: 2, nextSid: this.ledger.nextSid, sources, subscriptions, totals, stats: { ...this.stats } };
  }

  /** Counters of the metadata, with no chunks yet: the caller restores them by sid (`allSeries`), from the segment files. */
  static loadMeta(meta: CountersMeta, o: { maxSources?: number; maxQueue?: number } = {}): LiveCounters {
    const c = new LiveCounters(o);
    const l = c.ledger;
    for (const [key, kind, id, m, r] of meta.sources) {
      const messages = Series.fromMeta(l, m);
      c.sources.set(key, { key, kind, id, subscriptionId: null, messages, rejects: r ? Series.fromMeta(l, r) : null, touchedMinute: Math.floor(messages.last / MINUTE) });
    }
    for (const [id, m, r] of meta.subscriptions) c.subscriptions.set(id, { messages: Series.fromMeta(l, m), rejects: Series.fromMeta(l, r) });
    for (const [k, m, r] of meta.totals) c.totals.set(k, { messages: m, rejects: r });
    Object.assign(c.stats, meta.stats, { sources: c.sources.size });
    let top = 0;
    for (const s of c.allSeries()) top = Math.max(top, s.sid);
    l.nextSid = Math.max(meta.nextSid, top + 1);   // a new series never takes a sid in use
    return c;
  }

  /** Restores counters of the v1 format (queue IDs are not kept: a reject right after a restart may go to the sender's domain). */
  static load(stored: StoredCounters, o: { maxSources?: number; maxQueue?: number } = {}): LiveCounters {
    const c = new LiveCounters(o);
    const l = c.ledger;
    for (const s of stored.sources) {
      const messages = Series.load(s.messages, l);
      c.sources.set(s.key, { key: s.key, kind: s.kind, id: s.id, subscriptionId: null, messages, rejects: s.rejects ? Series.load(s.rejects, l) : null, touchedMinute: Math.floor(messages.last / MINUTE) });
    }
    for (const s of stored.subscriptions) c.subscriptions.set(s.id, { messages: Series.load(s.messages, l), rejects: Series.load(s.rejects, l) });
    for (const [k, m, r] of stored.totals) c.totals.set(k, { messages: m, rejects: r });
    Object.assign(c.stats, stored.stats, { sources: c.sources.size });
    return c;
  }
}
