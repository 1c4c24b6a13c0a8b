// The last few `queued as X` lines whose X was not a message we knew: usually
// another server's ID, but in a log that starts mid-stream it can be our own
// content filter's copy whose first lines are missing. A fixed ring of
// parallel arrays: remembering costs no allocation on a 1 GB pass. A message
// with a handoff in the ring is not tallied before the handoff leaves it (the
// ring tells the accumulator through `onForget`), so a late copy can still
// take back the `sent` that handoff was counted as.
import type { QueueKey } from '../sources/queue-key.ts';
import type { FlowMessage } from './mail-flow-message.ts';

export class RecentHandoffs {
  private readonly qids: QueueKey[];
  private readonly from: Array<FlowMessage | null>;
  private readonly at: number[];
  private next = 0;

  constructor(
    private readonly size: number,
    private readonly windowMs: number,
    private readonly onForget: (m: FlowMessage) => void,
  ) {
    this.qids = new Array<QueueKey>(size).fill('');
    this.from = new Array<FlowMessage | null>(size).fill(null);
    this.at = new Array<number>(size).fill(0);
  }

  remember(qid: QueueKey, from: FlowMessage, ts: number): void {
    const old = this.from[this.next];
    this.qids[this.next] = qid;
    this.from[this.next] = from;
    this.at[this.next] = ts;
    from.pendingHandoffs++;
    this.next = (this.next + 1) % this.size;
    if (old) this.forget(old);
  }

  /** Who handed `qid` over shortly before `ts`, and on how many lines (one per recipient); those entries leave the ring. */
  take(qid: QueueKey, ts: number): { parent: FlowMessage; lines: number } | null {
    let parent: FlowMessage | null = null;
    let lines = 0;
    for (let k = 1; k <= this.size; k++) {
      const i = (this.next - k + this.size) % this.size;       // newest first
      if (this.qids[i] !== qid || ts - this.at[i]! > this.windowMs || ts < this.at[i]!) continue;
      parent ??= this.from[i]!;
      if (this.from[i] !== parent) continue;
      lines++;
      this.qids[i] = '';
      this.from[i] = null;
    }
    if (!parent) return null;
    parent.pendingHandoffs -= lines - 1;      // the last one through forget(), after the caller's correction
    return { parent, lines };
  }

  forget(m: FlowMessage): void {
    m.pendingHandoffs--;
    this.onForget(m);
  }

  /** Empties the ring (end of input). */
  clear(): void {
    for (let i = 0; i < this.size; i++) {
      const m = this.from[i];
      this.qids[i] = '';
      this.from[i] = null;
      if (m) this.forget(m);
    }
  }
}
