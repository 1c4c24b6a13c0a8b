// The open messages' table must answer as the Map it replaced: the same
// message for every key, the same size, the same insertion order, through
// growth, order compaction, deletions that shift runs of colliding keys, and
// keys of both kinds (numbers, and texts for long or foreign queue IDs).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpenMessages, type OpenEntry } from '../../service/analysis/open-messages.ts';
import { queueKeyOf, type QueueKey } from '../../service/sources/queue-key.ts';
import { seededBelow } from '../helpers/prng.ts';

type Msg = OpenEntry & { n: number };

function assertSame(t: OpenMessages<Msg>, model: Map<QueueKey, Msg>, where: string) {
  assert.equal(t.size, model.size, `${where}: size`);
  assert.deepEqual([...t.values()].map((m) => m.n), [...model.values()].map((m) => m.n), `${where}: insertion order`);
  for (const [k, m] of model) assert.equal(t.get(k), m, `${where}: key ${String(k)}`);
}

describe('open messages', () => {
  it('answers as a Map through a long churn of adds and deletes, with keys that collide', () => {
    for (const seed of [1, 7, 2024]) {
      const next = seededBelow(seed);
      const t = new OpenMessages<Msg>();
      const model = new Map<QueueKey, Msg>();
      // Few distinct keys for a table of 2,048 slots: every key comes back many times, runs of neighbours form.
      const keys: QueueKey[] = [];
      for (let i = 0; i < 3000; i++) keys.push(i % 5 === 0 ? `LONG${i.toString(36)}xyzXYZ` : queueKeyOf((0x10000 + i * 4099).toString(16).toUpperCase()));
      keys.push('', queueKeyOf('0AB'), queueKeyOf('AB'));
      let n = 0;
      for (let step = 0; step < 200_000; step++) {
        const k = keys[next(keys.length)]!;
        const have = model.get(k);
        // The table fills towards ~1,500 open messages and drains again, as a log's busy and quiet hours do.
        const fill = Math.floor(step / 25_000) % 2 === 0 ? 8 : 3;
        if (have && next(10) >= fill) {
          assert.equal(t.delete(k), true);
          model.delete(k);
          assert.equal(have.openAt, -1);
        } else if (!have) {
          const m: Msg = { qkey: k, openAt: -1, n: n++ };
          t.add(m);
          model.set(k, m);
        } else {
          assert.equal(t.get(k), have);
        }
        if (step % 20_000 === 0) assertSame(t, model, `seed ${seed} step ${step}`);
      }
      assertSame(t, model, `seed ${seed} end`);
      assert.equal(t.delete('never added'), false);
      assert.equal(t.get(queueKeyOf('FFFFFFFFFFFF')), undefined);
    }
  });

  it('grows past its first capacity and keeps the order over compactions', () => {
    const t = new OpenMessages<Msg>();
    const model = new Map<QueueKey, Msg>();
    // 5,000 open at once (the table starts with room for 1,024), then every other one closed, then as many new ones.
    for (let i = 0; i < 5000; i++) {
      const m: Msg = { qkey: i * 16 + 5, openAt: -1, n: i };
      t.add(m);
      model.set(m.qkey, m);
    }
    assertSame(t, model, 'grown');
    for (let i = 0; i < 5000; i += 2) {
      t.delete(i * 16 + 5);
      model.delete(i * 16 + 5);
    }
    for (let i = 5000; i < 10_000; i++) {
      const m: Msg = { qkey: i * 16 + 5, openAt: -1, n: i };
      t.add(m);
      model.set(m.qkey, m);
    }
    assertSame(t, model, 'after compaction');
    assert.deepEqual(t.oldest(3).map((m) => m.n), [1, 3, 5]);
    t.clear();
    assert.equal(t.size, 0);
    assert.deepEqual([...t.values()], []);
    assert.equal(model.get(3 * 16 + 5)!.openAt, -1);
  });

  it('refuses a key that is open already (a life must end before the next one starts)', () => {
    const t = new OpenMessages<Msg>();
    t.add({ qkey: 21, openAt: -1, n: 0 });
    assert.throws(() => t.add({ qkey: 21, openAt: -1, n: 1 }), /open already/);
    assert.equal(t.size, 1);
  });
});
