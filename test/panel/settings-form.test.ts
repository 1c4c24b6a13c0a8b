import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Settings } from '../../service/http/contract.ts';
import { SettingsSchema } from '../../service/http/contract.ts';
import { fieldOfIssue, fromForm, toForm } from '../../frontend/views/settings-form.ts';

const settings: Settings = {
  thresholds: { scriptPerHour: 200, leakPerHour: null, minConfidence: 0.7 },
  onDetection: 'alert',
  allowList: [{ path: '/var/www/vhosts/a/httpdocs/newsletter.php', sha256: 'a'.repeat(64) }],
  notify: { owner: true, emails: ['ops@example.jp', 'info@example.jp'] },
};

describe('settings form', () => {
  it('round-trips the settings through the form unchanged, and the result passes the contract', () => {
    const back = fromForm(toForm(settings));
    assert.deepEqual(back.settings, settings);
    assert.ok(SettingsSchema.safeParse(back.settings).success);
  });

  it('reads what people type: empty as off, thousands separators, decimal commas, addresses on lines or with commas', () => {
    const f = { ...toForm(settings), scriptPerHour: ' 1,000 ', leakPerHour: '', minConfidence: '0,8', emails: 'a@x.jp, b@x.jp\n\nc@x.jp' };
    const s = fromForm(f).settings!;
    assert.equal(s.thresholds.scriptPerHour, 1000);
    assert.equal(s.thresholds.leakPerHour, null);
    assert.equal(s.thresholds.minConfidence, 0.8);
    assert.deepEqual(s.notify.emails, ['a@x.jp', 'b@x.jp', 'c@x.jp']);
  });

  it('marks fields that are not numbers before asking the API', () => {
    const r = fromForm({ ...toForm(settings), scriptPerHour: '12a', minConfidence: 'high' });
    assert.equal(r.settings, null);
    assert.deepEqual(Object.keys(r.errors).sort(), ['minConfidence', 'scriptPerHour']);
  });

  it("puts the API's issues next to the field they name", () => {
    assert.equal(fieldOfIssue('body.settings.notify.emails.2'), 'emails');
    assert.equal(fieldOfIssue('body.settings.thresholds.minConfidence'), 'minConfidence');
    assert.equal(fieldOfIssue('body.settings.allowList.0.sha256'), 'allowList');
    assert.equal(fieldOfIssue('body.revision'), null);
  });
});
