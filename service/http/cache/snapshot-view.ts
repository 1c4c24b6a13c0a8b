// A snapshot as the routes read it: list rows filtered per caller, detail
// documents by id, and whole list bodies kept per caller and metadata (the
// admin's full list of 10,000 rows is 2.7 MB: building it per request — a
// fresh buffer and a copy — cost more than everything else the route does).
// Nothing here is computed per request that could be computed per snapshot.
import type { ListItem } from '../contract.ts';
import { isRanking, selectRows, type ListSelection } from '../list-order.ts';
import type { SnapshotData } from './snapshot.ts';

export type SnapshotView = {
  generation: number;
  computedAt: number;
  data: SnapshotData;
  detail(id: number): string | undefined;
  /** Serialized rows the caller may see, riskiest first; `key` names the visible set (cached per key). */
  rows(key: string, visible: ReadonlySet<number> | null): string[];
  /**
   * Serialized rows the caller may see that match `sel`, in its order (cached per visible set and
   * selection; the rows are parsed once per snapshot, on the first request that sorts or filters).
   */
  select(key: string, visible: ReadonlySet<number> | null, sel: ListSelection): string[];
  /**
   * The unpaged list response `{"snapshot":meta,"total":…,"visible":…,"offset":0,"items":[…]}`,
   * built once per visible set and reused while `meta` (serialized) stays the same.
   */
  listBody(key: string, visible: ReadonlySet<number> | null, meta: string): Buffer;
};

// Callers with the panel open at once (admin, resellers, customers); a customer's body is small.
const MAX_KEYS = 256;
// Sorted or filtered selections: one per caller, column and filter text being typed (≤ 80 KB each at 10,000 rows).
const MAX_SELECTIONS = 64;

function remember<V>(cache: Map<string, V>, key: string, value: V, max = MAX_KEYS): V {
  if (cache.size >= max) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

export function createSnapshotView(data: SnapshotData, generation: number, computedAt: number): SnapshotView {
  const all = data.ranked.map((r) => r.item);
  const perKey = new Map<string, string[]>();
  const joined = new Map<string, Buffer>();
  const bodies = new Map<string, { meta: string; body: Buffer }>();
  let parsed: { items: ListItem[]; json: Map<ListItem, string> } | null = null;
  const objects = new Map<string, ListItem[]>();
  const selections = new Map<string, string[]>();
  const parse = () => {
    if (!parsed) {
      const json = new Map<ListItem, string>();
      const items = all.map((text) => {
        const item = JSON.parse(text) as ListItem;   // validated against ListItemSchema when the snapshot was built
        json.set(item, text);
        return item;
      });
      parsed = { items, json };
    }
    return parsed;
  };
  const view: SnapshotView = {
    generation,
    computedAt,
    data,
    detail: (id) => data.details.get(id),
    rows(key, visible) {
      if (visible === null) return all;
      return perKey.get(key) ?? remember(perKey, key, data.ranked.filter((r) => visible.has(r.id)).map((r) => r.item));
    },
    select(key, visible, sel) {
      if (isRanking(sel)) return view.rows(key, visible);
      const id = `${key}\0${sel.sort}:${sel.dir}:${Number(sel.problemsOnly)}:${sel.text.trim().toLowerCase()}`;
      const hit = selections.get(id);
      if (hit) return hit;
      const p = parse();
      // One array per visible set, kept: selectRows caches each sorted order per array.
      const mine = visible === null ? p.items : objects.get(key) ?? remember(objects, key, p.items.filter((r) => visible.has(r.id)));
      return remember(selections, id, selectRows(mine, sel).map((r) => p.json.get(r)!), MAX_SELECTIONS);
    },
    listBody(key, visible, meta) {
      const hit = bodies.get(key);
      if (hit?.meta === meta) return hit.body;
      const rows = view.rows(key, visible);
      // The rows joined survive a change of metadata (a refresh starting or ending).
      const items = joined.get(key) ?? remember(joined, key, Buffer.from(rows.join(','), 'utf8'));
      const body = Buffer.concat([Buffer.from(`{"snapshot":${meta},"total":${rows.length},"visible":${rows.length},"offset":0,"items":[`), items, Buffer.from(']}')]);
      remember(bodies, key, { meta, body });
      return body;
    },
  };
  return view;
}
