import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPolicy, sha256Of } from '../../service/live/policy.ts';
import type { Incident, Transition } from '../../service/live/incident.ts';
import { DEFAULT_SETTINGS } from '../../service/http/settings-store.ts';
import type { Settings } from '../../service/http/contract.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-policy-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function t(path: string, o: Partial<Incident> = {}, type: Transition['type'] = 'opened'): Transition {
  return { type, incident: {
    id: `burst-${path}`, kind: 'burst', key: path, subscriptionId: 10, subscription: 'easytone.example', source: { kind: 'script', id: path, label: path },
    state: 'open', level: 1, openedAt: 0, updatedAt: 0, resolvedAt: null, lastActiveAt: 0,
    figures: { perMinute: 300, baselinePerMinute: 0, perHour: null, count: 0, limit: 500, reachesLimitAt: null, since: null },
    reason: { en: '', ja: '' }, confidence: 0.91, context: [], history: [], ...o,
  } };
}

describe('policy', () => {
  it('quarantines a script ≥ 0.9 only when the subscription says so, once, and never an allow-listed file whose sha256 still matches', async () => {
    const bad = join(dir, 'mail.php');
    const good = join(dir, 'form.php');
    await writeFile(bad, '<?php mail($_POST["to"], "x", "y");');
    await writeFile(good, '<?php mail("info@example.jp", "Contact", $_POST["m"]);');
    const goodSha = createHash('sha256').update('<?php mail("info@example.jp", "Contact", $_POST["m"]);').digest('hex');
    assert.equal(await sha256Of(good), goodSha);
    const calls: string[] = [];
    const quarantine = async (r: { path: string; reason: string }) => {
      calls.push(r.path);
      return { id: 'q-20220203-221500-0a1b2c3d', sha256: 'f'.repeat(64) };
    };
    const settings: Settings = { ...DEFAULT_SETTINGS, onDetection: 'quarantine', allowList: [{ path: good, sha256: goodSha }] };
    const done = new Set<string>();
    const d = await applyPolicy([t(bad), t(good), t(join(dir, 'lead.php'), { confidence: 0.8 }), t(bad, { id: 'uid', source: { kind: 'system-user', id: '10001', label: 'uid' }, confidence: 1 })], { settingsOf: () => settings, quarantine, done });
    assert.deepEqual(calls, [bad]);
    assert.deepEqual(d.map((x) => [x.path, x.action]), [[bad, 'quarantined'], [good, 'allow-listed']]);
    assert.match(d[0]!.detail, /sendtrace restore --id q-20220203-221500-0a1b2c3d/);
    // An escalation of the same incident does not quarantine twice.
    await applyPolicy([t(bad, { level: 2 }, 'escalated')], { settingsOf: () => settings, quarantine, done });
    assert.deepEqual(calls, [bad]);
    // The allow-listed file was modified: no longer trusted.
    await writeFile(good, '<?php eval(base64_decode($_POST["x"]));');
    await applyPolicy([t(good)], { settingsOf: () => settings, quarantine, done });
    assert.deepEqual(calls, [bad, good]);
  });

  it('does nothing with the default settings (alert), and reports a failed quarantine without marking it done', async () => {
    const calls: string[] = [];
    const q = async (r: { path: string }) => {
      calls.push(r.path);
      throw new Error('refused: outside the subscription');
    };
    assert.deepEqual(await applyPolicy([t('/x/a.php')], { settingsOf: () => DEFAULT_SETTINGS, quarantine: q, done: new Set() }), []);
    assert.deepEqual(calls, []);
    const done = new Set<string>();
    const d = await applyPolicy([t('/x/a.php')], { settingsOf: () => ({ ...DEFAULT_SETTINGS, onDetection: 'quarantine' }), quarantine: q, done });
    assert.equal(d[0]!.action, 'failed');
    assert.equal(done.size, 0);
  });
});
