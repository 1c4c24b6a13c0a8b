// The snapshot's packed per-minute pickups (service/http/cache/minute-counts.ts):
// what went in as a Map comes out of the cursor minute by minute, and the packed
// form is a fraction of the Map's size on the heap.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { minuteCursor, packMinutes } from '../../service/http/cache/minute-counts.ts';
import { MINUTE } from '../../service/time.ts';

const T0 = Date.UTC(2022, 1, 3, 6, 0);

describe('packed minute counts', () => {
  it('gives back every minute\'s count, zero where the Map had none, whatever order it was filled in', () => {
    const m = new Map<number, number>();
    for (const k of [7, 2, 3, 2879, 0, 100]) m.set(T0 + k * MINUTE, k * 10 + 1);
    const packed = packMinutes(m);
    assert.deepEqual([...packed.offsets].map((o) => packed.base + o * MINUTE), [...m.keys()].sort((a, b) => a - b));
    const cursor = minuteCursor(packed);
    for (let k = 0; k < 2880; k++) assert.equal(cursor.at(T0 + k * MINUTE), m.get(T0 + k * MINUTE) ?? 0, `minute ${k}`);
    assert.equal(minuteCursor(undefined).at(T0), 0);
  });

  it('starts the walk anywhere in the window', () => {
    const packed = packMinutes(new Map([[T0, 1], [T0 + MINUTE, 2], [T0 + 5 * MINUTE, 3]]));
    const c = minuteCursor(packed);
    assert.deepEqual([c.at(T0 + 4 * MINUTE), c.at(T0 + 5 * MINUTE), c.at(T0 + 6 * MINUTE)], [0, 3, 0]);
  });

  it('holds 48 hours of a UID sending every minute in 6 bytes a minute', () => {
    const m = new Map<number, number>();
    for (let k = 0; k < 2880; k++) m.set(T0 + k * MINUTE, 400 + k);
    const packed = packMinutes(m);
    assert.equal(packed.offsets.byteLength + packed.counts.byteLength, 2880 * 6);
    const c = minuteCursor(packed);
    assert.equal(c.at(T0 + 2879 * MINUTE), 400 + 2879);
  });

  it('keeps minutes more than 45 days apart exact (wider offsets)', () => {
    const far = T0 + 70_000 * MINUTE;
    const packed = packMinutes(new Map([[T0, 1], [far, 9]]));
    assert.ok(packed.offsets instanceof Uint32Array);
    const c = minuteCursor(packed);
    assert.deepEqual([c.at(T0), c.at(far - MINUTE), c.at(far)], [1, 0, 9]);
  });
});
