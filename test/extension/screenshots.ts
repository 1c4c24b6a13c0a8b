// Makes the extension's catalog screenshots (extension/_meta/screenshots/N.png,
// reference/plesk.md §5.1 [V]) the way the panel's browser tests see the panel:
// the demo sidecar on the fixture world, the shim stand-in, headless Chromium.
// The PNGs are committed; run this by hand when the panel changes:
//   npm run build && node --import ./test/helpers/register-ts.mjs test/extension/screenshots.ts
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoSidecar } from '../demo/serve.ts';
import { SERVER } from '../fixtures/expand/world-model.ts';
import { launchChromium } from '../panel/helpers/browser.ts';
import { startShimServer } from '../panel/helpers/shim-server.ts';
import { repoRoot } from '../helpers/repo-root.ts';

const OUT = join(repoRoot, 'extension/_meta/screenshots');

const SHOTS = [
  // 1: the admin's view of the server, riskiest first.
  { as: 'admin', bootstrap: { role: 'admin' as const, locale: 'en-US' }, hash: '#/overview' },
  // 2: the incident's subscription, as its customer sees it from the subscription's page.
  { as: 'skseikan', bootstrap: { role: 'client' as const, locale: 'en-US', subscriptionId: 1 }, hash: '#/subscriptions/1' },
  // 3: the same in Japanese.
  { as: 'skseikan', bootstrap: { role: 'client' as const, locale: 'ja-JP', subscriptionId: 1 }, hash: '#/subscriptions/1' },
];

const state = mkdtempSync(join(tmpdir(), 'st-shots-'));
const sidecar = await startDemoSidecar({ port: 0, stateDir: state });
const shim = await startShimServer({ sidecar: sidecar.url, timezone: SERVER.timeZone });
const browser = await launchChromium();
try {
  mkdirSync(OUT, { recursive: true });
  for (const [i, shot] of SHOTS.entries()) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    await context.addCookies([{ name: 'sendtrace_dev_as', value: shot.as, url: shim.url }]);
    const page = await context.newPage();
    await page.goto(`${shim.pageUrl(shot.bootstrap)}${shot.hash}`);
    // The panel has loaded its data when the loading state is gone and something is listed.
    // The panel has loaded everything when no part of it says "Loading…" any more.
    await page.waitForFunction(() => {
      const text = document.getElementById('sendtrace-root')?.textContent ?? '';
      return text.length > 200 && !text.includes('Loading…') && !text.includes('読み込み中…');
    }, undefined, { timeout: 120_000 });
    await page.waitForTimeout(500);   // the chart's transition settles (a picture, not a test)
    // The demo's world lives in a temporary folder; on a server the paths start at /var/www/vhosts.
    await page.evaluate((prefix) => {
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) n.nodeValue = (n.nodeValue ?? '').split(prefix).join('');
    }, sidecar.world.dir);
    await page.screenshot({ path: join(OUT, `${i + 1}.png`) });
    console.error(`wrote ${join(OUT, `${i + 1}.png`)}`);
    await context.close();
  }
} finally {
  await browser.close();
  await shim.close();
  await sidecar.close();
  rmSync(state, { recursive: true, force: true });
}
