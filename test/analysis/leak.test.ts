import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectLeak } from '../../service/analysis/leak.ts';
import { HOUR, DAY, zonedToEpoch, wallClock } from '../../service/time.ts';

const zone = 'Asia/Tokyo';
const start = zonedToEpoch(zone, 2022, 1, 20, 0, 0, 0);
const now = zonedToEpoch(zone, 2022, 2, 3, 21, 30, 0);

function series(fn: (hour: number, local: ReturnType<typeof wallClock>) => number): Map<number, number> {
  const m = new Map<number, number>();
  for (let h = start; h < now; h += HOUR) {
    const v = fn(h, wallClock(h, zone));
    if (v > 0) m.set(h, v);
  }
  return m;
}

describe('detectLeak', () => {
  it('flags a steady round-the-clock sender and reports since when and the rate', () => {
    const leak = detectLeak(series(() => 300), { now, zone });
    assert.ok(leak);
    assert.equal(leak.since, start);
    assert.equal(leak.perHour, 300);
    assert.ok(leak.nightActiveShare > 0.99);
  });

  it('keeps the steady rate when a burst sits on top of the leak', () => {
    const burst = zonedToEpoch(zone, 2022, 2, 3, 15, 0, 0);
    const leak = detectLeak(series((h) => (h >= burst ? 20_000 : 300)), { now, zone });
    assert.ok(leak);
    assert.equal(leak.perHour, 300);
  });

  it('does not flag a weekly newsletter sent in one daytime hour', () => {
    const s = series((_h, w) => (new Date(Date.UTC(w.y, w.mo - 1, w.d)).getUTCDay() === 2 && w.h === 10 ? 450 : 0));
    assert.ok(s.size >= 2);
    assert.equal(detectLeak(s, { now, zone }), null);
  });

  it('does not flag a busy human mailbox that is quiet at night', () => {
    const s = series((_h, w) => (w.h >= 8 && w.h <= 22 ? 40 : 0));
    assert.equal(detectLeak(s, { now, zone }), null);
  });

  it('does not flag an hourly cron notice of one message', () => {
    assert.equal(detectLeak(series(() => 1), { now, zone }), null);
  });

  it('finds only the recent run after a long pause, and nothing for a run that ended days ago', () => {
    const resume = now - 3 * DAY;
    const leak = detectLeak(series((h) => (h < start + 2 * DAY || h >= resume ? 120 : 0)), { now, zone });
    assert.ok(leak);
    assert.equal(leak.since, Math.floor(resume / HOUR) * HOUR + (resume % HOUR ? HOUR : 0));
    assert.equal(detectLeak(series((h) => (h < start + 3 * DAY ? 120 : 0)), { now, zone }), null);
  });
});
