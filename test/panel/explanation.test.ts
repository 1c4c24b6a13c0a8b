import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../service/analysis/attribute.ts';
import { explain, type ExplainInput } from '../../service/analysis/explain.ts';
import { splitExplanation } from '../../frontend/components/explanation.ts';

// The banner splits what diagnose writes: the texts here come from the real explain().
const now = Date.parse('2022-02-03T21:30:00+09:00');
const script = {
  kind: 'script', path: '/var/www/vhosts/sk-seikan.jp/httpdocs/mail.php', messages: 20000, rejected: 19000, firstSeen: null, lastSeen: null,
  hourly: new Map(), attribution: 0.9, abnormal: 0.9, confidence: 0.95, evidence: [], leak: null,
  facts: { bots: { ips: 812, posts: 20000, blindShare: 0.99, noReferrerShare: 0.97, score: 0.95, reasons: [] }, code: ['input-to-headers'] },
} as unknown as Finding;
const base: ExplainInput = {
  name: 'sk-seikan.jp',
  omc: { status: 'not-sending', blockedSince: Date.parse('2022-02-03T15:00:00+09:00'), blockedLevel: 'subscription', openPeaks: [], lastHour: { passed: 500, rejected: 19500, limit: 500, from: 'panel' }, rejectedTotal: 154149, passedTotal: 0, rejectedLastDay: true },
  limits: { subscription: 500, domain: 250, mailbox: 100 }, top: script, leak: null, messages24h: 12000, now, zone: 'Asia/Tokyo',
};

describe('explanation split for the banner', () => {
  for (const lang of ['en', 'ja'] as const) {
    it(`takes the advice out of the ${lang} text and keeps the rest as the body`, () => {
      const text = explain({ ...base, leak: { since: Date.parse('2021-11-01T00:00:00+09:00'), perHour: 300, source: script.path!, oldestData: false } })[lang];
      const { body, todo } = splitExplanation(text, lang);
      assert.ok(todo, 'advice found');
      assert.match(todo!, lang === 'en' ? /^quarantine this script .*watch the count fall to 0\.$/ : /^このスクリプトを隔離.*0 になることを確認します。$/, 'the whole advice, both sentences');
      assert.ok(!body.includes(todo!), 'the advice is not repeated in the body');
      assert.match(body, lang === 'en' ? /blocked since 15:00 today/ : /本日 15:00 から止められています/);
      assert.match(body, lang === 'en' ? /about 300 messages an hour/ : /約 300 通/, 'the slow-leak sentence after the advice stays in the body');
    });
  }

  it('leaves a text without advice whole (the view then advises by cause)', () => {
    const text = explain({ ...base, top: null, omc: { ...base.omc, status: 'sending', blockedSince: null, blockedLevel: null } }).en;
    assert.deepEqual(splitExplanation(text, 'en'), { body: text.trim(), todo: null });
  });
});
