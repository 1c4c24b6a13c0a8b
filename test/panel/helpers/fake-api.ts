// The API answered inside the browser (Playwright routes) for the tests and
// the benchmark that need data the world does not have: 10,000
// subscriptions, or a failing sidecar. Every answer is checked against the
// contract's schema first, so the fakes cannot drift from the real API.
import type { Page, Route } from 'playwright-core';
import {
  DetailResponseSchema, ListResponseSchema, TimelineResponseSchema, type DetailResponse, type ListItem, type ListResponse, type TimelineResponse,
} from '../../../service/http/contract.ts';
import { selectionOf, selectRows, SORT_DIRS, SORT_KEYS, type SortDir, type SortKey } from '../../../service/http/list-order.ts';
import { SHIM_BASE } from './shim-server.ts';

export type Answer = { status: number; body: unknown; type?: string; /** held back this long first (a slow sidecar) */ delayMs?: number };
export type Handler = (url: URL) => Answer | undefined;

export async function routeApi(page: Page, handle: Handler): Promise<void> {
  await page.route(`**${SHIM_BASE}/api/**`, async (route: Route) => {
    const url = new URL(route.request().url());
    const a = handle(url);
    if (a?.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
    if (!a) return route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ error: { code: 'SENDTRACE_ERR_NOT_FOUND', message: 'Route not found: fake' } }) });
    await route.fulfill({ status: a.status, contentType: a.type ?? 'application/json; charset=utf-8', body: typeof a.body === 'string' ? a.body : JSON.stringify(a.body) });
  });
}

const OWNERS = ['tanaka', 'yamada', 'suzuki', 'sato', 'ito', 'watanabe', 'nakamura', 'kobayashi'];

/** n subscriptions, riskiest first as the sidecar sends them: a few blocked, some leaking, most quiet. */
export function syntheticList(n: number, now = '2022-02-03T21:30:00+09:00'): ListResponse {
  const items: ListItem[] = [];
  for (let i = 1; i <= n; i++) {
    const blocked = i % 997 === 0;
    const leak = i % 101 === 0;
    const script = blocked || leak || i % 37 === 0;
    items.push({
      id: i, name: `site${String(i).padStart(5, '0')}.example.jp`, owner: { login: `${OWNERS[i % OWNERS.length]}${i % 300}`, type: 'client' },
      status: blocked ? 'not-sending' : 'sending', blockedSince: blocked ? '2022-02-03T15:00:00+09:00' : null, blockedLevel: blocked ? 'subscription' : null,
      lastHour: { passed: blocked ? 500 : i % 60, rejected: blocked ? 19_000 + (i % 1000) : 0, limit: 500 },
      cause: script ? 'script' : 'none', risk: blocked ? 95 : leak ? 99 : script ? 70 : 0, rejectedTotal: blocked ? 100_000 : 0,
      topSource: script ? { kind: 'script', label: `/var/www/vhosts/site${i}.example.jp/httpdocs/wp-content/uploads/x${i}.php`, confidence: 0.8, messages: 1000 + i, perHour: 300 } : null,
      leak: leak ? { since: '2022-01-20T00:00:00+09:00', perHour: 300, source: `/var/www/vhosts/site${i}.example.jp/httpdocs/mail.php` } : null,
      sources: script ? 1 : 0,
    });
  }
  items.sort((a, b) => Number(b.status === 'not-sending') - Number(a.status === 'not-sending') || b.risk - a.risk || a.name.localeCompare(b.name));
  return ListResponseSchema.parse({ snapshot: { generation: 1, now, computedAt: now, durationMs: 1000, refreshing: false, warnings: [] }, total: n, visible: n, offset: 0, items });
}

/**
 * GET /api/subscriptions answered from `list` as the sidecar answers it: order, filter, then the
 * page asked for (the sidecar's own selection, tested against the real routes in test/http).
 * The query seen is pushed to `seen`, so a test can tell what the panel asked for.
 */
export function listAnswer(list: ListResponse, url: URL, seen?: URLSearchParams[]): Answer {
  const p = url.searchParams;
  seen?.push(new URLSearchParams(p));
  const sort = (p.get('sort') ?? undefined) as SortKey | undefined;
  const dir = (p.get('dir') ?? undefined) as SortDir | undefined;
  if ((sort && !SORT_KEYS.includes(sort)) || (dir && !SORT_DIRS.includes(dir))) return { status: 400, body: { error: { code: 'SENDTRACE_ERR_INVALID_REQUEST', message: 'fake: bad sort' } } };
  const rows = selectRows(list.items, selectionOf({ sort, dir, q: p.get('q') ?? undefined, problems: p.get('problems') === 'true' }));
  const offset = Math.min(Number(p.get('offset') ?? 0), rows.length);
  const limit = p.has('limit') ? Number(p.get('limit')) : rows.length;
  return { status: 200, body: ListResponseSchema.parse({ ...list, total: rows.length, visible: list.items.length, offset, items: rows.slice(offset, offset + limit) }) };
}

/** The incident subscription as the detail route sends it, checked against the contract. */
export function syntheticDetail(now = '2022-02-03T21:30:00+09:00'): DetailResponse {
  const path = '/var/www/vhosts/sk-seikan.jp/httpdocs/mail.php';
  return DetailResponseSchema.parse({
    snapshot: { generation: 1, now, computedAt: now, durationMs: 1000, refreshing: false, warnings: [] },
    subscription: {
      id: 1, name: 'sk-seikan.jp', owner: { login: 'skseikan', type: 'client' }, status: 'not-sending', blockedSince: '2022-02-03T15:00:00+09:00',
      lastHour: { passed: 500, rejected: 19_439, limit: 500 }, cause: 'script',
      explanation: { en: `Outgoing mail of sk-seikan.jp has been blocked since 15:00 today. The mail comes from ${path}. What to do: quarantine this script (reversible, one click), then watch the count fall to 0.`, ja: `sk-seikan.jp のメール送信は 本日 15:00 から止められています。送信元は ${path} です。対処: このスクリプトを隔離してください（元に戻せます）。` },
      sources: [{ kind: 'script', path, messages: 235_309, firstSeen: '2022-01-20T00:00:06+09:00', lastSeen: '2022-02-03T21:29:59+09:00', confidence: 0.9, perHour: 301, evidence: [{ signal: 'bots', detail: '235309 POSTs from 200 IP addresses' }] }],
      leak: { since: '2022-01-20T00:00:00+09:00', perHour: 301, source: path }, risk: 100, blockedLevel: 'subscription', rejectedTotal: 117_188,
      limits: { subscription: 500, domain: 250, mailbox: 100 },
    },
  });
}

export function syntheticTimeline(hours: number, to = '2022-02-03T21:00:00+09:00'): TimelineResponse {
  const end = Date.parse(to);
  const points = Array.from({ length: hours }, (_, i) => {
    const t = end - (hours - i) * 3_600_000;
    const burst = t >= Date.parse('2022-02-03T15:00:00+09:00');
    return { t: new Date(t).toISOString(), passed: burst ? 500 : 300, rejected: burst ? 19_500 : 0, limit: 500, submitted: null };
  });
  return TimelineResponseSchema.parse({
    subscriptionId: 1, step: 'hour', from: points[0]!.t, to, zone: 'Asia/Tokyo', source: 'psa-hourly-statistics', points,
    events: [{ at: '2022-02-03T15:00:00+09:00', kind: 'limit-hit', level: 'subscription', detail: 'refused' }],
    available: { hour: { from: '2021-12-30T00:00:00+09:00', to }, minute: null }, notes: [],
  });
}
