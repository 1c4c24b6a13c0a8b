import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { mapBounded } from '../../service/fleet/pool.ts';

describe('bounded concurrency', () => {
  it('never runs more than the limit at once and keeps results in input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([...Array(40).keys()], 7, async (n) => {
      running++;
      peak = Math.max(peak, running);
      for (let i = 0; i < (n % 5) + 1; i++) await tick();
      running--;
      return n * 2;
    });
    assert.equal(peak, 7);
    assert.deepEqual(out, [...Array(40).keys()].map((n) => n * 2));
  });

  it('refuses a limit below one', async () => {
    await assert.rejects(mapBounded([1], 0, async (x) => x), RangeError);
  });
});
