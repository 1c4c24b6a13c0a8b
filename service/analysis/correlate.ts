// Timing agreement between two per-minute series (POSTs to a script and
// pickups of the subscription's UID): Pearson's r over the window.
import type { Series } from './attribute-types.ts';
import { MINUTE } from '../time.ts';

export function correlate(a: Series, b: Series, window: { from: number; to: number }): number {
  const from = Math.floor(window.from / MINUTE) * MINUTE;
  const n = Math.max(0, Math.floor((window.to - from) / MINUTE));
  if (n < 2) return 0;
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  // Only non-zero buckets contribute to the sums; zeros are implied.
  const keys = new Set<number>();
  for (const k of a.keys()) if (k >= from && k < from + n * MINUTE) keys.add(k);
  for (const k of b.keys()) if (k >= from && k < from + n * MINUTE) keys.add(k);
  for (const k of keys) {
    const x = a.get(k) ?? 0;
    const y = b.get(k) ?? 0;
    sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
  }
  const cov = sab - (sa * sb) / n;
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  if (va <= 0 || vb <= 0) return 0;
  return cov / Math.sqrt(va * vb);
}

/** 1 - Π(1 - w): independent signals that each make a source look abnormal. */
export function combine(weights: number[]): number {
  return 1 - weights.reduce((acc, w) => acc * (1 - Math.min(Math.max(w, 0), 1)), 1);
}
