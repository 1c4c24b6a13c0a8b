// A count per minute for the last 48 hours and per hour for the last 35 days,
// stored sparsely: the minutes in chunks of one hour (60 slots), the hours in
// chunks of one day (24 slots), a chunk allocated only when something was
// counted in it and dropped when it falls out of its window. A source that
// sent one message costs two small arrays; one that sends round the clock
// ~14 KB at most. Pure data, no clock: the caller says what "now" is.
//
// Saved incrementally (cursor-store.ts): each series has a number (sid) that
// stays its own for its life, and the series of one counters object share a
// ChunkLedger that remembers which chunk indexes changed (a count added, a
// chunk dropped) since the last checkpoint. A checkpoint rewrites only the
// segment files of those indexes (segment-file.ts: one per hour of minutes,
// one per day of hours), normally the current hour's and the current day's;
// the per-series metadata ([sid, total, first, last]) goes in checkpoint.json.
import { DAY, HOUR, MINUTE } from '../time.ts';

export const MINUTE_WINDOW_MS = 48 * HOUR;
export const HOUR_WINDOW_MS = 35 * DAY;
const MINUTE_CHUNKS = MINUTE_WINDOW_MS / HOUR;   // 48
const HOUR_CHUNKS = HOUR_WINDOW_MS / DAY;        // 35

/** Whether a chunk is still inside its window as of `now` (what prune keeps). */
export function chunkKept(kind: 'm' | 'h', index: number, now: number): boolean {
  return kind === 'm' ? index > Math.floor(now / HOUR) - MINUTE_CHUNKS : index > Math.floor(now / DAY) - HOUR_CHUNKS;
}

/** The v1 stored form (one checkpoint.json holding everything): [chunk index, ...slot values] per chunk. Read, no longer written. */
export type StoredSeries = { m: number[][]; h: number[][]; total: number; first: number; last: number };
/** What checkpoint.json keeps of a series; its chunks are in the segment files. */
export type SeriesMeta = [sid: number, total: number, first: number, last: number];

/** Shared by the series of one counters object: the next sid, and the chunk indexes changed since the last take(). */
export class ChunkLedger {
  nextSid = 1;
  readonly minutes = new Set<number>();
  readonly hours = new Set<number>();
  // The last index marked: most adds hit the current hour and day, and skip the Set.
  private lastM = -1;
  private lastH = -1;

  touch(hi: number, di: number): void {
    if (hi !== this.lastM) {
      this.minutes.add(hi);
      this.lastM = hi;
    }
    if (di !== this.lastH) {
      this.hours.add(di);
      this.lastH = di;
    }
  }

  /** What changed since the last take; the ledger starts empty again. */
  take(): { minutes: Set<number>; hours: Set<number> } {
    const out = { minutes: new Set(this.minutes), hours: new Set(this.hours) };
    this.minutes.clear();
    this.hours.clear();
    this.lastM = this.lastH = -1;
    return out;
  }

  /** Gives back what a failed checkpoint took: it is written by the next one. */
  giveBack(t: { minutes: Set<number>; hours: Set<number> }): void {
    for (const k of t.minutes) this.minutes.add(k);
    for (const k of t.hours) this.hours.add(k);
  }
}

export class Series {
  readonly minutes = new Map<number, Uint32Array>();   // hour index → 60 minutes
  readonly hours = new Map<number, Uint32Array>();     // day index (UTC) → 24 hours
  total = 0;
  first = 0;    // epoch ms of the first and the last event counted
  last = 0;
  sid: number;   // changed only by LiveCounters.renumberSeries

  constructor(private readonly ledger: ChunkLedger | null = null, sid?: number) {
    this.sid = sid ?? (ledger ? ledger.nextSid++ : 0);
  }

  add(ts: number, n = 1): void {
    const minute = Math.floor(ts / MINUTE);
    const hi = Math.floor(minute / 60);
    let m = this.minutes.get(hi);
    if (!m) {
      this.minutes.set(hi, (m = new Uint32Array(60)));
      for (const k of this.minutes.keys()) if (k <= hi - MINUTE_CHUNKS) this.drop(this.minutes, k, this.ledger?.minutes);
    }
    m[minute - hi * 60]! += n;
    const hour = Math.floor(ts / HOUR);
    const di = Math.floor(hour / 24);
    let h = this.hours.get(di);
    if (!h) {
      this.hours.set(di, (h = new Uint32Array(24)));
      for (const k of this.hours.keys()) if (k <= di - HOUR_CHUNKS) this.drop(this.hours, k, this.ledger?.hours);
    }
    h[hour - di * 24]! += n;
    this.ledger?.touch(hi, di);
    this.total += n;
    if (this.first === 0 || ts < this.first) this.first = ts;
    if (ts > this.last) this.last = ts;
  }

  private drop(chunks: Map<number, Uint32Array>, k: number, changed: Set<number> | undefined): void {
    chunks.delete(k);
    changed?.add(k);
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
    for (const k of this.minutes.keys()) if (!chunkKept('m', k, now)) this.drop(this.minutes, k, this.ledger?.minutes);
    for (const k of this.hours.keys()) if (!chunkKept('h', k, now)) this.drop(this.hours, k, this.ledger?.hours);
  }

  /** Marks every chunk of this series as changed (a series loaded from v1, or saved for the first time). */
  markAllChanged(): void {
    if (!this.ledger) return;
    for (const k of this.minutes.keys()) this.ledger.minutes.add(k);
    for (const k of this.hours.keys()) this.ledger.hours.add(k);
  }

  bytes(): number {
    return this.minutes.size * (60 * 4 + 64) + this.hours.size * (24 * 4 + 64) + 96;
  }

  meta(): SeriesMeta {
    return [this.sid, this.total, this.first, this.last];
  }

  /** A series of the metadata, chunks to be restored from the segment files. */
  static fromMeta(ledger: ChunkLedger, [sid, total, first, last]: SeriesMeta): Series {
    const x = new Series(ledger, sid);
    x.total = total;
    x.first = first;
    x.last = last;
    return x;
  }

  /** A series of the v1 format (its chunks all count as changed: the first checkpoint writes them). */
  static load(s: StoredSeries, ledger: ChunkLedger | null = null): Series {
    const x = new Series(ledger);
    for (const [k, ...v] of s.m) if (k !== undefined && v.length === 60) x.minutes.set(k, Uint32Array.from(v));
    for (const [k, ...v] of s.h) if (k !== undefined && v.length === 24) x.hours.set(k, Uint32Array.from(v));
    x.total = s.total;
    x.first = s.first;
    x.last = s.last;
    x.markAllChanged();
    return x;
  }
}
