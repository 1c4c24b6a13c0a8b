// The streamed reader of psa's hourly statistics (the timeline's data):
// compared, row for row, with the zod-checked query of every row (panel-queries.ts),
// through the plesk simulator on the fixture world's psa; and its handling
// of lines that are not a statistics row.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createPsaHourly } from '../../service/http/cache/hourly-source.ts';
import { createSnapshotView } from '../../service/http/cache/snapshot-view.ts';
import { createStatsCollector, readHourlyStats, readStatsSummary } from '../../service/http/cache/stats-reader.ts';
import { fakeSnapshot } from './fake-world.ts';
import { LEVELS, stats as statsQuery } from '../../service/sources/panel-queries.ts';
import { queryPleskDb } from '../../service/sources/plesk-db.ts';
import { sqlDatetime } from '../../service/sources/sql-text.ts';
import { DAY } from '../../service/time.ts';
import { cachedWorld } from '../fixtures/expand/world.ts';
import { makePleskSim } from '../helpers/plesk-sim.ts';

const SUBS_OF_WORLD = [3, 4, 5];

describe('hourly statistics reader', () => {
  it('reads the same rows as the zod-checked query, grouped by subscription in hour order', async (t) => {
    const world = await cachedWorld();
    const sim = await makePleskSim({ sqlite: join(world.dir, 'psa.sql') });
    t.after(() => sim.remove());
    const config = { plesk: sim.path, timezone: 'Asia/Tokyo' };
    const now = Date.parse(world.now);
    const range = { since: now - 35 * DAY, until: now };
    const everyRow = statsQuery(LEVELS[0], sqlDatetime(range.since, config.timezone), sqlDatetime(range.until, config.timezone), config.timezone);
    const [mine, [theirs]] = await Promise.all([readHourlyStats(config, range), queryPleskDb(config, [everyRow] as const, { timeoutMs: 60_000 })]);
    const rows = theirs.rows;
    assert.ok(rows.length > 100, `the world has statistics (${rows.length} rows)`);
    assert.equal(mine.rows, rows.length);
    assert.deepEqual([mine.skipped, mine.warnings], [0, []]);
    const flat = [...mine.bySubscription].flatMap(([id, s]) => [...s.hours].map((h, i) => ({ objectId: id, hour: h, limit: s.limit[i], passed: s.passed[i], rejected: s.rejected[i] })));
    assert.deepEqual(flat, [...rows].sort((a, b) => a.objectId - b.objectId || a.hour - b.hour));
    assert.equal(mine.lastCollected, Math.max(...rows.map((r) => r.hour)));
  });

  it('reads a subscription\'s rows when its timeline is first asked for, together with others asked at once, once per diagnosis', async (t) => {
    const world = await cachedWorld();
    const dir = await mkdtemp(join(tmpdir(), 'st-hourly-'));
    const calls = join(dir, 'calls.jsonl');
    const sim = await makePleskSim({ sqlite: join(world.dir, 'psa.sql'), record: calls });
    t.after(async () => {
      await sim.remove();
      await rm(dir, { recursive: true, force: true });
    });
    const config = { plesk: sim.path, timezone: 'Asia/Tokyo' };
    const now = Date.parse(world.now);
    const data = { ...fakeSnapshot(), now, stats: { from: now - 35 * DAY, lastCollected: now } };
    let clock = now;
    const source = createPsaHourly(config, { maxEntries: 3, maxAgeMs: 60_000, clock: () => clock });
    const queries = () => readFileSync(calls, 'utf8').trim().split('\n').length;
    const v1 = createSnapshotView(data, 1, 0);
    const [one, again, two] = await Promise.all([source.series(1, v1), source.series(1, v1), source.series(2, v1)]);
    assert.equal(queries(), 1, 'three requests at once make one query');
    assert.equal(one, again);
    const all = await readHourlyStats(config, { since: now - 35 * DAY, until: now });
    assert.deepEqual(one, all.bySubscription.get(1));
    assert.deepEqual(two, all.bySubscription.get(2));
    assert.ok(one!.hours.length > 24);
    assert.equal(await source.series(1, v1), one, 'the same diagnosis: no new query');
    assert.equal(queries(), 2, 'only the full read above was added');
    assert.equal(await source.series(1, createSnapshotView(data, 2, 0)), one, 'a new diagnosis, the same newest collected hour: no new query');
    assert.equal(queries(), 2);
    const v2 = createSnapshotView({ ...data, stats: { ...data.stats, lastCollected: now + 3_600_000 } }, 3, 0);
    await source.series(1, v2);
    assert.equal(queries(), 3, 'a newer collected hour reads again');
    clock += 60_000;
    await source.series(1, v2);
    assert.equal(queries(), 4, 'rows older than maxAgeMs are read again');
    source.prefetch(SUBS_OF_WORLD, v2);
    await source.series(5, v2);
    assert.equal(queries(), 5, 'read ahead in one query');
    assert.equal(source.size(), 3, 'least recently used first out');
    assert.equal(await source.series(1, createSnapshotView({ ...data, stats: null }, 2, 0)), null, 'no statistics window, no rows');
    const summary = await readStatsSummary(config, now);
    assert.equal(summary?.subscriptions, all.bySubscription.size);
    assert.equal(summary?.lastCollected, all.lastCollected);
    const earlier = await readStatsSummary(config, now - DAY);
    assert.ok(earlier!.lastCollected! <= now - DAY, 'as of an earlier instant, later hours do not count');
  });

  it('skips and counts lines that are not a statistics row, and keeps the rest', () => {
    const c = createStatsCollector('Asia/Tokyo');
    for (const line of [
      '7\t2022-02-03 20:00:00\t500\t500\t19439',
      '7\t2022-02-03 21:00:00\t500\t12\t0',
      '7\t2022-13-01 21:00:00\t500\t12\t0',        // no such month
      'NULL\t2022-02-03 21:00:00\t500\t1\t0',
      '8\t2022-02-03 21:00:00\t-1\t3\t0\textra',
      '9\t2022-02-03 21:00:00\t-1\t3\t0',
    ]) c.line(line);
    const r = c.finish();
    assert.deepEqual([r.rows, r.skipped], [3, 3]);
    assert.deepEqual([...r.bySubscription.get(7)!.rejected], [19439, 0]);
    assert.deepEqual([...r.bySubscription.get(9)!.limit], [-1]);
    assert.equal(r.lastCollected, Date.parse('2022-02-03T21:00:00+09:00'));
  });
});
