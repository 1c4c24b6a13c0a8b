// Compact counters for the per-sender accumulation. On a 1 GB log a sender
// is touched once per message, so these avoid Map churn: TopK keeps two small
// arrays; BucketCounts keeps two small-integer arrays in time order. Both turn
// into the Maps of the MailFlow contract once, at the end.

/**
 * The `cap` most frequent keys, approximately (the space-saving sketch): when
 * full, a new key replaces the least frequent one and inherits its count, so a
 * frequent key is never lost and a spammer's endless random values cannot grow it.
 */
// `add(key, n)` counts as n adds in a row, in both: callers may hold back a
// run of repeats and add it at once (sender-acc.ts).

/** A cheap fingerprint of a string (length and three characters): unequal fingerprints, unequal strings. */
function fingerprint(key: string): number {
  const n = key.length;
  return ((n << 21) ^ (key.charCodeAt(n >> 1) << 14) ^ (key.charCodeAt((n * 3) >> 2) << 7) ^ key.charCodeAt(n >> 2)) | 0;
}

export class TopK {
  private readonly keys: string[] = [];
  private readonly prints: number[] = [];
  private readonly counts: number[] = [];
  private last = -1;

  constructor(private readonly cap: number) {}

  add(key: string, n = 1): void {
    const keys = this.keys;
    // A sender mostly repeats itself (same envelope sender, same client IP).
    if (this.last >= 0 && keys[this.last] === key) {
      this.counts[this.last]! += n;
      return;
    }
    // A linear scan over fingerprints: with at most `cap` (~20) keys it beats a
    // Map, and unlike a Map under constant delete/insert it leaves no garbage.
    const print = fingerprint(key);
    const prints = this.prints;
    for (let i = 0; i < keys.length; i++) {
      if (prints[i] === print && keys[i] === key) {
        this.counts[i]! += n;
        this.last = i;
        return;
      }
    }
    if (keys.length < this.cap) {
      keys.push(key);
      prints.push(print);
      this.counts.push(n);
      this.last = keys.length - 1;
      return;
    }
    let min = 0;
    for (let j = 1; j < this.counts.length; j++) if (this.counts[j]! < this.counts[min]!) min = j;
    keys[min] = key;
    prints[min] = print;
    this.counts[min]! += n;
    this.last = min;
  }

  /** Most frequent first. */
  toMap(): Map<string, number> {
    const order = this.keys.map((_, i) => i).sort((a, b) => this.counts[b]! - this.counts[a]! || (this.keys[a]! < this.keys[b]! ? -1 : 1));
    return new Map(order.map((i) => [this.keys[i]!, this.counts[i]!]));
  }
}

/** Counts per time bucket (bucket = floor(ms / unit)); arrives mostly in time order. */
export class BucketCounts {
  private readonly buckets: number[] = [];
  private readonly counts: number[] = [];

  constructor(private readonly unit: number) {}

  add(ms: number, n = 1): void {
    const b = Math.floor(ms / this.unit);
    const last = this.buckets.length - 1;
    if (last >= 0 && this.buckets[last] === b) {
      this.counts[last]! += n;
      return;
    }
    if (last < 0 || this.buckets[last]! < b) {
      this.buckets.push(b);
      this.counts.push(n);
      return;
    }
    // Out of order (a message tallied late, e.g. after retries): binary search.
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.buckets[mid]! < b) lo = mid + 1;
      else hi = mid;
    }
    if (this.buckets[lo] === b) this.counts[lo]! += n;
    else {
      this.buckets.splice(lo, 0, b);
      this.counts.splice(lo, 0, n);
    }
  }

  /** The fullest bucket (the earliest of equals), or null when empty. */
  peak(): { start: number; count: number } | null {
    let best = -1;
    for (let i = 0; i < this.counts.length; i++) if (best < 0 || this.counts[i]! > this.counts[best]!) best = i;
    return best < 0 ? null : { start: this.buckets[best]! * this.unit, count: this.counts[best]! };
  }

  /** bucket start (epoch ms) → count, in time order. */
  toMap(): Map<number, number> {
    return new Map(this.buckets.map((b, i) => [b * this.unit, this.counts[i]!]));
  }

  /** [bucket, count, bucket − previous bucket, count, …]: compact for storing (mail-flow-codec.ts). */
  toDeltas(): number[] {
    const out: number[] = [];
    let prev = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      out.push(this.buckets[i]! - prev, this.counts[i]!);
      prev = this.buckets[i]!;
    }
    return out;
  }

  /** The counts toDeltas() stored. */
  static fromDeltas(unit: number, deltas: number[]): BucketCounts {
    const c = new BucketCounts(unit);
    let b = 0;
    for (let i = 0; i + 1 < deltas.length; i += 2) {
      b += deltas[i]!;
      c.buckets.push(b);
      c.counts.push(deltas[i + 1]!);
    }
    return c;
  }
}
