// One sender while counting: plain number fields and compact counters, the
// optional ones created on first use. On a 1 GB log there are ~10 000 senders;
// the SenderStats of the MailFlow contract (with its Maps) is built once, at the end.
// Its messages per hour are counted for all senders together (hour-log.ts).
import { HOUR } from '../time.ts';
import { BucketCounts, TopK } from './counters.ts';
import type { SenderKind, SenderStats } from './mail-flow.ts';

const TOP = 20;           // fromAddresses / clientIps / scripts kept per sender

export class SenderAcc {
  messages = 0;
  recipients = 0;
  sent = 0;
  deferred = 0;
  bounced = 0;
  rejected = 0;
  limitRejected = 0;
  first = Infinity;
  last = -Infinity;
  readonly from = new TopK(TOP);
  limitHours: BucketCounts | null = null;
  ips: TopK | null = null;
  scripts: TopK | null = null;
  // The current run of messages of one envelope sender, counted here and handed
  // to the counters when it ends (settle): thousands of senders are touched at
  // random, and each object less to load is a cache miss less.
  private runFrom: string | null = null;
  private fromRun = 0;

  /** `ord`: this sender's number in order of creation, 0, 1, 2… (submit-log.ts groups by it). */
  constructor(readonly kind: SenderKind, readonly id: string, readonly ord: number) {}

  submitted(at: number, recipients: number, from: string | null, clientIp: string): void {
    this.messages++;
    this.recipients += recipients;
    if (at < this.first) this.first = at;
    if (at > this.last) this.last = at;
    if (from !== null) {
      if (from !== this.runFrom) {
        if (this.fromRun > 0) this.from.add(this.runFrom!, this.fromRun);
        this.runFrom = from;
        this.fromRun = 0;
      }
      this.fromRun++;
    }
    // A client sender is its IP; only SASL users are worth a list of addresses.
    if (clientIp && this.kind === 'sasl') (this.ips ??= new TopK(TOP)).add(clientIp);
  }

  /** Hands the current run of envelope senders to `from`: call before reading `from` (toStats does). */
  settle(): void {
    if (this.fromRun > 0) this.from.add(this.runFrom!, this.fromRun);
    this.fromRun = 0;
    this.runFrom = null;
  }

  limitRefused(at: number): void {
    this.limitRejected++;
    (this.limitHours ??= new BucketCounts(HOUR)).add(at);
  }

  script(value: string): void {
    (this.scripts ??= new TopK(TOP)).add(value);
  }

  /** `hours`: this sender's messages per hour (HourLog.bySender). */
  toStats(hours: BucketCounts): SenderStats {
    this.settle();
    const peak = hours.peak();
    const s: SenderStats = {
      kind: this.kind, id: this.id, messages: this.messages, recipients: this.recipients, sent: this.sent, deferred: this.deferred,
      bounced: this.bounced, rejected: this.rejected, limitRejected: this.limitRejected,
      firstSeen: this.first === Infinity ? null : this.first, lastSeen: this.last === -Infinity ? null : this.last,
      hourly: new Map(), limitRejectedHourly: new Map(), peakHour: peak && { start: peak.start, messages: peak.count },
      fromAddresses: this.from.toMap(), scripts: this.scripts?.toMap() ?? new Map(),
      clientIps: this.kind === 'client' ? new Map([[this.id, this.messages]]) : (this.ips?.toMap() ?? new Map()),
    };
    return withLazyHours(s, hours, this.limitHours);
  }
}

/** The compact hour counts behind a SenderStats' lazy `hourly` maps (for storing them: mail-flow-codec.ts). */
export const HOUR_COUNTS = Symbol('hour counts');
export type HourCounts = { hours: BucketCounts | null; limitHours: BucketCounts | null };

/**
 * `hourly` becomes a Map only when someone reads it: on a 1 GB log the hour
 * Maps of all senders take ~60 MB, `senders` needs only the peak (memory
 * budget of issue 2), and diagnose reads the few senders of one subscription.
 */
export function withLazyHours(s: SenderStats, hours: BucketCounts | null, limitHours: BucketCounts | null): SenderStats {
  lazyMap(s, 'hourly', hours);
  lazyMap(s, 'limitRejectedHourly', limitHours);
  Object.defineProperty(s, HOUR_COUNTS, { value: { hours, limitHours } satisfies HourCounts });
  return s;
}

function lazyMap(s: SenderStats, key: 'hourly' | 'limitRejectedHourly', counts: BucketCounts | null): void {
  let built: Map<number, number> | null = null;
  Object.defineProperty(s, key, {
    enumerable: true, configurable: true,
    get: () => (built ??= counts?.toMap() ?? new Map()),
    set: (v: Map<number, number>) => {
      built = v;
    },
  });
}
