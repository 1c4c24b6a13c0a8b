// The overview with 10,000 subscriptions, and the API failing in the ways a
// panel sees: answered inside Chromium (helpers/fake-api.ts), no sidecar.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { listAnswer, routeApi, syntheticList, type Handler } from './helpers/fake-api.ts';
import { hasProblem } from '../../service/http/list-order.ts';
import { collectPageErrors, shoot, text, VIEWPORTS } from './helpers/pages.ts';
import { startShimServer, type ShimServer } from './helpers/shim-server.ts';

let shim: ShimServer;
let browser: Browser;
const big = syntheticList(10_000);

before(async () => {
  // The sidecar address is never reached: every /api call is answered by the route.
  shim = await startShimServer({ sidecar: 'http://127.0.0.1:9', timezone: 'Asia/Tokyo' });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await shim?.close();
});

async function page(handle: Handler, hash = '', locale = 'en-US'): Promise<{ p: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: VIEWPORTS.wide });
  const p = await ctx.newPage();
  const errors = collectPageErrors(p);
  await routeApi(p, handle);
  await p.goto(shim.pageUrl({ locale }) + hash);
  return { p, errors };
}

const rows = (p: Page) => p.locator('[data-testid=overview] tbody tr');

describe('overview of 10,000 subscriptions', () => {
  it('shows the blocked ones first, 50 a page, and pages to the end', async () => {
    const seen: URLSearchParams[] = [];
    const { p, errors } = await page((u) => (u.pathname.endsWith('/api/subscriptions') ? listAnswer(big, u, seen) : u.pathname.endsWith('/api/events') ? { status: 204, body: '' } : undefined));
    await rows(p).first().waitFor();
    assert.equal(await rows(p).count(), 50);
    const blocked = big.items.filter((i) => i.status === 'not-sending').length;
    assert.ok(blocked > 5);
    for (let i = 0; i < blocked; i++) assert.match(await rows(p).nth(i).innerText(), /Not sending since 15:00/);
    assert.match(await p.locator('.st-pager').innerText(), /Page 1 of 200/);
    await shoot(p, 'overview-10000-en-wide');
    assert.deepEqual(seen.map((q) => q.toString()), ['offset=0&limit=50'], 'one page asked for, not every row');
    for (let i = 0; i < 3; i++) {
      await p.getByRole('button', { name: 'Next' }).click();
      await p.locator('.st-pager', { hasText: `Page ${i + 2} of 200` }).waitFor();
    }
    assert.match(await rows(p).first().innerText(), new RegExp(big.items[150]!.name.replaceAll('.', '\\.')));
    assert.equal(seen.at(-1)?.toString(), 'offset=150&limit=50');
    await p.getByRole('button', { name: 'Previous' }).click();
    await p.locator('.st-pager', { hasText: 'Page 3 of 200' }).waitFor();
    assert.deepEqual(errors, []);
    await p.context().close();
  });

  it('filters and sorts all 10,000 rows, not only the page shown', async () => {
    const seen: URLSearchParams[] = [];
    const { p } = await page((u) => (u.pathname.endsWith('/api/subscriptions') ? listAnswer(big, u, seen) : undefined));
    await rows(p).first().waitFor();
    await p.getByLabel('Filter').pressSequentially('site09999', { delay: 20 });
    await p.waitForFunction(() => document.querySelectorAll('[data-testid=overview] tbody tr').length === 1);
    assert.match(await rows(p).first().innerText(), /site09999\.example\.jp/);
    await p.locator('[role=status]', { hasText: '1 of 10,000 subscriptions' }).waitFor();
    // Typing asks once the typing pauses, not once a key.
    assert.ok(seen.filter((q) => q.has('q')).length < 4, `asked ${seen.length} times while typing`);
    assert.equal(seen.at(-1)?.get('q'), 'site09999');
    await p.getByLabel('Filter').fill('');
    await p.getByRole('button', { name: 'Subscription' }).click();
    await p.waitForFunction(() => document.querySelector('[data-testid=overview] tbody tr')?.textContent?.includes('site00001'));
    await p.getByRole('button', { name: 'Subscription' }).click();
    await p.waitForFunction(() => document.querySelector('[data-testid=overview] tbody tr')?.textContent?.includes('site10000'));
    assert.equal(await p.locator('th[aria-sort]').getAttribute('aria-sort'), 'descending');
    assert.deepEqual([seen.at(-1)?.get('sort'), seen.at(-1)?.get('dir'), seen.at(-1)?.has('q')], ['name', 'desc', false]);
    await p.getByLabel('Only subscriptions with a problem').check();
    await p.locator('.st-pager', { hasText: `of ${Math.ceil(big.items.filter(hasProblem).length / 50)}` }).waitFor();
    assert.equal(seen.at(-1)?.get('problems'), 'true');
    await p.context().close();
  });
});

describe('while the sidecar answers slowly', () => {
  it('keeps the rows of the last answer, marked busy, until the new order arrives', async () => {
    const { p, errors } = await page((u) => {
      if (!u.pathname.endsWith('/api/subscriptions')) return undefined;
      const a = listAnswer(big, u);
      return u.searchParams.get('sort') === 'name' ? { ...a, delayMs: 1_500 } : a;
    });
    await rows(p).first().waitFor();
    const busy = p.locator('.st-table-wrap[aria-busy=true]');
    assert.equal(await busy.count(), 0);
    const before = await rows(p).first().innerText();
    await p.getByRole('button', { name: 'Subscription' }).click();
    await busy.waitFor();
    assert.equal(await rows(p).count(), 50, 'the rows shown stay while the next answer loads');
    assert.equal(await rows(p).first().innerText(), before);
    await busy.waitFor({ state: 'detached' });
    assert.match(await rows(p).first().innerText(), /site00001\.example\.jp/);
    assert.deepEqual(errors, []);
    await p.context().close();
  });
});

describe('when the API fails', () => {
  const failing = (a: { status: number; body: unknown; type?: string }): Handler => (u) => (u.pathname.endsWith('/api/events') ? undefined : a);

  it('says what happened and what to do for a sidecar error, never a blank page or a stack', async () => {
    const { p, errors } = await page(failing({ status: 500, body: { error: { code: 'SENDTRACE_ERR_INTERNAL', message: 'The sidecar could not complete the request (reference 7f3a); the server log has the details' } } }));
    const alert = p.locator('[data-error-code=INTERNAL]');
    await alert.waitFor();
    const [what, todo] = text('en', 'error.INTERNAL').split('|');
    assert.match(await alert.innerText(), new RegExp(what!.slice(0, 20)));
    assert.match(await alert.innerText(), new RegExp(todo!.slice(0, 20)));
    assert.match(await alert.innerText(), /reference 7f3a/);
    assert.ok(await alert.getByRole('button', { name: 'Try again' }).isVisible());
    assert.doesNotMatch(await p.locator('body').innerText(), /at \w+ \(|TypeError|undefined/);
    assert.deepEqual(errors, []);
    await shoot(p, 'error-en-wide');
    await p.context().close();
  });

  it("recognises Plesk's login page as an ended session, in Japanese too", async () => {
    const { p } = await page(failing({ status: 200, body: '<html><body>Log in to Plesk</body></html>', type: 'text/html' }), '', 'ja-JP');
    const alert = p.locator('[data-error-code=SESSION]');
    await alert.waitFor();
    assert.match(await alert.innerText(), new RegExp(text('ja', 'error.SESSION').split('|')[0]!));
    await p.context().close();
  });

  it('keeps trying while the first analysis runs, then shows the list', async () => {
    let calls = 0;
    const { p } = await page((u) => {
      if (!u.pathname.endsWith('/api/subscriptions')) return undefined;
      calls++;
      return calls < 3 ? { status: 200, body: { ...big, snapshot: { ...big.snapshot, generation: 0, now: null }, total: 0, items: [] } } : { status: 200, body: syntheticList(12) };
    });
    await p.locator('[role=status]', { hasText: text('en', 'error.NOT_READY').split('|')[0]! }).waitFor();
    await rows(p).first().waitFor({ timeout: 20_000 });
    assert.equal(await rows(p).count(), 12);
    await p.context().close();
  });
});
