// Small things the browser tests share: screenshots into test/.out, the
// catalogues' texts, checks that every control has a name and that nothing
// was requested from another origin.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { en } from '../../../frontend/i18n/en.ts';
import { ja } from '../../../frontend/i18n/ja.ts';
import { interpolate, type MessageKey, type Vars } from '../../../frontend/i18n/index.ts';
import { repoRoot } from '../../helpers/repo-root.ts';

export const SHOTS = join(repoRoot, 'test/.out/screenshots');
export const VIEWPORTS = { wide: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
export type Lang = 'en' | 'ja';

export const text = (lang: Lang, key: MessageKey, vars?: Vars) => interpolate((lang === 'ja' ? ja : en)[key], vars);
/** The part of a message before its first placeholder: what a test can look for when the rest is data. */
export const stem = (lang: Lang, key: MessageKey) => (lang === 'ja' ? ja : en)[key].split('{')[0]!.trim();

export async function shoot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** Screenshots of the current view at both sizes (the page is resized and put back). */
export async function shootBoth(page: Page, name: string): Promise<void> {
  const before = page.viewportSize();
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);   // ResizeObserver redraws the chart
    await shoot(page, `${name}-${label}`);
  }
  if (before) await page.setViewportSize(before);
}

/** Visible form controls without an accessible name (label, aria-label or aria-labelledby). */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea, button'))) {
      if (el.offsetParent === null && el.getClientRects().length === 0) continue;
      const labelled = (el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent?.trim());
      if (!labelled) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
}

/** Records every request the pages of a context make that leaves `origin`. */
export function watchForeignRequests(ctx: BrowserContext, origin: string): string[] {
  const foreign: string[] = [];
  ctx.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url);
  });
  return foreign;
}

/** Page errors (uncaught exceptions) of a page, to assert there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}
