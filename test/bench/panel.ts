// Panel timings in Chromium (issue 5), not in tests:
//   - time to first render of a 10,000-row overview, and its interactions
//     (filter a keystroke, sort a column, next page): data answered inside
//     the browser (synthetic rows checked against the contract);
//   - time to first render of the diagnosis view (banner, then chart) and a
//     switch to 30 days: data captured once from the live demo (the fixture
//     world's incident) and answered inside the browser, so the numbers are
//     the page's own work, not the sidecar's.
// "First render" = navigation start → the view's performance mark (mark.ts).
//   node --import ./test/helpers/register-ts.mjs test/bench/panel.ts      BENCH_RUNS=7 for more rounds
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../panel/helpers/browser.ts';
import { listAnswer, routeApi, syntheticList, type Handler } from '../panel/helpers/fake-api.ts';
import { startLiveDemo } from '../panel/helpers/live-demo.ts';
import { VIEWPORTS } from '../panel/helpers/pages.ts';
import { startShimServer } from '../panel/helpers/shim-server.ts';
import { repoRoot } from '../helpers/repo-root.ts';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function capture(): Promise<Record<string, unknown>> {
  process.stderr.write('bench: starting the live demo to capture the incident subscription (a minute or two)…\n');
  const demo = await startLiveDemo({ bots: false });
  try {
    const get = async (path: string) => {
      for (;;) {
        const r = await fetch(`${demo.url}${path}`);
        if (r.status === 200) return r.json();
        if (r.status !== 503) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
        await new Promise((ok) => setTimeout(ok, 2000));
      }
    };
    const detail = (await get('/api/subscriptions/1')) as { snapshot: { now: string } };
    const to = Date.parse(detail.snapshot.now);
    const span = (h: number) => `/api/subscriptions/1/timeline?step=hour&from=${encodeURIComponent(new Date(to - h * 3_600_000).toISOString())}&to=${encodeURIComponent(new Date(to).toISOString())}`;
    return { detail, day: await get(span(24)), month: await get(span(30 * 24)), audit: await get('/api/audit'), quarantine: await get('/api/quarantine') };
  } finally {
    await demo.close();
  }
}

async function mark(page: Page, name: string): Promise<number> {
  await page.waitForFunction((n) => performance.getEntriesByName(n).length > 0, name, { timeout: 60_000 });
  return page.evaluate((n) => performance.getEntriesByName(n)[0]!.startTime, name);
}

type Act = 'filter' | 'clear' | 'sort-name' | 'next-page' | 'range-30d';

/**
 * ms from an input or click to the next frame after the DOM shows its effect, measured inside
 * the page (no round trips to the test process in the measured span).
 */
function interaction(page: Page, act: Act): Promise<number> {
  return page.evaluate(async (act) => {
    const rows = () => document.querySelectorAll('[data-testid=overview] tbody tr');
    const first = () => rows()[0]?.textContent ?? '';
    const button = (label: string) => Array.from(document.querySelectorAll('button')).find((b) => b.textContent?.trim() === label)!;
    const input = document.querySelector<HTMLInputElement>('input[type=search]');
    let done: () => boolean;
    const t0 = performance.now();
    if (act === 'filter' || act === 'clear') {
      input!.value = act === 'filter' ? 'site0999' : '';
      input!.dispatchEvent(new Event('input', { bubbles: true }));
      done = act === 'filter' ? () => rows().length === 10 : () => rows().length === 50;
    } else if (act === 'sort-name') {
      button('Subscription').click();
      done = () => first().includes('site00001');
    } else if (act === 'next-page') {
      const before = first();
      button('Next').click();
      done = () => first() !== before;
    } else {
      const before = document.querySelector('.st-chart__summary')?.textContent;
      button('30 days').click();
      done = () => { const now = document.querySelector('.st-chart__summary')?.textContent; return !!now && now !== before; };
    }
    while (!done()) await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => requestAnimationFrame(r));
    return performance.now() - t0;
  }, act);
}

const data = await capture();
const big = syntheticList(10_000);
const shim = await startShimServer({ sidecar: 'http://127.0.0.1:9', timezone: 'Asia/Tokyo' });
const browser: Browser = await launchChromium();
const version = browser.version();
const results: Record<string, number[]> = {};
const add = (k: string, v: number) => (results[k] ??= []).push(v);
try {
  const overviewApi: Handler = (u) => (u.pathname.endsWith('/api/subscriptions') ? listAnswer(big, u) : undefined);
  const diagnosisApi: Handler = (u) => {
    if (u.pathname.endsWith('/api/subscriptions/1')) return { status: 200, body: data.detail };
    if (u.pathname.endsWith('/timeline')) {
      const hours = (Date.parse(u.searchParams.get('to') ?? '') - Date.parse(u.searchParams.get('from') ?? '')) / 3_600_000;
      return { status: 200, body: hours > 24 * 7 ? data.month : data.day };
    }
    if (u.pathname.endsWith('/api/audit')) return { status: 200, body: data.audit };
    if (u.pathname.endsWith('/api/quarantine')) return { status: 200, body: data.quarantine };
    return undefined;
  };
  for (let run = 0; run < RUNS; run++) {
    const ctx = await browser.newContext({ viewport: VIEWPORTS.wide });
    const page = await ctx.newPage();
    await routeApi(page, overviewApi);
    await page.goto(shim.pageUrl({}));
    add('overview 10,000 rows: first render', await mark(page, 'sendtrace:overview'));
    add('overview: filter 10,000 rows (one input)', await interaction(page, 'filter'));
    add('overview: clear the filter', await interaction(page, 'clear'));
    add('overview: sort 10,000 rows by name', await interaction(page, 'sort-name'));
    add('overview: next page', await interaction(page, 'next-page'));
    await ctx.close();

    const ctx2 = await browser.newContext({ viewport: VIEWPORTS.wide });
    const p2 = await ctx2.newPage();
    await routeApi(p2, diagnosisApi);
    await p2.goto(shim.pageUrl({}) + '#/subscriptions/1');
    add('diagnosis: first render (banner, sources, actions)', await mark(p2, 'sendtrace:diagnosis'));
    add('diagnosis: chart (24 h) drawn', await mark(p2, 'sendtrace:diagnosis-chart'));
    add('diagnosis: switch to 30 days (fetch + redraw)', await interaction(p2, 'range-30d'));
    await ctx2.close();
  }
} finally {
  await browser.close();
  await shim.close();
}
const rows = Object.entries(results).map(([k, v]) => ({ measure: k, median: Math.round(median(v)), min: Math.round(Math.min(...v)), max: Math.round(Math.max(...v)) }));
process.stdout.write(`Chromium ${version}, ${RUNS} runs, ms (median / min / max):\n\n| measure | median | min | max |\n|---|---|---|---|\n`);
for (const r of rows) process.stdout.write(`| ${r.measure} | ${r.median} | ${r.min} | ${r.max} |\n`);
await mkdir(join(repoRoot, 'test/.out'), { recursive: true });
await writeFile(join(repoRoot, 'test/.out/bench-panel.json'), JSON.stringify({ runs: RUNS, at: new Date().toISOString(), rows }, null, 2));
