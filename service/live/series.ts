// A count per minute for the last 48 hours and per hour for the last 35 days,
// stored sparsely: the minutes in chunks of one hour (60 slots), the hours in
// chunks of one day (24 slots), a chunk allocated only when something was
// counted in it and dropped when it falls out of its window. A source that
// sent one message costs two small arrays; one that sends round the clock
// ~14 KB at most. Pure data, no clock: the caller says what "now" is.
import { DAY, HOUR, MINUTE } from '../time.ts';

export const MINUTE_WINDOW_MS = 48 * HOUR;
export const HOUR_WINDOW_MS = 35 * DAY;
const MINUTE_CHUNKS = MINUTE_WINDOW_MS / HOUR;   // 48
const HOUR_CHUNKS = HOUR_WINDOW_MS / DAY;        // 35

/** Stored form: [chunk index, ...slot values] per chunk. */
export type StoredSeries = { m: number[][]; h: number[][]; total: number; first: number; last: number };

export class Series {
  readonly minutes = new Map<number, Uint32Array>();   // hour index → 60 minutes
  readonly hours = new Map<number, Uint32Array>();     // day index (UTC) → 24 hours
  total = 0;
  first = 0;    // epoch ms of the first and the last event counted
  last = 0;

  add(ts: number, n = 1): void {
    const minute = Math.floor(ts / MINUTE);
    const hi = Math.floor(minute / 60);
    let m = this.minutes.get(hi);
    if (!m) {
      this.minutes.set(hi, (m = new Uint32Array(60)));
      for (const k of this.minutes.keys()) if (k <= hi - MINUTE_CHUNKS) this.minutes.delete(k);
    }
    m[minute - hi * 60]! += n;
    const hour = Math.floor(ts / HOUR);
    const di = Math.floor(hour / 24);
    let h = this.hours.get(di);
    if (!h) {
      this.hours.set(di, (h = new Uint32Array(24)));
      for (const k of this.hours.keys()) if (k <= di - HOUR_CHUNKS) this.hours.delete(k);
    }
    h[hour - di * 24]! += n;
    this.total += n;
    if (this.first === 0 || ts < this.first) this.first = ts;
    if (ts > this.last) this.last = ts;
  }

  /** Sum over the minutes [from, to) (epoch ms, minute-aligned or not; only the last 48 h are known). */
  sumMinutes(from: number, to: number): number {
    let s = 0;
    const a = Math.floor(from / MINUTE);
    const b = Math.ceil(to / MINUTE);
    for (const [hi, m] of this.minutes) {
      const base = hi * 60;
      if (base + 60 <= a || base >= b) continue;
      for (let i = Math.max(0, a - base); i < Math.min(60, b - base); i++) s += m[i]!;
    }
    return s;
  }

  /** Count of one hour (its start, epoch ms). */
  hour(start: number): number {
    const hour = Math.floor(start / HOUR);
    const di = Math.floor(hour / 24);
    return this.hours.get(di)?.[hour - di * 24] ?? 0;
  }

  /** Non-zero hours as hour start → count, for hours in [from, to). */
  hourly(from: number, to: number): Map<number, number> {
    const out = new Map<number, number>();
    for (const [di, h] of this.hours) {
      for (let i = 0; i < 24; i++) {
        const start = (di * 24 + i) * HOUR;
        if (h[i]! > 0 && start >= from && start < to) out.set(start, h[i]!);
      }
    }
    return out;
  }

  /** Drops chunks wholly before the windows as of `now` (a quiet source's old data). */
  prune(now: number): void {
    const hi = Math.floor(now / HOUR);
    for (const k of this.minutes.keys()) if (k <= hi - MINUTE_CHUNKS) this.minutes.delete(k);
    const di = Math.floor(now / DAY);
    for (const k of this.hours.keys()) if (k <= di - HOUR_CHUNKS) this.hours.delete(k);
  }

  bytes(): number {
    return this.minutes.size * (60 * 4 + 64) + this.hours.size * (24 * 4 + 64) + 96;
  }

  store(): StoredSeries {
    const pack = (m: Map<number, Uint32Array>) => [...m].map(([k, v]) => [k, ...v]);
    return { m: pack(this.minutes), h: pack(this.hours), total: this.total, first: this.first, last: this.last };
  }

  static load(s: StoredSeries): Series {
    const x = new Series();
    for (const [k, ...v] of s.m) if (k !== undefined && v.length === 60) x.minutes.set(k, Uint32Array.from(v));
    for (const [k, ...v] of s.h) if (k !== undefined && v.length === 24) x.hours.set(k, Uint32Array.from(v));
    x.total = s.total;
    x.first = s.first;
    x.last = s.last;
    return x;
  }
}
