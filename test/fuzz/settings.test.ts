// Property tests of per-subscription settings: any JSON body on PUT is stored
// only when it is valid settings (400 naming the field otherwise, never a
// 500); what was stored reads back the same through the API and from the
// store; any content of the settings file is either a valid document or
// SENDTRACE_ERR_STATE — never another exception, never a crash.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, fc } from './fuzz-config.ts';
import { SendtraceError } from '../../service/errors.ts';
import { SettingsDocumentSchema, SettingsSchema } from '../../service/http/contract.ts';
import { openSettingsStore } from '../../service/http/settings-store.ts';
import { build } from '../http/build.ts';
import { ID } from '../http/fake-world.ts';

const settings = fc.record({
  thresholds: fc.record({
    scriptPerHour: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: null }),
    leakPerHour: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: null }),
    minConfidence: fc.double({ min: 0.5, max: 1, noNaN: true }),
  }),
  onDetection: fc.constantFrom('alert' as const, 'quarantine' as const),
  allowList: fc.array(fc.record({ path: fc.array(fc.stringMatching(/^[a-z0-9_-][a-z0-9._-]{0,10}$/), { minLength: 1, maxLength: 4 }).map((p) => `/var/www/vhosts/c1.example/${p.join('/')}`), sha256: fc.stringMatching(/^[0-9a-f]{64}$/) }), { maxLength: 3 }),
  notify: fc.record({ owner: fc.boolean(), emails: fc.array(fc.stringMatching(/^[a-z0-9]{1,10}@[a-z0-9]{1,10}\.jp$/), { maxLength: 3 }) }),
});
// Valid settings with one part replaced by anything JSON can say.
const mutated = fc.tuple(settings, fc.constantFrom('thresholds', 'onDetection', 'allowList', 'notify', 'extra'), fc.jsonValue({ maxDepth: 3 }))
  .map(([s, k, v]) => ({ ...s, [k]: v }));

describe('fuzz: settings', () => {
  it('stores any valid settings and reads them back; refuses anything else with 400, never 500', async (t) => {
    const s = await build(t);
    let revision = 0;
    await check(fc.asyncProperty(fc.oneof(settings, mutated, fc.jsonValue({ maxDepth: 3 })), async (body) => {
      s.clock.now += 60_000;   // changes are rate-limited per user; this is not what is tested here
      const r = await s.inject({ method: 'PUT', url: '/api/subscriptions/10/settings', as: ID.c1, body: { settings: body } });
      const valid = SettingsSchema.safeParse(body).success;
      if (!valid) {
        assert.equal(r.statusCode, 400, r.body);
        assert.equal(JSON.parse(r.body).error.code, 'SENDTRACE_ERR_INVALID_REQUEST');
        return;
      }
      assert.equal(r.statusCode, 200, r.body);
      const doc = SettingsDocumentSchema.parse(JSON.parse(r.body));
      assert.equal(doc.revision, ++revision);
      const back = SettingsDocumentSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions/10/settings', as: ID.c1 })).body));
      assert.deepEqual(back.settings, JSON.parse(JSON.stringify(body)));
    }), 150);
    assert.ok(revision > 10, `valid settings were generated (${revision})`);
  });

  it('reads any settings file as a valid document or refuses it as unusable state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-fuzz-settings-'));
    try {
      const store = openSettingsStore(dir, 'UTC');
      store.get(1);
      const file = join(dir, 'settings', '1.json');
      const stored = fc.record({ v: fc.constantFrom(1, 2), subscriptionId: fc.constantFrom(1, 2), settings: fc.oneof(settings, mutated), revision: fc.integer({ min: -1, max: 5 }), updatedAt: fc.string(), updatedBy: fc.string() }, { requiredKeys: [] });
      check(fc.property(fc.oneof(stored.map((o) => JSON.stringify(o)), fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ maxLength: 40 })), (content) => {
        writeFileSync(file, content);
        try {
          SettingsDocumentSchema.parse(store.get(1));
        } catch (err) {
          assert.ok(err instanceof SendtraceError && err.code === 'SENDTRACE_ERR_STATE', String(err));
        }
      }), 1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
