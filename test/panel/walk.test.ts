// The incident, walked in a real Chromium against the live demo (DESIGN.md §1,
// issue 5 "Done when"): the overview shows the blocked subscription first;
// its page names the culprit; quarantining it (after the dry run) makes the
// verification say "0 since …"; passwords are reset and shown once; a setting
// persists; a customer cannot reach another customer's subscription. Then
// the same in Japanese. Screenshots of every view go to test/.out/screenshots.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { startLiveDemo, type LiveDemo } from './helpers/live-demo.ts';
import { collectPageErrors, SHOTS, shootBoth, stem, text, unnamedControls, VIEWPORTS, watchForeignRequests, type Lang } from './helpers/pages.ts';
import { startShimServer, type ShimServer } from './helpers/shim-server.ts';

const SLOW = 8 * 60_000;   // a diagnosis of the world's 1.6 million log lines takes 20–60 s on two busy cores
let demo: LiveDemo;
let shim: ShimServer;
let browser: Browser;
const foreign: string[] = [];
const errors: string[] = [];

before(async () => {
  demo = await startLiveDemo();
  shim = await startShimServer({ sidecar: demo.url, timezone: demo.timezone });
  browser = await launchChromium();
}, { timeout: SLOW });
after(async () => {
  await browser?.close();
  await shim?.close();
  await demo?.close();
});

async function open(lang: Lang, as: { login?: string; role?: 'admin' | 'client'; subscriptionId?: number } = {}, hash = ''): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: VIEWPORTS.wide, acceptDownloads: true, locale: lang === 'ja' ? 'ja-JP' : 'en-US' });
  foreign.push(...watchForeignRequests(ctx, shim.url));
  if (as.login) await ctx.addCookies([{ name: 'sendtrace_dev_as', value: as.login, url: shim.url }]);
  const page = await ctx.newPage();
  errors.push(...collectPageErrors(page));
  const b = { locale: lang === 'ja' ? 'ja-JP' : 'en-US', role: as.role ?? 'admin', ...(as.subscriptionId ? { subscriptionId: as.subscriptionId } : {}) };
  await page.goto(shim.pageUrl(b) + hash);
  return { ctx, page };
}

const mailPhp = () => `${demo.world.dir}/var/www/vhosts/sk-seikan.jp/httpdocs/mail.php`;

function walk(lang: Lang) {
  const t = (k: Parameters<typeof text>[1], v?: Parameters<typeof text>[2]) => text(lang, k, v);

  if (lang === 'ja') {
    it('restores the script the English walk quarantined, from the quarantine list', { timeout: SLOW }, async () => {
      const { ctx, page } = await open(lang, {}, '#/quarantine');
      await page.getByTestId('quarantine').waitFor({ timeout: SLOW });
      await shootBoth(page, `quarantine-${lang}`);
      await page.getByRole('button', { name: t('actions.restore') }).first().click();
      await page.getByRole('dialog').getByTestId('dry-run').waitFor({ timeout: SLOW });
      await page.getByTestId('confirm-go').click();
      await page.locator('.st-result', { hasText: stem(lang, 'result.restore') }).waitFor({ timeout: SLOW });
      assert.ok((await readFile(mailPhp())).length > 0, 'mail.php is back where it was');
      await ctx.close();
    });
  }

  it('opens the overview with the blocked subscription first', { timeout: SLOW }, async () => {
    const { ctx, page } = await open(lang);
    const first = page.locator('[data-testid=overview] tbody tr').first();
    await first.waitFor({ timeout: SLOW });
    assert.match(await first.innerText(), /sk-seikan\.jp/);
    assert.match(await first.innerText(), new RegExp(t('status.notSendingSince', { time: '15:00' })));
    assert.deepEqual(await unnamedControls(page), []);
    await shootBoth(page, `overview-${lang}`);
    await ctx.close();
  });

  it('reads the culprit on the subscription page', { timeout: SLOW }, async () => {
    const { ctx, page } = await open(lang);
    await page.getByRole('link', { name: t('overview.open', { name: 'sk-seikan.jp' }) }).click({ timeout: SLOW });
    // After a restore the page names the script again once the sidecar has re-read the logs.
    await page.getByTestId('banner').filter({ hasText: 'mail.php' }).waitFor({ timeout: SLOW });
    assert.match(await page.getByTestId('banner').innerText(), new RegExp(t('diag.whatToDo')));
    const culprit = page.locator('.st-source').first();
    assert.match(await culprit.innerText(), /httpdocs\/mail\.php/);
    assert.match(await culprit.innerText(), new RegExp(t('signal.bots')));
    await page.locator('.st-chart svg').waitFor({ timeout: SLOW });
    assert.match(await page.locator('.st-chart').innerText(), new RegExp(t('chart.limitHit')));
    assert.deepEqual(await unnamedControls(page), []);
    await shootBoth(page, `diagnosis-${lang}`);
    await page.locator('.st-card', { has: page.locator('.st-chart') }).screenshot({ path: join(SHOTS, `chart-${lang}-wide.png`) });
    await ctx.close();
  });

  it('quarantines the script after its dry run and sees the verification turn to 0', { timeout: SLOW }, async () => {
    const { ctx, page } = await open(lang, { login: 'skseikan', role: 'client', subscriptionId: 1 });
    await page.getByTestId('banner').filter({ hasText: 'mail.php' }).waitFor({ timeout: SLOW });
    await page.getByRole('button', { name: t('actions.quarantine') }).click();
    const dialog = page.getByRole('dialog', { name: t('confirm.quarantine.title') });
    await dialog.getByTestId('dry-run').waitFor({ timeout: SLOW });
    assert.match(await dialog.innerText(), /mail\.php/);
    assert.match(await dialog.innerText(), /sha256/);
    assert.ok((await readFile(mailPhp())).length > 0, 'the dry run changed nothing');
    await shootBoth(page, `quarantine-dialog-${lang}`);
    await dialog.getByTestId('confirm-go').click();
    await page.locator('.st-result', { hasText: stem(lang, 'result.quarantine') }).waitFor({ timeout: SLOW });
    await assert.rejects(readFile(mailPhp()), /ENOENT/, 'the script left the web space');
    const verdict = page.locator('[data-testid=verification][data-status=stopped]');
    await verdict.waitFor({ timeout: SLOW });
    // A diagnosis arriving now makes the page check again: the verdict may leave 'stopped' for a moment, so read it with the same patience.
    assert.match(await verdict.innerText({ timeout: SLOW }), lang === 'en' ? /0 messages since \d\d:\d\d — fixed/ : /\d\d:\d\d 以降 0 通 — 解決しました/);
    await shootBoth(page, `verification-${lang}`);
    await ctx.close();
  });

  it('resets a password and shows it once, with copy and a CSV download', { timeout: SLOW }, async () => {
    const { ctx, page } = await open(lang, { login: 'skseikan', role: 'client', subscriptionId: 1 });
    await page.getByTestId('banner').waitFor({ timeout: SLOW });
    await page.getByRole('button', { name: t('actions.reset') }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('info@sk-seikan.jp').check({ timeout: SLOW });
    await shootBoth(page, `reset-choose-${lang}`);
    await dialog.getByRole('button', { name: t('app.continue') }).click();
    await dialog.getByTestId('dry-run').waitFor({ timeout: SLOW });
    assert.match(await dialog.getByTestId('dry-run').innerText(), /info@sk-seikan\.jp/);
    await dialog.getByTestId('confirm-go').click();
    // The system user is pre-selected when the evidence names it: look at the mailbox's row.
    const cell = dialog.locator('tr', { hasText: 'info@sk-seikan.jp' }).getByTestId('new-password');
    await cell.waitFor({ timeout: SLOW });
    const password = (await cell.innerText()).trim();
    assert.match(password, /^[A-Za-z0-9_%@]{24}$/);
    assert.match(await dialog.innerText(), new RegExp(t('passwords.once').slice(0, 12)));
    await shootBoth(page, `passwords-${lang}`);
    const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: t('passwords.csv') }).click()]);
    assert.ok((await readFile((await download.path())!, 'utf8')).includes(`info@sk-seikan.jp,${password}`));
    await dialog.getByRole('button', { name: t('passwords.done') }).click();
    assert.equal((await page.content()).includes(password), false, 'gone from the page once the dialog is closed');
    await page.reload();
    await page.getByTestId('banner').waitFor({ timeout: SLOW });
    assert.equal((await page.content()).includes(password), false, 'never shown again');
    await ctx.close();
  });

  it('changes a setting, sees the API refuse a bad address at its field, and the change persist', { timeout: SLOW }, async () => {
    const { ctx, page } = await open(lang, { login: 'skseikan', role: 'client', subscriptionId: 1 }, '#/subscriptions/1/settings');
    const form = page.getByTestId('settings-form');
    await form.waitFor({ timeout: SLOW });
    const perHour = lang === 'en' ? '250' : '300';
    await form.getByLabel(t('settings.scriptPerHour')).fill(perHour);
    await form.getByLabel(t('settings.notify.emails')).fill('ops@example.jp\nnot-an-address');
    await form.getByRole('button', { name: t('settings.save') }).click();
    await form.locator('#st-emails-err').waitFor({ timeout: SLOW });
    assert.equal(await form.getByLabel(t('settings.notify.emails')).getAttribute('aria-invalid'), 'true');
    await shootBoth(page, `settings-invalid-${lang}`);
    await form.getByLabel(t('settings.notify.emails')).fill('ops@example.jp');
    await form.getByRole('button', { name: t('settings.save') }).click();
    await form.locator('.st-result', { hasText: t('settings.saved') }).waitFor({ timeout: SLOW });
    await page.reload();
    await page.getByTestId('settings-form').waitFor({ timeout: SLOW });
    assert.equal(await page.getByLabel(t('settings.scriptPerHour')).inputValue(), perHour);
    assert.equal(await page.getByLabel(t('settings.notify.emails')).inputValue(), 'ops@example.jp');
    await shootBoth(page, `settings-${lang}`);
    await ctx.close();
  });

  it("as a customer, cannot reach another customer's subscription", { timeout: SLOW }, async () => {
    const { ctx, page } = await open(lang, { login: 'sakura', role: 'client', subscriptionId: 2 }, '#/subscriptions/1');
    const notice = page.locator('[data-error-code=NOT_FOUND]');
    await notice.waitFor({ timeout: SLOW });
    assert.match(await notice.innerText(), new RegExp(t('error.NOT_FOUND').split('|')[0]!.slice(0, 10)));
    assert.equal((await page.content()).includes('mail.php'), false);
    await shootBoth(page, `denied-${lang}`);
    await page.goto(page.url().replace(/#.*$/, '#/subscriptions/1/settings'));
    await page.locator('[data-error-code=NOT_FOUND]').waitFor({ timeout: SLOW });
    await page.goto(page.url().replace(/#.*$/, '#/overview'));
    await page.locator('[data-testid=overview] tbody tr').first().waitFor({ timeout: SLOW });
    assert.deepEqual(await page.locator('[data-testid=overview] tbody tr td:first-child').allInnerTexts(), ['sakura-dental.jp']);
    await ctx.close();
  });

  it('lists the actions in the audit log and the file in the quarantine list', { timeout: SLOW }, async () => {
    const { ctx, page } = await open(lang, {}, '#/audit');
    await page.getByTestId('audit').waitFor({ timeout: SLOW });
    const audit = await page.getByTestId('audit').innerText();
    assert.match(audit, new RegExp(t('actions.quarantine')));
    assert.match(audit, new RegExp(t('actions.reset')));
    await shootBoth(page, `audit-${lang}`);
    await page.getByRole('link', { name: t('nav.quarantine') }).click();
    await page.getByTestId('quarantine').waitFor({ timeout: SLOW });
    assert.match(await page.getByTestId('quarantine').innerText(), /mail\.php/);
    await shootBoth(page, `quarantine-${lang}`);
    await ctx.close();
  });
}

describe('the incident walk in English', () => walk('en'));
describe('the incident walk in Japanese', () => walk('ja'));

describe('the whole session', () => {
  it('made no request to another origin and raised no page error', () => {
    assert.deepEqual(foreign, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(shim.refused, [], 'every change carried the CSRF token');
  });
});
