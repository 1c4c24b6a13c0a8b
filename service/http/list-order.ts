// The subscription list's order and filter: sort by a column, keep the rows
// whose name, owner or top source contain a text, keep only those with a
// problem. The sidecar applies it to GET /api/subscriptions (so a page of 50
// out of 10,000 is a small cached read), and the panel uses its names and
// helpers. Pure and free of zod, so the panel's bundle may import it.
//
// Cheap on 10,000 rows: search text and natural-order keys are derived once
// per row (cached by identity), the filter is a substring test, a sorted
// order is made once per input array and column.
import type { ListItem } from './contract.ts';

export const SORT_KEYS = ['risk', 'name', 'owner', 'status', 'lastHour', 'source'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const SORT_DIRS = ['asc', 'desc'] as const;
export type SortDir = (typeof SORT_DIRS)[number];

export type ListSelection = { text: string; problemsOnly: boolean; sort: SortKey; dir: SortDir };
/** The sidecar's ranking: what GET /api/subscriptions returns when asked for no order. */
export const RANKED: ListSelection = { text: '', problemsOnly: false, sort: 'risk', dir: 'desc' };

/** The selection a list query asks for: no `sort` is the ranking, no `dir` the column's natural direction. */
export function selectionOf(q: { sort?: SortKey | undefined; dir?: SortDir | undefined; q?: string | undefined; problems?: boolean | undefined }): ListSelection {
  const sort = q.sort ?? RANKED.sort;
  return { sort, dir: q.dir ?? naturalDir(sort), text: (q.q ?? '').trim(), problemsOnly: q.problems ?? false };
}

/** True when `sel` is the ranking itself: the rows as the sidecar ranked them, nothing to sort or filter. */
export const isRanking = (sel: ListSelection) => sel.sort === RANKED.sort && sel.dir === RANKED.dir && !sel.problemsOnly && sel.text.trim() === '';

const searchText = new WeakMap<ListItem, string>();
function haystack(r: ListItem): string {
  let s = searchText.get(r);
  if (s === undefined) {
    s = `${r.name}\n${r.owner.login}\n${r.topSource?.label ?? ''}`.toLowerCase();
    searchText.set(r, s);
  }
  return s;
}

/** A problem: blocked, over a limit somewhere, a named source, or a slow leak. */
export function hasProblem(r: ListItem): boolean {
  return r.status === 'not-sending' || r.blockedLevel !== null || r.cause !== 'none' || r.leak !== null || r.lastHour.rejected > 0;
}

const blockedFirst = (a: ListItem, b: ListItem) => Number(b.status === 'not-sending') - Number(a.status === 'not-sending');

// Natural order ("site9" before "site10") without Intl.Collator in the comparator: a key per
// text, made once (digit runs zero-padded, case folded), compared as plain strings — 10,000
// rows sort in a few milliseconds instead of a hundred.
const natural = new Map<string, string>();
function naturalKey(text: string): string {
  let k = natural.get(text);
  if (k === undefined) {
    k = text.toLowerCase().replace(/\d+/g, (d) => d.padStart(12, '0'));
    if (natural.size > 200_000) natural.clear();
    natural.set(text, k);
  }
  return k;
}
const byText = (a: string, b: string) => {
  const x = naturalKey(a);
  const y = naturalKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Comparators in ascending order; ties fall back to risk (riskiest first), then name, so the order is stable. */
const COMPARE: Record<SortKey, (a: ListItem, b: ListItem) => number> = {
  // A blocked subscription is the emergency whatever its score (as diagnose ranks).
  risk: (a, b) => -blockedFirst(a, b) || a.risk - b.risk,
  name: (a, b) => byText(a.name, b.name),
  owner: (a, b) => byText(a.owner.login, b.owner.login),
  status: (a, b) => -blockedFirst(a, b) || Number(a.blockedLevel !== null) - Number(b.blockedLevel !== null),
  lastHour: (a, b) => a.lastHour.rejected - b.lastHour.rejected || a.lastHour.passed - b.lastHour.passed,
  source: (a, b) => (a.topSource?.messages ?? -1) - (b.topSource?.messages ?? -1),
};

/** Blocked first, then by risk, highest first (ties in any order). */
function isRanked(items: readonly ListItem[]): boolean {
  for (let i = 1; i < items.length; i++) if (COMPARE.risk(items[i - 1]!, items[i]!) < 0) return false;
  return true;
}

const sorted = new WeakMap<readonly ListItem[], Map<string, readonly ListItem[]>>();

/** `items` in the order asked; made once per array and order (the array is not copied when it is already ranked). */
export function sortRows(items: readonly ListItem[], sort: SortKey, dir: SortDir): readonly ListItem[] {
  let byKey = sorted.get(items);
  if (!byKey) sorted.set(items, (byKey = new Map()));
  const key = `${sort}:${dir}`;
  let out = byKey.get(key);
  if (!out) {
    const sign = dir === 'asc' ? 1 : -1;
    const cmp = COMPARE[sort];
    const full = (a: ListItem, b: ListItem) => sign * cmp(a, b) || b.risk - a.risk || byText(a.name, b.name);
    // The sidecar ranks its rows (blocked first, riskiest next): one pass confirms it and saves the sort.
    if (sort === 'risk' && dir === 'desc' && isRanked(items)) out = items;
    else if (sort === 'name' || sort === 'owner') {
      // Decorate, sort, undecorate: one natural key per row instead of two per comparison.
      const keyed = items.map((r) => ({ r, k: naturalKey(sort === 'name' ? r.name : r.owner.login), n: naturalKey(r.name) }));
      keyed.sort((a, b) => (a.k < b.k ? -sign : a.k > b.k ? sign : 0) || b.r.risk - a.r.risk || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
      out = keyed.map((x) => x.r);
    } else out = [...items].sort(full);
    byKey.set(key, out);
  }
  return out;
}

/** The rows matching `q`, in its order. The text is matched case-insensitively against name, owner and top source. */
export function selectRows(items: readonly ListItem[], q: ListSelection): readonly ListItem[] {
  const needle = q.text.trim().toLowerCase();
  const rows = sortRows(items, q.sort, q.dir);
  if (!needle && !q.problemsOnly) return rows;
  return rows.filter((r) => (!q.problemsOnly || hasProblem(r)) && (!needle || haystack(r).includes(needle)));
}

/** A column's natural direction: names A→Z, numbers (and risk) biggest first. */
export const naturalDir = (key: SortKey): SortDir => (key === 'name' || key === 'owner' ? 'asc' : 'desc');

/** Clicking a column: a new column starts in its natural direction, the same one flips. */
export function nextSort(q: { sort: SortKey; dir: SortDir }, key: SortKey): { sort: SortKey; dir: SortDir } {
  if (q.sort === key) return { sort: key, dir: q.dir === 'asc' ? 'desc' : 'asc' };
  return { sort: key, dir: naturalDir(key) };
}
