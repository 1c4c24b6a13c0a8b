// Refusals by Plesk's outgoing limit (OMC), counted per line: Postfix's
// milter-reject/reject with the 5.7.0 limit text (queued or NOQUEUE), and
// psa-pc-remote's `REJECT during call 'limit-out' handler` [V] reference/plesk.md §1.7.
import { HOUR } from '../time.ts';
import { TopK } from './counters.ts';
import { bumpCount } from './mail-flow-message.ts';
import type { LimitRejects } from './mail-flow.ts';

export class LimitRejectCounter {
  private total = 0;
  private handlerRejects = 0;
  private readonly lineHourly = new Map<number, number>();
  private readonly handlerHourly = new Map<number, number>();
  private readonly byFrom = new TopK(50);
  private first: number | null = null;
  private last: number | null = null;

  rejectLine(ts: number, from: string): void {
    this.total++;
    this.byFrom.add(from);
    this.seen(ts, this.lineHourly);
  }

  handlerLine(ts: number): void {
    this.handlerRejects++;
    this.seen(ts, this.handlerHourly);
  }

  private seen(ts: number, hourly: Map<number, number>): void {
    bumpCount(hourly, Math.floor(ts / HOUR) * HOUR);
    if (this.first === null || ts < this.first) this.first = ts;
    if (this.last === null || ts > this.last) this.last = ts;
  }

  result(): LimitRejects {
    // Both lines tell of the same refusal: per hour, the larger count.
    const hourly = new Map(this.lineHourly);
    for (const [hour, n] of this.handlerHourly) hourly.set(hour, Math.max(n, hourly.get(hour) ?? 0));
    const sorted = new Map([...hourly].sort((a, b) => a[0] - b[0]));
    return { total: this.total, handlerRejects: this.handlerRejects, hourly: sorted, byFrom: this.byFrom.toMap(), first: this.first, last: this.last };
  }
}
