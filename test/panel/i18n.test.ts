import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { en } from '../../frontend/i18n/en.ts';
import { ja } from '../../frontend/i18n/ja.ts';
import { createI18n, interpolate } from '../../frontend/i18n/index.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  it('has the same keys in English and Japanese', () => {
    assert.deepEqual(Object.keys(ja).sort(), Object.keys(en).sort());
  });

  it('uses the same placeholders in both languages for every key', () => {
    for (const key of Object.keys(en) as Array<keyof typeof en>) assert.deepEqual(placeholders(ja[key]), placeholders(en[key]), key);
  });

  it('has no empty message and no English left untranslated in long Japanese messages', () => {
    for (const [key, text] of Object.entries(ja)) {
      assert.notEqual(text.trim(), '', key);
      // Long texts must contain Japanese script (short ones may be names such as sha256).
      if (text.length > 20) assert.match(text, /[\u3040-\u30ff\u4e00-\u9fff]/, key);
    }
  });

  it('splits every error message into what happened and what to do', () => {
    for (const cat of [en, ja]) {
      for (const [key, text] of Object.entries(cat)) {
        if (!/^error\.[A-Z_]+$/.test(key)) continue;
        const parts = text.split('|');
        assert.equal(parts.length, 2, key);
        assert.ok(parts.every((p) => p.trim().length > 3), key);
      }
    }
  });
});

describe('formatting', () => {
  it('replaces known placeholders and leaves unknown ones visible', () => {
    assert.equal(interpolate('{a} and {b}', { a: 1 }), '1 and {b}');
  });

  it("shows times in the server's zone, not the browser's", () => {
    const tokyo = createI18n('en-US', 'en', 'Asia/Tokyo');
    const utc = createI18n('en-US', 'en', 'UTC');
    const at = '2022-02-03T22:15:00+09:00';
    assert.equal(tokyo.time(at), '22:15');
    assert.equal(utc.time(at), '13:15');
  });

  it('says only the time for an instant on the same server day, and the date otherwise', () => {
    const i = createI18n('en-US', 'en', 'Asia/Tokyo');
    assert.equal(i.when('2022-02-03T15:00:00+09:00', '2022-02-03T21:30:00+09:00'), '15:00');
    assert.match(i.when('2022-02-02T15:00:00+09:00', '2022-02-03T21:30:00+09:00'), /Feb 2.*15:00/);
    // 00:30 in Tokyo is still the previous day in UTC: the day is the server's.
    assert.equal(i.when('2022-02-03T00:30:00+09:00', '2022-02-03T21:30:00+09:00'), '00:30');
  });

  it('formats numbers and dates in the user locale', () => {
    const ja = createI18n('ja-JP', 'ja', 'Asia/Tokyo');
    assert.equal(ja.num(154149), '154,149');
    assert.match(ja.dateTime('2022-02-03T22:15:00+09:00'), /2022.*2.*3.*22:15/);
    assert.equal(ja.t('status.notSendingSince', { time: ja.time('2022-02-03T15:00:00+09:00') }), '15:00 から送信停止中');
  });

  it('shows a dash rather than a wrong number for unknown values', () => {
    const i = createI18n('en-US', 'en', 'UTC');
    assert.equal(i.num(null), '—');
    assert.equal(i.time('not a date'), '—');
  });
});
