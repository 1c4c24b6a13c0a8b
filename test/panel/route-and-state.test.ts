import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../service/http/contract.ts';
import { hrefOf, parseRoute, type Route } from '../../frontend/route.ts';
import { latestAction } from '../../frontend/state.ts';
import { verifyFromMinutes } from '../../frontend/components/verification-model.ts';

describe('routes', () => {
  const start: Route = { view: 'overview' };
  it('reads every view from the hash and writes it back the same', () => {
    for (const r of [{ view: 'overview' }, { view: 'diagnosis', id: 7 }, { view: 'settings', id: 12 }, { view: 'audit' }, { view: 'quarantine' }] as Route[]) {
      assert.deepEqual(parseRoute(hrefOf(r), start), r);
    }
  });

  it('sends an empty or unknown hash to the start view (a customer lands on its subscription)', () => {
    const mine: Route = { view: 'diagnosis', id: 3 };
    assert.deepEqual(parseRoute('', mine), mine);
    assert.deepEqual(parseRoute('#/subscriptions/0', mine), mine);
    assert.deepEqual(parseRoute('#/subscriptions/1e3', start), start);
  });
});

const rec = (o: Partial<AuditEntry>): AuditEntry => ({
  at: 0, time: '', actor: 'admin', action: 'quarantine', target: 't', subscription: 'sk-seikan.jp', dryRun: false, result: 'done', reason: null, details: {}, ...o,
});

describe('the action a verification follows', () => {
  it("is the latest real quarantine or purge on this subscription (a reset is judged by SMTP logins, the sidecar's part)", () => {
    const last = latestAction([
      rec({ at: 10 }),
      rec({ at: 30, dryRun: true }),
      rec({ at: 40, action: 'restore' }),
      rec({ at: 50, subscription: 'other.jp' }),
      rec({ at: 60, result: 'refused' }),
      rec({ at: 70, action: 'reset-passwords' }),
      rec({ at: 20, action: 'purge-queue', subscription: 'SK-SEIKAN.JP', result: 'partial' }),
    ], { id: 1, name: 'sk-seikan.jp' });
    assert.deepEqual(last, { subscriptionId: 1, action: 'purge-queue', at: 20, target: 't' });
  });
});

describe('verification from minute steps', () => {
  const at = Date.parse('2022-02-03T22:15:20+09:00');
  const minute = (m: number, n: number) => ({ t: new Date(Date.parse('2022-02-03T22:00:00+09:00') + m * 60_000).toISOString(), passed: null, rejected: null, limit: null, submitted: n });
  it('says "stopped" when no message follows the first whole minute after the action', () => {
    const v = verifyFromMinutes(at, { points: [minute(14, 9), minute(15, 4), minute(16, 0), minute(17, 0)], to: '2022-02-03T22:40:00+09:00' });
    assert.equal(v.status, 'stopped');
    assert.equal(v.since, Date.parse('2022-02-03T22:16:00+09:00'));
  });

  it('says "still sending" with the count of the last 10 minutes', () => {
    const v = verifyFromMinutes(at, { points: [minute(20, 5), minute(35, 7)], to: '2022-02-03T22:40:00+09:00' });
    assert.deepEqual([v.status, v.count, v.recent, v.minutes], ['still-sending', 12, 7, 10]);
  });

  it('says "not known yet" when the data ends before the action', () => {
    assert.equal(verifyFromMinutes(at, { points: [], to: '2022-02-03T21:30:00+09:00' }).status, 'unknown');
  });
});
