// Authorization from psa ownership, walked route by route and role by role:
// every identity, against every subscription it must not see (and one that
// does not exist), on every route that takes an id. The expected visibility
// is written out by hand in fake-world.ts, not computed by the code under test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { AuditEntry, QuarantineItem } from '../../service/http/contract.ts';
import { readSecurityLog } from '../../service/http/security-log.ts';
import { DEFAULT_SETTINGS } from '../../service/http/settings-store.ts';
import { build, recordingActions } from './build.ts';
import { homeOf, ID, identityOf, SUBS, VISIBLE } from './fake-world.ts';

const quarantined: QuarantineItem[] = SUBS.map((s, i) => ({
  id: `q-20220203-2100${String(i).padStart(2, '0')}-0000000${i}`, status: 'quarantined', originalPath: `${homeOf(s.name)}/httpdocs/x.php`, subscription: s.name, subscriptionId: s.id,
  quarantinedAt: '2022-02-03T21:00:00+09:00', actor: 'cli:root', reason: 'test', size: 10, sha256: 'b'.repeat(64), restoredAt: null, restoredBy: null,
}));
const audit: AuditEntry[] = SUBS.map((s, i) => ({ at: Date.parse('2022-02-03T21:00:00+09:00') + i, time: '2022-02-03T21:00:00+09:00', actor: 'cli:root', action: 'quarantine', target: `${homeOf(s.name)}/httpdocs/x.php`, subscription: s.name, dryRun: false, result: 'done', reason: null, details: {} }));
const qid = (subId: number) => quarantined.find((q) => q.subscriptionId === subId)!.id;

/** Every route that takes a subscription id, with a body that would be accepted for that subscription. */
const routes = (id: number) => {
  const home = homeOf(SUBS.find((s) => s.id === id)?.name ?? 'nowhere.example');
  return [
    { method: 'GET', url: `/api/subscriptions/${id}` },
    { method: 'GET', url: `/api/subscriptions/${id}/timeline` },
    { method: 'GET', url: `/api/subscriptions/${id}/timeline?step=minute&from=2022-02-03T21:00:00%2B09:00&to=2022-02-03T21:30:00%2B09:00` },
    { method: 'GET', url: `/api/subscriptions/${id}/settings` },
    { method: 'PUT', url: `/api/subscriptions/${id}/settings`, body: { settings: DEFAULT_SETTINGS } },
    { method: 'POST', url: `/api/subscriptions/${id}/actions/quarantine`, body: { path: `${home}/httpdocs/x.php`, dryRun: true } },
    { method: 'POST', url: `/api/subscriptions/${id}/actions/restore`, body: { quarantineId: quarantined.find((q) => q.subscriptionId === id)?.id ?? 'q-20220101-000000-00000000', dryRun: true } },
    { method: 'POST', url: `/api/subscriptions/${id}/actions/reset-passwords`, body: { mailboxes: 'all', dryRun: true } },
    { method: 'POST', url: `/api/subscriptions/${id}/actions/purge-queue`, body: { source: null, dryRun: true } },
  ];
};

const setup = (t: Parameters<typeof build>[0]) => {
  const actions = recordingActions({ quarantine: quarantined, audit });
  return build(t, { actions, deps: { rateLimit: { burst: 10_000, perMinute: 10_000 } }, securityLinesPerSecond: 100_000 }).then((s) => ({ s, actions }));
};

describe('authorization by role', () => {
  it('answers 404 on every route for every subscription a role must not see, exactly as for one that does not exist', async (t) => {
    const { s, actions } = await setup(t);
    let checked = 0;
    for (const [login, visible] of Object.entries(VISIBLE)) {
      const hidden = [...SUBS.map((x) => x.id).filter((id) => !visible.includes(id)), 9999];
      for (const id of hidden) {
        for (const r of routes(id)) {
          const res = await s.inject({ ...r, as: identityOf(login) });
          assert.equal(res.statusCode, 404, `${login} ${r.method} ${r.url}: ${res.body}`);
          assert.deepEqual(JSON.parse(res.body), { error: { code: 'SENDTRACE_ERR_NOT_FOUND', message: `Subscription not found: ${id}` } }, `${login} ${r.method} ${r.url}`);
          checked++;
        }
      }
    }
    assert.equal(checked, 9 * (6 * 8 - 15 + 8), 'every hidden pair was walked');
    assert.equal(actions.calls.length, 0, 'no action reached the actions module');
    const refusals = readSecurityLog(s.config.stateDir, null).records.filter((r) => r.event === 'not-visible');
    assert.equal(refusals.length, 4 * (6 * 8 - 15 + 8), 'every refused action attempt is recorded');
  });

  it('lets each role reach exactly its own subscriptions on every route', async (t) => {
    const { s, actions } = await setup(t);
    for (const [login, visible] of Object.entries(VISIBLE)) {
      for (const id of visible) {
        for (const r of routes(id)) {
          const res = await s.inject({ ...r, as: identityOf(login) });
          assert.equal(res.statusCode, 200, `${login} ${r.method} ${r.url}: ${res.body}`);
        }
      }
    }
    assert.equal(actions.calls.length, 4 * 15);
  });

  it('lists only the subscriptions each role may see', async (t) => {
    const { s } = await setup(t);
    for (const [login, visible] of Object.entries(VISIBLE)) {
      const body = JSON.parse((await s.inject({ url: '/api/subscriptions', as: identityOf(login) })).body) as { total: number; items: Array<{ id: number }> };
      assert.deepEqual(body.items.map((i) => i.id).sort(), [...visible].sort(), login);
      assert.equal(body.total, visible.length);
    }
  });

  it('shows the quarantine and the audit log of visible subscriptions only; refused requests to the admin only', async (t) => {
    const { s } = await setup(t);
    await s.inject({ url: '/api/me' });   // one refusal in security.log
    for (const [login, visible] of Object.entries(VISIBLE)) {
      const q = JSON.parse((await s.inject({ url: '/api/quarantine', as: identityOf(login) })).body) as { items: QuarantineItem[] };
      assert.deepEqual(q.items.map((i) => i.subscriptionId).sort(), [...visible].sort(), `${login} quarantine`);
      const a = JSON.parse((await s.inject({ url: '/api/audit', as: identityOf(login) })).body) as { records: AuditEntry[]; refusals: unknown[] };
      assert.deepEqual(a.records.map((r) => SUBS.find((x) => x.name === r.subscription)!.id).sort(), [...visible].sort(), `${login} audit`);
      assert.equal(a.refusals.length > 0, login === 'admin', `${login} refusals`);
    }
  });

  it('never names a subscription, file or warning of someone else in any answer', async (t) => {
    const { s } = await setup(t);
    for (const [login, visible] of Object.entries(VISIBLE)) {
      if (login === 'admin') continue;
      const foreign = SUBS.filter((x) => !visible.includes(x.id)).map((x) => x.name);
      const bodies: string[] = [];
      for (const url of ['/api/subscriptions', '/api/quarantine', '/api/audit', '/api/me']) bodies.push((await s.inject({ url, as: identityOf(login) })).body);
      for (const id of [...SUBS.map((x) => x.id), 9999]) for (const r of routes(id)) bodies.push((await s.inject({ ...r, as: identityOf(login) })).body);
      for (const name of foreign) assert.ok(!bodies.some((b) => b.includes(name)), `${login} learns of ${name}: ${bodies.find((b) => b.includes(name))?.slice(0, 300)}`);
      assert.ok(!bodies.some((b) => b.includes('EACCES')), `${login} sees the admin's warnings`);
    }
  });

  it('takes no noticeably longer to refuse a hidden subscription than an unknown one', async (t) => {
    const { s } = await setup(t);
    const time = async (url: string) => {
      const t0 = performance.now();
      const r = await s.inject({ url, as: ID.c1 });
      assert.equal(r.statusCode, 404);
      return performance.now() - t0;
    };
    const hidden: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 50; i++) await time('/api/subscriptions/12');   // warm-up
    for (let i = 0; i < 300; i++) {
      hidden.push(await time('/api/subscriptions/12'));
      unknown.push(await time('/api/subscriptions/9999'));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const [h, u] = [median(hidden), median(unknown)];
    assert.ok(Math.abs(h - u) < Math.max(0.5, 0.5 * Math.min(h, u)), `median ${h.toFixed(3)} ms (hidden) vs ${u.toFixed(3)} ms (unknown)`);
  });

  it('refuses a restore of another subscription\'s quarantine id through one\'s own subscription', async (t) => {
    const { s, actions } = await setup(t);
    const r = await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/restore', as: ID.c1, body: { quarantineId: qid(12), dryRun: true } });
    assert.equal(r.statusCode, 404);
    assert.match(r.body, /Quarantine id not found/);
    assert.equal(actions.calls.length, 0);
  });
});
