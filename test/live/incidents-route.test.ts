// GET /api/incidents and the `incident` server event: each role sees the
// incidents of the subscriptions it may see, nothing else.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../http/build.ts';
import { ID, VISIBLE } from '../http/fake-world.ts';
import type { Incident } from '../../service/live/incident.ts';

function incident(id: string, subscriptionId: number | null, state: 'open' | 'resolved' = 'open'): Incident {
  return {
    id, kind: 'burst', key: id, subscriptionId, subscription: subscriptionId === null ? null : `s${subscriptionId}`, source: { kind: 'system-user', id: '10001', label: 'uid 10001' },
    state, level: 1, openedAt: 1, updatedAt: Number(id.replace(/\D/g, '')) || 1, resolvedAt: state === 'open' ? null : 2, lastActiveAt: 1,
    figures: { perMinute: 100, baselinePerMinute: 0, perHour: null, count: 100, limit: null, reachesLimitAt: null, since: null },
    reason: { en: 'x', ja: 'x' }, confidence: 0.94, context: [], history: [],
  };
}

const ALL = [incident('i1', 10), incident('i2', 12), incident('i3', null), incident('i4', 11, 'resolved'), incident('i5', 13)];

describe('GET /api/incidents', () => {
  it('answers each role with the incidents of the subscriptions it may see; unattributed ones are the admin\'s', async (t) => {
    const s = await build(t, { deps: { incidents: () => ALL } });
    for (const [login, ids] of Object.entries(VISIBLE)) {
      const r = await s.inject({ url: '/api/incidents', as: ID[login as keyof typeof ID] });
      assert.equal(r.statusCode, 200, r.body);
      const got = (JSON.parse(r.body) as { incidents: Incident[] }).incidents.map((i) => i.id).sort();
      const want = ALL.filter((i) => (i.subscriptionId === null ? login === 'admin' : ids.includes(i.subscriptionId))).map((i) => i.id).sort();
      assert.deepEqual(got, want, login);
    }
  });

  it('filters by state and subscription, and answers 404 for a subscription the caller may not see', async (t) => {
    const s = await build(t, { deps: { incidents: () => ALL } });
    const open = JSON.parse((await s.inject({ url: '/api/incidents?state=open', as: ID.admin })).body) as { incidents: Incident[] };
    assert.deepEqual(open.incidents.map((i) => i.id).sort(), ['i1', 'i2', 'i3', 'i5']);
    const one = JSON.parse((await s.inject({ url: '/api/incidents?subscription=10', as: ID.c1 })).body) as { incidents: Incident[] };
    assert.deepEqual(one.incidents.map((i) => i.id), ['i1']);
    const hidden = await s.inject({ url: '/api/incidents?subscription=12', as: ID.c1 });
    assert.equal(hidden.statusCode, 404);
    assert.doesNotMatch(hidden.body, /i2|s12/);
    assert.equal((await s.inject({ url: '/api/incidents?state=bogus', as: ID.admin })).statusCode, 400);
    assert.equal((await s.inject({ url: '/api/incidents' })).statusCode, 401);
  });

  it('says when the watcher is not running', async (t) => {
    const s = await build(t);
    assert.deepEqual(JSON.parse((await s.inject({ url: '/api/incidents', as: ID.admin })).body), { live: false, incidents: [] });
  });
});
