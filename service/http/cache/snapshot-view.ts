// A snapshot as the routes read it: list rows filtered per caller and joined
// once (the admin's full list of 10,000 rows is one prepared buffer), detail
// documents by id. Nothing here is computed per request that could be
// computed per snapshot.
import type { SnapshotData } from './snapshot.ts';

export type SnapshotView = {
  generation: number;
  computedAt: number;
  data: SnapshotData;
  detail(id: number): string | undefined;
  /** Serialized rows the caller may see, riskiest first; `key` names the visible set (cached per key). */
  rows(key: string, visible: ReadonlySet<number> | null): string[];
  /** All rows joined by commas (the admin's unpaged list). */
  allRowsJoined(): Buffer;
};

export function createSnapshotView(data: SnapshotData, generation: number, computedAt: number): SnapshotView {
  const all = data.ranked.map((r) => r.item);
  let joined: Buffer | null = null;
  const perKey = new Map<string, string[]>();
  return {
    generation,
    computedAt,
    data,
    detail: (id) => data.details.get(id),
    rows(key, visible) {
      if (visible === null) return all;
      let rows = perKey.get(key);
      if (!rows) {
        rows = data.ranked.filter((r) => visible.has(r.id)).map((r) => r.item);
        // A bounded cache: resellers and customers with the panel open at once.
        if (perKey.size >= 256) perKey.delete(perKey.keys().next().value!);
        perKey.set(key, rows);
      }
      return rows;
    },
    allRowsJoined() {
      joined ??= Buffer.from(all.join(','), 'utf8');
      return joined;
    },
  };
}
