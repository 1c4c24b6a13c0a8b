// The overview's query (column, direction, filter, page) and what it asks the
// sidecar for: GET /api/subscriptions sorts, filters and pages on the server
// (service/http/list-order.ts), so the panel receives one page of rows,
// however many subscriptions the server has.
import type { ListResponse } from '../../service/http/contract.ts';
import type { SortDir, SortKey } from '../../service/http/list-order.ts';

export { nextSort, type SortDir, type SortKey } from '../../service/http/list-order.ts';

export type OverviewQuery = { text: string; problemsOnly: boolean; sort: SortKey; dir: SortDir; page: number; pageSize: number };
export type OverviewPage = { rows: ListResponse['items']; matched: number; total: number; page: number; pages: number };

export const DEFAULT_QUERY: OverviewQuery = { text: '', problemsOnly: false, sort: 'risk', dir: 'desc', page: 1, pageSize: 50 };

export type ListParams = { offset: number; limit: number; sort?: SortKey; dir?: SortDir; q?: string; problems?: 'true' };

/** The query string for a page: parameters left at the sidecar's defaults are left out. */
export function listParams(q: OverviewQuery): ListParams {
  const size = Math.max(1, q.pageSize);
  const page = Math.max(1, Math.floor(q.page) || 1);
  const text = q.text.trim();
  return {
    offset: (page - 1) * size, limit: size,
    ...(q.sort !== DEFAULT_QUERY.sort || q.dir !== DEFAULT_QUERY.dir ? { sort: q.sort, dir: q.dir } : {}),
    ...(text ? { q: text } : {}),
    ...(q.problemsOnly ? { problems: 'true' as const } : {}),
  };
}

/** The page shown from the sidecar's answer; `page` 0 past the end (the list shrank): ask for `pages` instead. */
export function pageOf(res: ListResponse, q: OverviewQuery): OverviewPage {
  const size = Math.max(1, q.pageSize);
  const pages = Math.max(1, Math.ceil(res.total / size));
  const page = Math.floor(res.offset / size) + 1;
  return { rows: res.items, matched: res.total, total: res.visible, page: res.items.length === 0 && res.total > 0 ? 0 : page, pages };
}

/**
 * 0–100 → a marker. diagnose scores a block 95, a subscription over a domain or
 * mailbox limit 70, a named source 50 + 40 × confidence, an unnamed one 60:
 * high = blocked, over a limit or a confident finding; medium = a lead.
 */
export function riskLevel(risk: number): 'high' | 'medium' | 'low' | null {
  return risk >= 70 ? 'high' : risk >= 50 ? 'medium' : risk > 0 ? 'low' : null;
}
