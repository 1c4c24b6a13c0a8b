// The diagnosis page with a keyboard only: every control is reached with Tab,
// a dialog takes the focus and gives it back, the chart reads hour by hour.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { routeApi, syntheticDetail, syntheticTimeline } from './helpers/fake-api.ts';
import { VIEWPORTS } from './helpers/pages.ts';
import { startShimServer, type ShimServer } from './helpers/shim-server.ts';

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

const dryRun = { action: 'quarantine', subscriptionId: 1, dryRun: true, exit: 0, result: { originalPath: '/var/www/vhosts/sk-seikan.jp/httpdocs/mail.php', sha256: 'ab'.repeat(32), size: 1319 }, notes: [] };

async function openDiagnosis(): Promise<Page> {
  const ctx = await browser.newContext({ viewport: VIEWPORTS.wide });
  const page = await ctx.newPage();
  await routeApi(page, (u) => {
    if (u.pathname.endsWith('/api/subscriptions/1')) return { status: 200, body: syntheticDetail() };
    if (u.pathname.endsWith('/timeline')) return { status: 200, body: syntheticTimeline(24) };
    if (u.pathname.endsWith('/api/quarantine')) return { status: 200, body: { items: [], warnings: [] } };
    if (u.pathname.endsWith('/api/audit')) return { status: 200, body: { records: [], refusals: [], warnings: [] } };
    if (u.pathname.endsWith('/actions/quarantine')) return { status: 200, body: dryRun };
    return undefined;
  });
  await page.goto(shim.pageUrl({}) + '#/subscriptions/1');
  await page.locator('.st-chart svg').waitFor();
  return page;
}

const focused = (page: Page) => page.evaluate(() => document.activeElement?.textContent?.trim().slice(0, 60) ?? '');

describe('keyboard use of the diagnosis', () => {
  it('reaches the main action with Tab; the dialog takes the focus, Escape closes it and gives the focus back', async () => {
    const page = await openDiagnosis();
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focused(page)) === 'Quarantine script';
    }
    assert.ok(reached, 'the Quarantine button is in the tab order');
    await page.keyboard.press('Enter');
    await page.getByTestId('dry-run').waitFor();
    assert.ok(await page.evaluate(() => !!document.activeElement?.closest('dialog')), 'focus is inside the dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    assert.equal(await focused(page), 'Quarantine script');
    await page.context().close();
  });

  it('reads the chart hour by hour with the arrow keys', async () => {
    const page = await openDiagnosis();
    await page.locator('.st-chart__frame').focus();
    await page.keyboard.press('End');
    assert.match(await page.locator('.st-chart__readout').innerText(), /^20:00: 500 passed, 19,500 rejected, limit 500$/);
    await page.keyboard.press('ArrowLeft');
    assert.match(await page.locator('.st-chart__readout').innerText(), /^19:00:/);
    await page.keyboard.press('Home');
    assert.match(await page.locator('.st-chart__readout').innerText(), /300 passed, 0 rejected/);
    await page.context().close();
  });
});
