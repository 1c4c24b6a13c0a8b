// One sender while counting: plain number fields and compact counters, the
// optional ones created on first use. On a 1 GB log there are ~10 000 senders;
// the SenderStats of the MailFlow contract (with its Maps) is built once, at the end.
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
  readonly hours = new BucketCounts(HOUR);
  readonly from = new TopK(TOP);
  limitHours: BucketCounts | null = null;
  ips: TopK | null = null;
  scripts: TopK | null = null;

  constructor(readonly kind: SenderKind, readonly id: string) {}

  submitted(at: number, recipients: number, from: string | null, clientIp: string): void {
    this.messages++;
    this.recipients += recipients;
    if (at < this.first) this.first = at;
    if (at > this.last) this.last = at;
    this.hours.add(at);
    if (from !== null) this.from.add(from);
    // A client sender is its IP; only SASL users are worth a list of addresses.
    if (clientIp && this.kind === 'sasl') (this.ips ??= new TopK(TOP)).add(clientIp);
  }

  limitRefused(at: number): void {
    this.limitRejected++;
    (this.limitHours ??= new BucketCounts(HOUR)).add(at);
  }

  script(value: string): void {
    (this.scripts ??= new TopK(TOP)).add(value);
  }

  toStats(): SenderStats {
    const peak = this.hours.peak();
    const s: SenderStats = {
      kind: this.kind, id: this.id, messages: this.messages, recipients: this.recipients, sent: this.sent, deferred: this.deferred,
      bounced: this.bounced, rejected: this.rejected, limitRejected: this.limitRejected,
      firstSeen: this.first === Infinity ? null : this.first, lastSeen: this.last === -Infinity ? null : this.last,
      hourly: new Map(), limitRejectedHourly: new Map(), peakHour: peak && { start: peak.start, messages: peak.count },
      fromAddresses: this.from.toMap(), scripts: this.scripts?.toMap() ?? new Map(),
      clientIps: this.kind === 'client' ? new Map([[this.id, this.messages]]) : (this.ips?.toMap() ?? new Map()),
    };
    lazyMap(s, 'hourly', this.hours);
    lazyMap(s, 'limitRejectedHourly', this.limitHours);
    return s;
  }
}

/**
 * `hourly` becomes a Map only when someone reads it: on a 1 GB log the hour
 * Maps of all senders take ~60 MB, `senders` needs only the peak (memory
 * budget of issue 2), and diagnose reads the few senders of one subscription.
 */
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
