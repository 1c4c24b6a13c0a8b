// Hostile content in the panel, in a real Chromium: subscription names,
// logins, script paths, evidence (user agents, addresses from the logs) and
// warnings that carry HTML, script, `javascript:` URLs, ANSI escapes, NUL and
// bidi overrides are shown as the text they are — no script runs, no element
// is made from them, no request leaves for a URL they name.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../panel/helpers/browser.ts';
import { routeApi, syntheticDetail, syntheticList, syntheticTimeline } from '../panel/helpers/fake-api.ts';
import { collectPageErrors, watchForeignRequests, VIEWPORTS } from '../panel/helpers/pages.ts';
import { startShimServer, type ShimServer } from '../panel/helpers/shim-server.ts';
import { DetailResponseSchema, ListResponseSchema } from '../../service/http/contract.ts';

const XSS = [
  '<img src=x onerror="window.__pwned=1">',
  '<script>window.__pwned=2</script>',
  '"><svg onload="window.__pwned=3">',
  'javascript:window.__pwned=4',
  '{{constructor.constructor("window.__pwned=5")()}}',
  '\x1b[31mRED\x1b[0m\x00NUL\u202Eevil',
];
const bad = (i: number) => XSS[i % XSS.length]!;

function hostileList() {
  const list = syntheticList(12);
  list.items.forEach((it, i) => {
    it.name = `${bad(i)}.example`;
    it.owner.login = bad(i + 1);
    if (it.topSource) it.topSource.label = `/var/www/vhosts/x/${bad(i + 2)}.php`;
    if (it.leak) it.leak.source = bad(i + 3);
  });
  list.items[0]!.topSource = { kind: 'mailbox', label: `${bad(0)}@example.jp`, confidence: 0.9, messages: 5, perHour: 1 };
  list.snapshot.warnings = XSS.slice();
  return ListResponseSchema.parse(list);
}

function hostileDetail() {
  const d = syntheticDetail();
  const s = d.subscription;
  s.name = `${bad(0)}.example`;
  s.owner.login = bad(1);
  s.explanation = { en: `The mail comes from ${bad(0)} ${bad(5)}`, ja: bad(2) };
  s.sources = [
    { ...s.sources[0]!, path: `/var/www/vhosts/x/${bad(0)}.php`, evidence: XSS.map((x) => ({ signal: 'access-log-post', detail: `user agent ${x}` })) },
    { kind: 'mailbox', address: `${bad(1)}@example.jp`, messages: 3, firstSeen: null, lastSeen: null, confidence: 0.6, evidence: [{ signal: 'smtp-auth', detail: bad(3) }] },
  ];
  if (s.leak) s.leak.source = bad(2);
  d.snapshot.warnings = XSS.slice();
  return DetailResponseSchema.parse(d);
}

let shim: ShimServer;
let browser: Browser;
before(async () => {
  shim = await startShimServer({ sidecar: 'http://127.0.0.1:9', timezone: 'Asia/Tokyo' });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await shim?.close();
});

async function open(hash: string, ready: string): Promise<{ p: Page; errors: string[]; dialogs: string[]; foreign: string[] }> {
  const ctx = await browser.newContext({ viewport: VIEWPORTS.wide });
  const foreign = watchForeignRequests(ctx, new URL(shim.pageUrl({})).origin);
  const p = await ctx.newPage();
  const errors = collectPageErrors(p);
  const dialogs: string[] = [];
  p.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await routeApi(p, (u) => {
    if (u.pathname.endsWith('/api/subscriptions')) return { status: 200, body: hostileList() };
    if (u.pathname.endsWith('/api/subscriptions/1')) return { status: 200, body: hostileDetail() };
    if (u.pathname.endsWith('/timeline')) return { status: 200, body: syntheticTimeline(24) };
    if (u.pathname.endsWith('/api/quarantine')) return { status: 200, body: { items: [], warnings: [bad(0)] } };
    if (u.pathname.endsWith('/api/audit')) return { status: 200, body: { records: [], refusals: [], warnings: [] } };
    if (u.pathname.endsWith('/api/events')) return { status: 204, body: '' };
    return undefined;
  });
  await p.goto(shim.pageUrl({}) + hash);
  await p.locator(ready).first().waitFor();
  await p.waitForTimeout(300);   // let any injected handler (onerror, onload) fire if it was going to
  return { p, errors, dialogs, foreign };
}

async function assertInert(v: Awaited<ReturnType<typeof open>>, shown: string[]): Promise<void> {
  const { p, errors, dialogs, foreign } = v;
  assert.equal(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no injected script ran');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  assert.deepEqual(foreign.filter((u) => !u.startsWith('http://127.0.0.1')), [], 'no request to a URL from the data');
  const made = await p.evaluate(() => ({
    images: document.querySelectorAll('img[onerror], svg[onload], img[src="x"]').length,
    scripts: Array.from(document.scripts).filter((s) => s.textContent?.includes('__pwned')).length,
    jsLinks: Array.from(document.querySelectorAll('a[href]')).filter((a) => a.getAttribute('href')!.trim().toLowerCase().startsWith('javascript:')).length,
    handlers: Array.from(document.querySelectorAll('*')).filter((el) => Array.from(el.attributes).some((a) => a.name.startsWith('on'))).length,
  }));
  assert.deepEqual(made, { images: 0, scripts: 0, jsLinks: 0, handlers: 0 }, 'no element or handler was made from the data');
  const text = await p.locator('body').innerText();
  for (const s of shown) assert.ok(text.includes(s), `the page shows ${JSON.stringify(s)} as text`);
}

describe('hostile content in the panel', () => {
  it('shows hostile names, logins and script paths in the overview as inert text', async () => {
    const v = await open('', '[data-testid=overview] tbody tr');
    await assertInert(v, ['<img src=x onerror="window.__pwned=1">.example', '<script>window.__pwned=2</script>']);
    await v.p.context().close();
  });

  it('shows hostile evidence, explanations and addresses in the diagnosis as inert text', async () => {
    const v = await open('#/subscriptions/1', '.st-chart svg');
    await assertInert(v, ['user agent <img src=x onerror="window.__pwned=1">', 'user agent javascript:window.__pwned=4', 'The mail comes from <img src=x onerror="window.__pwned=1">']);
    await v.p.context().close();
  });
});
