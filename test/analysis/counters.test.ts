// The compact counters against plain models: BucketCounts (its pairs in one
// typed array, grown and shifted by hand) must count as a Map of buckets kept
// in time order would, through in-order runs, late arrivals before the first
// bucket and between two, repeats, and its stored form (toDeltas/fromDeltas).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BucketCounts } from '../../service/analysis/counters.ts';
import { seededBelow } from '../helpers/prng.ts';

const HOUR = 3_600_000;

/** What BucketCounts stands for: bucket start → count, in time order; the peak is the earliest fullest. */
function model(adds: Array<[number, number]>, unit: number) {
  const m = new Map<number, number>();
  for (const [ms, n] of adds) {
    const start = Math.floor(ms / unit) * unit;
    m.set(start, (m.get(start) ?? 0) + n);
  }
  const sorted = new Map([...m].sort((a, b) => a[0] - b[0]));
  let peak: { start: number; count: number } | null = null;
  for (const [start, count] of sorted) if (!peak || count > peak.count) peak = { start, count };
  return { map: sorted, peak };
}

describe('bucket counts', () => {
  it('counts as a time-ordered map of buckets, whatever order the adds come in', () => {
    for (const seed of [3, 11, 2022]) {
      const next = seededBelow(seed);
      const c = new BucketCounts(HOUR);
      const adds: Array<[number, number]> = [];
      let t = Date.UTC(2022, 0, 20);
      for (let i = 0; i < 20_000; i++) {
        // Mostly forward in time, with repeats in one hour; one add in ten is late, by up to three days.
        t += next(5) === 0 ? next(3 * HOUR) : next(60_000);
        const late = next(10) === 0;
        const ms = late ? t - next(72 * HOUR) : t;
        const n = 1 + next(3);
        c.add(ms, n);
        adds.push([ms, n]);
      }
      const want = model(adds, HOUR);
      assert.deepEqual([...c.toMap()], [...want.map], `seed ${seed}: buckets`);
      assert.deepEqual(c.peak(), want.peak, `seed ${seed}: peak`);
      const back = BucketCounts.fromDeltas(HOUR, c.toDeltas());
      assert.deepEqual([...back.toMap()], [...want.map], `seed ${seed}: stored and read back`);
      // A counter read back keeps counting where it was.
      back.add(t, 5);
      c.add(t, 5);
      assert.deepEqual([...back.toMap()], [...c.toMap()], `seed ${seed}: adds after reading back`);
    }
  });

  it('inserts before the first bucket, between two, and after the last; an empty counter has no peak', () => {
    const c = new BucketCounts(HOUR);
    assert.equal(c.peak(), null);
    assert.deepEqual(c.toDeltas(), []);
    assert.deepEqual([...BucketCounts.fromDeltas(HOUR, []).toMap()], []);
    for (const h of [10, 20, 5, 15, 25, 0, 20, 20]) c.add(h * HOUR + 59_000);
    assert.deepEqual([...c.toMap()], [0, 5, 10, 15, 20, 25].map((h) => [h * HOUR, h === 20 ? 3 : 1]));
    assert.deepEqual(c.peak(), { start: 20 * HOUR, count: 3 });
    assert.deepEqual(c.toDeltas(), [0, 1, 5, 1, 5, 1, 5, 1, 5, 3, 5, 1]);
  });

  it('keeps the earliest of equal peaks, and instants before 1970', () => {
    const c = new BucketCounts(HOUR);
    c.add(-HOUR - 1, 2);                 // the hour before the one before 1970
    c.add(3 * HOUR, 2);
    c.add(-1);
    assert.deepEqual([...c.toMap()], [[-2 * HOUR, 2], [-HOUR, 1], [3 * HOUR, 2]]);
    assert.deepEqual(c.peak(), { start: -2 * HOUR, count: 2 });
  });
});
