// A snapshot as the routes read it: list rows filtered per caller, detail
// documents by id, and whole list bodies kept per caller and metadata (the
// admin's full list of 10,000 rows is 2.7 MB: building it per request — a
// fresh buffer and a copy — cost more than everything else the route does).
// Nothing here is computed per request that could be computed per snapshot.
import type { SnapshotData } from './snapshot.ts';

export type SnapshotView = {
  generation: number;
  computedAt: number;
  data: SnapshotData;
  detail(id: number): string | undefined;
  /** Serialized rows the caller may see, riskiest first; `key` names the visible set (cached per key). */
  rows(key: string, visible: ReadonlySet<number> | null): string[];
  /**
   * The unpaged list response `{"snapshot":meta,"total":…,"offset":0,"items":[…]}`,
   * built once per visible set and reused while `meta` (serialized) stays the same.
   */
  listBody(key: string, visible: ReadonlySet<number> | null, meta: string): Buffer;
};

// Callers with the panel open at once (admin, resellers, customers); a customer's body is small.
const MAX_KEYS = 256;

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= MAX_KEYS) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

export function createSnapshotView(data: SnapshotData, generation: number, computedAt: number): SnapshotView {
  const all = data.ranked.map((r) => r.item);
  const perKey = new Map<string, string[]>();
  const joined = new Map<string, Buffer>();
  const bodies = new Map<string, { meta: string; body: Buffer }>();
  const view: SnapshotView = {
    generation,
    computedAt,
    data,
    detail: (id) => data.details.get(id),
    rows(key, visible) {
      if (visible === null) return all;
      return perKey.get(key) ?? remember(perKey, key, data.ranked.filter((r) => visible.has(r.id)).map((r) => r.item));
    },
    listBody(key, visible, meta) {
      const hit = bodies.get(key);
      if (hit?.meta === meta) return hit.body;
      const rows = view.rows(key, visible);
      // The rows joined survive a change of metadata (a refresh starting or ending).
      const items = joined.get(key) ?? remember(joined, key, Buffer.from(rows.join(','), 'utf8'));
      const body = Buffer.concat([Buffer.from(`{"snapshot":${meta},"total":${rows.length},"offset":0,"items":[`), items, Buffer.from(']}')]);
      remember(bodies, key, { meta, body });
      return body;
    },
  };
  return view;
}
