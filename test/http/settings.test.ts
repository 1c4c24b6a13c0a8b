// Per-subscription settings: defaults, validation, atomic storage with a
// revision, and allow-listed scripts held inside the subscription.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SettingsDocumentSchema, type Settings } from '../../service/http/contract.ts';
import { DEFAULT_SETTINGS } from '../../service/http/settings-store.ts';
import { build } from './build.ts';
import { ID, LEAKING_SCRIPT } from './fake-world.ts';

const mine: Settings = {
  thresholds: { scriptPerHour: 50, leakPerHour: 20, minConfidence: 0.8 },
  onDetection: 'quarantine',
  allowList: [{ path: '/var/www/vhosts/c1.example/httpdocs/newsletter.php', sha256: 'd'.repeat(64) }],
  notify: { owner: false, emails: ['ops@c1.example'] },
};
const put = (body: unknown) => ({ method: 'PUT', url: '/api/subscriptions/10/settings', as: ID.c1, body });

describe('settings', () => {
  it('starts from the defaults at revision 0', async (t) => {
    const s = await build(t);
    const doc = SettingsDocumentSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions/10/settings', as: ID.c1 })).body));
    assert.deepEqual(doc, { subscriptionId: 10, settings: DEFAULT_SETTINGS, revision: 0, updatedAt: null, updatedBy: null });
  });

  it('stores a change in one private file, atomically, and says who made it', async (t) => {
    const s = await build(t);
    const r = await s.inject(put({ settings: mine, revision: 0 }));
    assert.equal(r.statusCode, 200, r.body);
    const doc = SettingsDocumentSchema.parse(JSON.parse(r.body));
    assert.deepEqual([doc.revision, doc.updatedBy], [1, 'panel:client:c1#4']);
    const again = SettingsDocumentSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions/10/settings', as: ID.r1 })).body));
    assert.deepEqual(again.settings, mine);
    const dir = join(s.config.stateDir, 'settings');
    assert.deepEqual(readdirSync(dir), ['10.json'], 'no temporary file is left behind');
    assert.equal(statSync(join(dir, '10.json')).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(JSON.parse(readFileSync(join(dir, '10.json'), 'utf8')).revision, 1);
  });

  it('refuses a stale revision instead of overwriting someone else\'s change', async (t) => {
    const s = await build(t);
    assert.equal((await s.inject(put({ settings: mine, revision: 0 }))).statusCode, 200);
    const stale = await s.inject({ ...put({ settings: DEFAULT_SETTINGS, revision: 0 }), as: ID.r1 });
    assert.equal(stale.statusCode, 409);
    assert.match(JSON.parse(stale.body).error.message, /changed meanwhile \(revision 1 by panel:client:c1#4\)/);
  });

  it('refuses an allow-listed script outside the subscription, and invalid values, naming the field', async (t) => {
    const s = await build(t);
    const foreign = await s.inject(put({ settings: { ...mine, allowList: [{ path: '/var/www/vhosts/c2.example/httpdocs/x.php', sha256: 'd'.repeat(64) }] } }));
    assert.equal(foreign.statusCode, 403);
    const cases: Array<[unknown, string]> = [
      [{ ...mine, onDetection: 'delete' }, 'body.settings.onDetection'],
      [{ ...mine, thresholds: { ...mine.thresholds, minConfidence: 0.2 } }, 'body.settings.thresholds.minConfidence'],
      [{ ...mine, allowList: [{ path: LEAKING_SCRIPT, sha256: 'XYZ' }] }, 'body.settings.allowList.0.sha256'],
      [{ ...mine, notify: { owner: true, emails: ['not an address'] } }, 'body.settings.notify.emails.0'],
    ];
    for (const [settings, where] of cases) {
      const r = await s.inject(put({ settings }));
      assert.equal(r.statusCode, 400, where);
      assert.deepEqual(JSON.parse(r.body).error.issues.map((i: { where: string }) => i.where), [where]);
    }
  });

  it('treats a garbled settings file as a server problem, without showing its content', async (t) => {
    const s = await build(t);
    assert.equal((await s.inject(put({ settings: mine }))).statusCode, 200);
    writeFileSync(join(s.config.stateDir, 'settings', '10.json'), '{"v":1,"subscriptionId":10,"settings":"secret-ish"');
    const r = await s.inject({ url: '/api/subscriptions/10/settings', as: ID.c1 });
    assert.equal(r.statusCode, 500);
    assert.equal(JSON.parse(r.body).error.code, 'SENDTRACE_ERR_STATE');
    assert.ok(!r.body.includes('secret-ish') && !r.body.includes(s.config.stateDir));
  });
});
