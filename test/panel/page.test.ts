import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderPanelPage, scriptJson } from '../../frontend/page.ts';
import { parseBootstrap } from '../../frontend/bootstrap.ts';

describe('page shell', () => {
  it('carries a bootstrap that the app reads back exactly', () => {
    const html = renderPanelPage({ bootstrap: { locale: 'ja-JP', role: 'client', baseUrl: '/x', subscriptionId: 4, timezone: 'Asia/Tokyo' }, assetBase: '/assets/', csrfToken: 't"k' });
    const json = /<script type="application\/json" id="sendtrace-bootstrap">(.*?)<\/script>/.exec(html)![1]!;
    const b = parseBootstrap(JSON.parse(json), () => null);
    assert.equal(b.lang, 'ja');
    assert.equal(b.subscriptionId, 4);
    assert.match(html, /<html lang="ja">/);
    assert.match(html, /href="\/assets\/app.css"/);
    assert.match(html, /<meta name="forgery_protection_token" content="t&quot;k">/);
  });

  it('cannot be broken out of by a value that contains </script>', () => {
    const s = scriptJson({ login: '</script><script>alert(1)</script>' });
    assert.ok(!s.includes('</'));
    assert.equal(JSON.parse(s).login, '</script><script>alert(1)</script>');
  });

  it('loads nothing from another host', () => {
    const html = renderPanelPage({ bootstrap: { locale: 'en-US', role: 'admin', baseUrl: '', timezone: 'UTC' }, assetBase: '.' });
    assert.ok(!/(src|href)="(https?:)?\/\//.test(html));
  });
});
