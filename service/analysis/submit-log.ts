// Submissions held back and handed to their senders in groups, each sender's
// in its own order. On a 1 GB log ~10,000 senders are touched at random, one
// message each time, and by then a sender's counters (its hour buckets, its
// top addresses) have left the CPU cache; handed over grouped, a sender's
// counters are loaded once per group. The result is the same as calling
// `submitted` at once: a sender's counters depend only on its own submissions
// and their order, and nothing reads them before `flush` (finish, toStats).
// docs/decisions/016-the-main-threads-share-of-the-scan.md has the measurements.
import type { SenderAcc } from './sender-acc.ts';

export class SubmitLog {
  private readonly senders: Array<SenderAcc | null>;
  private readonly at: Float64Array;
  private readonly recipients: Float64Array;
  private readonly from: Array<string | null>;
  private readonly clientIp: string[];
  private readonly order: Int32Array;
  private counts = new Int32Array(1024);
  private n = 0;

  constructor(private readonly capacity = 1 << 16) {
    this.senders = new Array<SenderAcc | null>(capacity).fill(null);
    this.at = new Float64Array(capacity);
    this.recipients = new Float64Array(capacity);
    this.from = new Array<string | null>(capacity).fill(null);
    this.clientIp = new Array<string>(capacity).fill('');
    this.order = new Int32Array(capacity);
  }

  /** As `sender.submitted(at, recipients, from, clientIp)`, applied at the next flush. */
  add(sender: SenderAcc, at: number, recipients: number, from: string | null, clientIp: string): void {
    const i = this.n;
    this.senders[i] = sender;
    this.at[i] = at;
    this.recipients[i] = recipients;
    this.from[i] = from;
    this.clientIp[i] = clientIp;
    if (++this.n === this.capacity) this.flush();
  }

  /** Applies every held submission: grouped by sender (a stable counting sort on `ord`), in log order within a sender. */
  flush(): void {
    const n = this.n;
    if (n === 0) return;
    const senders = this.senders;
    let top = 0;
    for (let i = 0; i < n; i++) if (senders[i]!.ord > top) top = senders[i]!.ord;
    if (this.counts.length < top + 2) this.counts = new Int32Array(Math.max(top + 2, this.counts.length * 2));
    const counts = this.counts;
    counts.fill(0, 0, top + 2);
    for (let i = 0; i < n; i++) counts[senders[i]!.ord + 1]!++;
    for (let s = 0; s <= top; s++) counts[s + 1]! += counts[s]!;
    const order = this.order;
    for (let i = 0; i < n; i++) order[counts[senders[i]!.ord]!++] = i;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      senders[i]!.submitted(this.at[i]!, this.recipients[i]!, this.from[i]!, this.clientIp[i]!);
      senders[i] = null;
      this.from[i] = null;
      this.clientIp[i] = '';
    }
    this.n = 0;
  }
}
