// Small bounded accumulators for reducers that must not grow with the input.

/** A set that stops growing at `cap`; `count` is exact below the cap and a lower bound once `capped`. */
export class BoundedSet {
  readonly values = new Set<string>();
  capped = false;
  constructor(readonly cap: number) {}
  add(v: string): void {
    if (this.values.has(v)) return;
    if (this.values.size >= this.cap) { this.capped = true; return; }
    this.values.add(v);
  }
  get count(): number {
    return this.values.size;
  }
}

/** Mean and variance in one pass (Welford), for inter-arrival times. */
export class RunningStats {
  n = 0;
  mean = 0;
  private m2 = 0;
  push(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }
  get stdev(): number {
    return this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : 0;
  }
  /** Coefficient of variation: ~1 for independent arrivals, near 0 for a timer. Null when undefined. */
  get cv(): number | null {
    return this.n > 1 && this.mean > 0 ? this.stdev / this.mean : null;
  }
}

export function bump<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}
