// The hour log against a plain model (sender → hour → count): its matrix of
// the last hours, the columns written out when a newer hour takes them, late
// messages kept as entries of their own, and the grouping at the end must
// give every sender exactly the counts a Map per sender would.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HourLog } from '../../service/analysis/hour-log.ts';
import { seededBelow } from '../helpers/prng.ts';

const HOUR = 3_600_000;

type Add = { s: number; hour: number; n: number };

/** What the log stands for: per sender, hour start (ms) → count in time order, and the earliest fullest hour. */
function model(adds: Add[], senders: number) {
  const per = Array.from({ length: senders }, () => new Map<number, number>());
  for (const { s, hour, n } of adds) per[s]!.set(hour * HOUR, (per[s]!.get(hour * HOUR) ?? 0) + n);
  return per.map((m) => {
    const map = new Map([...m].sort((a, b) => a[0] - b[0]));
    let peak: { start: number; count: number } | null = null;
    for (const [start, count] of map) if (!peak || count > peak.count) peak = { start, count };
    return { map, peak };
  });
}

function check(adds: Add[], senders: number, what: string): void {
  const log = new HourLog();
  for (const a of adds) log.add(a.s, a.hour, a.n);
  const got = log.bySender(senders, HOUR);
  const want = model(adds, senders);
  assert.equal(got.length, senders, what);
  for (let s = 0; s < senders; s++) {
    assert.deepEqual([...got[s]!.toMap()], [...want[s]!.map], `${what}: sender ${s}`);
    assert.deepEqual(got[s]!.peak(), want[s]!.peak, `${what}: peak of sender ${s}`);
  }
}

describe('hour log', () => {
  it('counts as a map per sender, through hour changes, late messages and senders past its first rows', () => {
    for (const seed of [5, 17, 2022]) {
      const next = seededBelow(seed);
      const senders = 300;                       // past the matrix's first 64 rows
      const adds: Add[] = [];
      let t = Date.UTC(2022, 0, 20);
      for (let i = 0; i < 30_000; i++) {
        // Mostly forward; now and then a jump of more hours than the matrix holds; one in eight late, by up to five days.
        t += next(50) === 0 ? next(40 * HOUR) : next(120_000);
        const ms = next(8) === 0 ? t - next(120 * HOUR) : t;
        // A few busy senders and a long tail, as in a real log.
        const s = next(4) === 0 ? next(5) : next(senders);
        adds.push({ s, hour: Math.floor(ms / HOUR), n: 1 + next(3) });
      }
      const late = adds.filter((a, i) => i > 0 && a.hour < adds[i - 1]!.hour - 8).length;
      assert.ok(late > 1000, `the stream reaches late messages (${late})`);
      check(adds, senders, `seed ${seed}`);
    }
  });

  it('keeps hours before 1970, equal peaks at the earliest, and senders without messages empty', () => {
    const h = Math.floor(Date.UTC(1969, 11, 31, 22) / HOUR);
    check([
      { s: 2, hour: h, n: 3 }, { s: 2, hour: h + 1, n: 1 }, { s: 2, hour: h + 2, n: 3 },
      { s: 0, hour: h + 9, n: 1 }, { s: 2, hour: h, n: 0 }, { s: 0, hour: h - 40, n: 2 },
    ], 4, 'edges');
  });

  it('writes a column out once: counts of an hour that comes back after its column was reused are summed', () => {
    // Hour 100's column (100 mod 8) is taken by 108, then 100 comes again late, then 116 takes the column again.
    check([100, 100, 108, 100, 116, 100, 108].map((hour, i) => ({ s: i % 2, hour, n: i + 1 })), 2, 'reused column');
  });

  it('ends once: no count is taken or given after its counts were read', () => {
    const log = new HourLog();
    log.add(0, 5);
    assert.deepEqual([...log.bySender(1, HOUR)[0]!.toMap()], [[5 * HOUR, 1]]);
    assert.throws(() => log.add(0, 5), /already ended/);
    assert.throws(() => log.bySender(1, HOUR), /already ended/);
  });
});
