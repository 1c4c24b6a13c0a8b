import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TimelinePoint } from '../../service/http/contract.ts';
import { buildChart, indexAt, niceCeil, niceRound } from '../../frontend/components/chart-geometry.ts';

const hourIso = (h: number) => {
  const day = 3 + Math.floor(h / 24);
  return `2022-02-0${day}T${String(h % 24).padStart(2, '0')}:00:00+09:00`;
};
const pt = (h: number, passed: number | null, rejected: number | null, limit: number | null = 500): TimelinePoint => ({ t: hourIso(h), passed, rejected, limit, submitted: null });

describe('timeline chart geometry', () => {
  it("rounds the top of the scale up to a round number, and ticks to 1-2-5 numbers", () => {
    assert.equal(niceCeil(20_500), 25_000);
    assert.equal(niceCeil(20_194), 25_000);
    assert.equal(niceCeil(480), 500);
    assert.equal(niceRound(1_300), 1_000);
    assert.equal(niceRound(4_000), 5_000);
  });

  it('keeps the limit of 500 well above the axis when 20,000 are rejected (square-root scale)', () => {
    const g = buildChart([pt(0, 500, 19_500), pt(1, 500, 20_000)], [], { width: 800, height: 240 });
    const h = g.plot.bottom - g.plot.top;
    const limitY = Number(/M[\d.]+ ([\d.]+)/.exec(g.limit!)![1]);
    assert.ok(g.plot.bottom - limitY > h * 0.08, `limit line ${g.plot.bottom - limitY}px above the axis of ${h}px`);
    assert.ok(g.rejected.length > 0 && g.passed.length > 0);
  });

  it('draws nothing for an hour of zero and marks hours Plesk has not collected', () => {
    const g = buildChart([pt(0, 0, 0), pt(1, null, null, null), pt(2, 3, 0)], [], { width: 600, height: 200 });
    assert.equal(g.missing.length, 1);
    assert.equal((g.passed.match(/M/g) ?? []).length, 1, 'only the hour with 3 messages has a bar');
    assert.equal(g.rejected, '');
  });

  it('breaks the limit line where the limit is unknown or unlimited', () => {
    const g = buildChart([pt(0, 1, 0, 500), pt(1, 1, 0, -1), pt(2, 1, 0, 500)], [], { width: 600, height: 200 });
    assert.equal((g.limit!.match(/M/g) ?? []).length, 2);
  });

  it('places an action at its minute within the hour and drops events outside the period', () => {
    const points = Array.from({ length: 24 }, (_, h) => pt(h, 10, 0));
    const g = buildChart(points, [
      { at: '2022-02-03T22:15:00+09:00', kind: 'action', level: null, detail: 'quarantine: done' },
      { at: '2022-02-05T00:00:00+09:00', kind: 'limit-hit', level: 'subscription', detail: 'later' },
    ], { width: 24 * 20 + 60, height: 200 });
    assert.equal(g.markers.length, 1);
    assert.equal(g.markers[0]!.x, g.plot.left + 22.25 * g.slot);
    assert.equal(indexAt(g, g.markers[0]!.x, points.length), 22);
  });

  it('labels the hours of a day and the days of a month', () => {
    const day = buildChart(Array.from({ length: 24 }, (_, h) => pt(h, 1, 0)), [], { width: 1000, height: 200 });
    assert.ok(day.xTicks.length >= 4 && day.xTicks.every((t) => t.label === 'time'));
    const month = buildChart(Array.from({ length: 30 * 24 }, (_, h) => ({ ...pt(0, 1, 0), t: new Date(Date.parse('2022-01-05T00:00:00+09:00') + h * 3_600_000).toISOString().replace('Z', '+00:00') })), [], { width: 390, height: 180 });
    assert.ok(month.xTicks.every((t) => t.label === 'day'));
    assert.ok(month.xTicks.length >= 2 && month.xTicks.length <= 8, `${month.xTicks.length} day labels fit 390 px`);
  });
});
