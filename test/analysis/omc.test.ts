// readOmc on psa's statistics as readPanel delivers them since the totals moved
// into SQL: one row of totals an object, with its newest row and its newest
// hour with rejects (docs/decisions/011-omc-totals-in-sql.md).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LAST_HOUR_MAX_AGE, readOmc, type OmcInput } from '../../service/analysis/omc.ts';
import type { StatRow, Subscription } from '../../service/sources/panel-data.ts';
import { DAY, HOUR, parseIsoInstant } from '../../service/time.ts';

const zone = 'Asia/Tokyo';
const at = (hhmm: string, day = '03') => parseIsoInstant(`2022-02-${day}T${hhmm}:00+09:00`, zone)!;
const now = at('21:30');
const subscription: Subscription = {
  id: 1, domainId: 10, name: 'sk-seikan.jp', ownerId: 4, status: 0, sysUser: null, wwwRoot: null, phpHandler: null,
  limits: { subscription: 500, domain: null, mailbox: null, enableSendmail: true },
};
const row = (hour: number, passed: number, rejected: number): StatRow => ({ objectId: 1, hour, limit: 500, passed, rejected });
/** What the totals query gives for these hourly rows (the same sums psa's SQL makes). */
const totalOf = (rows: StatRow[]) => {
  const byHour = [...rows].sort((a, b) => a.hour - b.hour);
  const rejectedHours = byHour.filter((r) => r.rejected > 0);
  return {
    objectId: 1, rows: rows.length,
    passed: rows.reduce((n, r) => n + r.passed, 0), rejected: rows.reduce((n, r) => n + r.rejected, 0),
    last: byHour.at(-1)!.hour, lastRejected: rejectedHours.at(-1)?.hour ?? null, newest: byHour.at(-1)!,
  };
};
const input = (o: Partial<OmcInput>): OmcInput => ({
  subscription, stats: { total: null }, peaks: { subscription: [], domain: [], mailbox: [] },
  logRejectsHourly: new Map(), logPassedHourly: new Map(), now, ...o,
});

describe('readOmc on the totals of psa\'s hourly rows', () => {
  it('takes the totals from psa and the last hour from its newest row', () => {
    const rows = [row(at('15:00', '01'), 500, 700), row(at('20:00'), 320, 0)];
    const r = readOmc(input({ stats: { total: { ...totalOf(rows), rows: 700, passed: 150_000 } } }));
    assert.deepEqual([r.passedTotal, r.rejectedTotal], [150_000, 700]);
    assert.deepEqual(r.lastHour, { passed: 320, rejected: 0, limit: 500, from: 'panel' });
    assert.equal(r.rejectedLastDay, false, 'the rejects of Feb 1 are older than a day');
  });

  it('sees rejects of the last day from the newest hour with rejects', () => {
    const rows = [row(now - DAY + HOUR, 500, 40), row(at('20:00'), 100, 0)];
    const r = readOmc(input({ stats: { total: totalOf(rows) } }));
    assert.equal(r.rejectedLastDay, true);
    assert.equal(r.status, 'sending');
    const older = [row(now - DAY - HOUR, 500, 40), row(at('20:00'), 100, 0)];
    assert.equal(readOmc(input({ stats: { total: totalOf(older) } })).rejectedLastDay, false, 'an hour with rejects more than a day before now');
  });

  it('ignores a newest row or rejected hour after now (psa read to a later bound)', () => {
    const rows = [row(at('20:00'), 100, 0), row(at('23:00'), 10, 5)];
    const r = readOmc(input({ stats: { total: totalOf(rows) } }));
    assert.equal(r.rejectedLastDay, false);
    assert.equal(r.lastHour.from, 'none', 'the newest row is after now; no log either');
  });

  it('lets the log speak when psa\'s newest row is older than LAST_HOUR_MAX_AGE', () => {
    const stale = row(now - LAST_HOUR_MAX_AGE - HOUR, 90, 0);
    const lastFull = at('20:00');
    const r = readOmc(input({
      stats: { total: totalOf([stale]) },  // readPanel with newestSince would give newest: null here; an old row must not count either way
      logPassedHourly: new Map([[lastFull, 42]]),
    }));
    assert.deepEqual(r.lastHour, { passed: 42, rejected: 0, limit: 500, from: 'log' });
    assert.equal(r.passedTotal, 90, 'psa has rows: its totals, not the log\'s');
    const withoutNewest = readOmc(input({ stats: { total: { ...totalOf([stale]), newest: null } }, logPassedHourly: new Map([[lastFull, 42]]) }));
    assert.deepEqual(withoutNewest.lastHour, r.lastHour, 'as readPanel delivers it (newest older than newestSince: null)');
  });

  it('without any psa row, totals and recent rejects come from the log\'s hours before now', () => {
    const r = readOmc(input({
      logPassedHourly: new Map([[at('19:00'), 300], [at('20:00'), 500], [at('21:00'), 7]]),
      logRejectsHourly: new Map([[at('20:00'), 900], [at('22:00'), 5]]),
    }));
    assert.deepEqual([r.passedTotal, r.rejectedTotal, r.rejectedLastDay], [807, 900, true]);
    assert.equal(r.lastHour.from, 'log');
    assert.equal(r.status, 'not-sending', 'the log\'s limit rejects in the last hour');
  });
});
