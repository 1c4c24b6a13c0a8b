// Compact counters for the per-sender accumulation. On a 1 GB log a sender
// is touched once per message, so these avoid Map churn: TopK keeps three small
// arrays; BucketCounts keeps one typed array of (bucket, count) pairs in time
// order. Both turn into the Maps of the MailFlow contract once, at the end.

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

  get size(): number {
    return this.keys.length;
  }

  /** Each key and its count, in no particular order (as Map#forEach, for readers of both: senders-report.ts topOf). */
  forEach(fn: (count: number, key: string) => void): void {
    for (let i = 0; i < this.keys.length; i++) fn(this.counts[i]!, this.keys[i]!);
  }

  /** Most frequent first. */
  toMap(): Map<string, number> {
    return new Map(this.order().map((i) => [this.keys[i]!, this.counts[i]!]));
  }

  /** toMap's entries as [key, count, key, count, …] (the cache's form: mail-flow-codec.ts), without the Map. */
  flat(): Array<string | number> {
    const out: Array<string | number> = [];
    for (const i of this.order()) out.push(this.keys[i]!, this.counts[i]!);
    return out;
  }

  private order(): number[] {
    return this.keys.map((_, i) => i).sort((a, b) => this.counts[b]! - this.counts[a]! || (this.keys[a]! < this.keys[b]! ? -1 : 1));
  }
}

const EMPTY = new Float64Array(0);

/**
 * Counts per time bucket (bucket = floor(ms / unit)); arrives mostly in time order.
 * The pairs live in one typed array, outside the JavaScript heap: on a 1 GB log
 * ~10 000 senders' hour counts, grown one push at a time as plain arrays, were
 * most of what the main thread's scavenges copied (docs/decisions/018). Those
 * are now counted by HourLog and handed over as finished pairs (fromPairs);
 * `add` counts what is rare, such as a sender's limit refusals per hour.
 */
export class BucketCounts {
  private pairs = EMPTY;     // [bucket, count, bucket, count, …], buckets ascending
  private n = 0;             // pairs in use

  constructor(private readonly unit: number) {}

  add(ms: number, n = 1): void {
    const b = Math.floor(ms / this.unit);
    const p = this.pairs;
    const last = this.n - 1;
    if (last >= 0 && p[2 * last] === b) {
      p[2 * last + 1]! += n;
      return;
    }
    if (last < 0 || p[2 * last]! < b) {
      this.insert(this.n, b, n);
      return;
    }
    // Out of order (a message tallied late, e.g. after retries): binary search.
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p[2 * mid]! < b) lo = mid + 1;
      else hi = mid;
    }
    if (p[2 * lo] === b) p[2 * lo + 1]! += n;
    else this.insert(lo, b, n);
  }

  private insert(i: number, b: number, n: number): void {
    if (2 * this.n + 2 > this.pairs.length) {
      const grown = new Float64Array(Math.max(8, this.pairs.length * 2));
      grown.set(this.pairs.subarray(0, 2 * this.n));
      this.pairs = grown;
    }
    const p = this.pairs;
    if (i < this.n) p.copyWithin(2 * i + 2, 2 * i, 2 * this.n);
    p[2 * i] = b;
    p[2 * i + 1] = n;
    this.n++;
  }

  /** The fullest bucket (the earliest of equals), or null when empty. */
  peak(): { start: number; count: number } | null {
    const p = this.pairs;
    let best = -1;
    for (let i = 0; i < this.n; i++) if (best < 0 || p[2 * i + 1]! > p[2 * best + 1]!) best = i;
    return best < 0 ? null : { start: p[2 * best]! * this.unit, count: p[2 * best + 1]! };
  }

  /** bucket start (epoch ms) → count, in time order. */
  toMap(): Map<number, number> {
    const m = new Map<number, number>();
    for (let i = 0; i < this.n; i++) m.set(this.pairs[2 * i]! * this.unit, this.pairs[2 * i + 1]!);
    return m;
  }

  /** [bucket, count, bucket − previous bucket, count, …]: compact for storing (mail-flow-codec.ts). */
  toDeltas(): number[] {
    const out = new Array<number>(2 * this.n);
    let prev = 0;
    for (let i = 0; i < this.n; i++) {
      out[2 * i] = this.pairs[2 * i]! - prev;
      out[2 * i + 1] = this.pairs[2 * i + 1]!;
      prev = this.pairs[2 * i]!;
    }
    return out;
  }

  /** Counts already summed by bucket: `pairs` is [bucket, count, …], buckets ascending, the first `n` pairs used; kept, not copied (hour-log.ts). */
  static fromPairs(unit: number, pairs: Float64Array<ArrayBuffer>, n: number): BucketCounts {
    const c = new BucketCounts(unit);
    if (n === 0) return c;
    c.pairs = pairs;
    c.n = n;
    return c;
  }

  /** The counts toDeltas() stored (in bucket order, as toDeltas gives them). */
  static fromDeltas(unit: number, deltas: number[]): BucketCounts {
    const c = new BucketCounts(unit);
    const n = deltas.length >> 1;
    if (n === 0) return c;
    c.pairs = new Float64Array(2 * n);
    let b = 0;
    for (let i = 0; i < n; i++) {
      b += deltas[2 * i]!;
      c.pairs[2 * i] = b;
      c.pairs[2 * i + 1] = deltas[2 * i + 1]!;
    }
    c.n = n;
    return c;
  }
}
