// One UID's pickups per minute, packed for the sidecar's snapshot (minute-series.ts
// makes them in its worker, the timeline's minute steps read them).
//
// The snapshot holds 48 hours of these for every sending UID. A Map per UID
// cost ~56 bytes a minute (boxed keys, hash entries): 322 MB of heap for 2,000
// UIDs sending every minute (the soak's question, issue 10), and its structured
// clone out of the worker held the main thread. Packed it is 6 bytes a minute
// (35 MB for the same 2,000), and it crosses as two flat buffers.
import { MINUTE } from '../../time.ts';

/** The minutes that had any pickups (`base` + offset minutes, ascending) and their counts. */
export type MinuteCounts = { base: number; offsets: Uint16Array | Uint32Array; counts: Uint32Array };

export function packMinutes(perMinute: ReadonlyMap<number, number>): MinuteCounts {
  const keys = Float64Array.from(perMinute.keys()).sort();
  const base = keys.length ? keys[0]! : 0;
  const span = keys.length ? (keys.at(-1)! - base) / MINUTE : 0;
  const offsets = span < 0x10000 ? new Uint16Array(keys.length) : new Uint32Array(keys.length);
  const counts = new Uint32Array(keys.length);
  keys.forEach((t, i) => {
    offsets[i] = Math.round((t - base) / MINUTE);
    counts[i] = perMinute.get(t)!;
  });
  return { base, offsets, counts };
}

/** Walks the minutes in ascending order: `at(t)` is the count of the minute starting at t, each t at least the last. */
export function minuteCursor(series: MinuteCounts | undefined): { at(t: number): number } {
  let i = 0;
  return {
    at(t) {
      if (!series) return 0;
      const { base, offsets, counts } = series;
      while (i < offsets.length && base + offsets[i]! * MINUTE < t) i++;
      return i < offsets.length && base + offsets[i]! * MINUTE === t ? counts[i]! : 0;
    },
  };
}
