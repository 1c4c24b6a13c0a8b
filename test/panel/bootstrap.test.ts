import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CSRF_HEADER, parseBootstrap } from '../../frontend/bootstrap.ts';

const noMeta = () => null;

describe('page bootstrap', () => {
  it('reads what the shim hands over', () => {
    const b = parseBootstrap({ locale: 'ja-JP', role: 'client', baseUrl: '/modules/sendtrace/index.php/', subscriptionId: 7, timezone: 'Asia/Tokyo' }, noMeta);
    assert.deepEqual(b, { locale: 'ja-JP', lang: 'ja', role: 'client', baseUrl: '/modules/sendtrace/index.php', subscriptionId: 7, timezone: 'Asia/Tokyo', csrf: { header: DEFAULT_CSRF_HEADER, token: null } });
  });

  it('falls back to safe defaults for missing or odd values', () => {
    const b = parseBootstrap({ locale: 'xx_<script>', role: 'root', subscriptionId: -3, timezone: 'Mars/Olympus' }, noMeta);
    assert.equal(b.locale, 'en-US');
    assert.equal(b.lang, 'en');
    assert.equal(b.role, 'client', 'an unknown role gets the least');
    assert.equal(b.subscriptionId, null);
    assert.equal(b.timezone, 'UTC');
    assert.deepEqual(parseBootstrap(null, noMeta).role, 'client');
  });

  it('never sends API calls to another host', () => {
    for (const baseUrl of ['https://evil.example', '//evil.example/x', 'api', '/x?y', '/a b']) assert.equal(parseBootstrap({ baseUrl }, noMeta).baseUrl, '', baseUrl);
  });

  it("takes Plesk's CSRF token from the page's meta tag, with a configurable header", () => {
    const b = parseBootstrap({ csrf: { header: 'X-Forgery-Protection-Token', meta: 'forgery_protection_token' } }, (n) => (n === 'forgery_protection_token' ? 'abc123' : null));
    assert.deepEqual(b.csrf, { header: 'X-Forgery-Protection-Token', token: 'abc123' });
    assert.equal(parseBootstrap({ csrf: { header: 'Bad Header\r\n' } }, noMeta).csrf.header, DEFAULT_CSRF_HEADER);
    assert.equal(parseBootstrap({ csrf: { token: 'inline' } }, () => 'meta').csrf.token, 'inline');
  });
});
