// readOmc on psa's statistics as readPanel delivers them since the totals moved
// into SQL: per-object totals plus only the rows with rejects or of the last
// hours. The reading must not depend on rows left out.
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
const input = (o: Partial<OmcInput>): OmcInput => ({
  subscription, stats: { total: null, rows: [] }, peaks: { subscription: [], domain: [], mailbox: [] },
  logRejectsHourly: new Map(), logPassedHourly: new Map(), now, ...o,
});

describe('readOmc on totals and the rows of note', () => {
  it('takes the totals from psa and the last hour from its newest row', () => {
    const rows = [row(at('15:00', '01'), 500, 700), row(at('20:00'), 320, 0)];
    const r = readOmc(input({ stats: { total: { objectId: 1, rows: 700, passed: 150_000, rejected: 700 }, rows } }));
    assert.deepEqual([r.passedTotal, r.rejectedTotal], [150_000, 700]);
    assert.deepEqual(r.lastHour, { passed: 320, rejected: 0, limit: 500, from: 'panel' });
    assert.equal(r.rejectedLastDay, false, 'the rejects of Feb 1 are older than a day');
  });

  it('sees rejects of the last day among the rows of note', () => {
    const rows = [row(now - DAY + HOUR, 500, 40), row(at('20:00'), 100, 0)];
    const r = readOmc(input({ stats: { total: { objectId: 1, rows: 30, passed: 4000, rejected: 40 }, rows } }));
    assert.equal(r.rejectedLastDay, true);
    assert.equal(r.status, 'sending');
  });

  it('lets the log speak when psa\'s newest row is older than LAST_HOUR_MAX_AGE', () => {
    const stale = row(now - LAST_HOUR_MAX_AGE - HOUR, 90, 0);
    const lastFull = at('20:00');
    const r = readOmc(input({
      stats: { total: { objectId: 1, rows: 1, passed: 90, rejected: 0 }, rows: [stale] },
      logPassedHourly: new Map([[lastFull, 42]]),
    }));
    assert.deepEqual(r.lastHour, { passed: 42, rejected: 0, limit: 500, from: 'log' });
    assert.equal(r.passedTotal, 90, 'psa has rows: its totals, not the log\'s');
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
