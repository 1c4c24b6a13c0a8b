// Where the timeline's hourly statistics come from. A server with 10,000
// subscriptions holds millions of hourly rows; loading them all would make the
// first diagnosis wait for data nobody has asked for yet. So a subscription's
// 35 days are read from psa when its timeline is first asked for, then kept
// while psa's newest collected hour stays the same (Plesk's poller writes the
// statistics once an hour [V reference/plesk.md §1.5]; a diagnosis made in
// between reads the same rows) and for at most maxAgeMs (the task can be run
// by hand, which may rewrite the current hour [I]), least recently used first
// out. Keyed per diagnosis before: on a busy server the log changes every
// minute, so every diagnosis threw the rows away and the read-ahead below read
// them all again. Requests that arrive together (a
// page showing many timelines) share one query (`subscriptionId IN (…)`, an
// index lookup each), and after each diagnosis the riskiest subscriptions are
// read ahead in one query.
import type { Config } from '../../config.ts';
import type { SnapshotView } from './snapshot-view.ts';
import type { HourlySeries } from './snapshot.ts';
import { readHourlyStats, type HourlyStats } from './stats-reader.ts';

export type HourlySource = {
  /** The subscription's rows of the snapshot's statistics window; null when psa's statistics were not read. */
  series(subscriptionId: number, view: SnapshotView): Promise<HourlySeries | null>;
  /** Reads these ahead (after a diagnosis: the riskiest first). */
  prefetch?(subscriptionIds: number[], view: SnapshotView): void;
};

/** The rows the snapshot carries itself (built from a PanelData: tests, small data). */
export const snapshotHourly: HourlySource = {
  series: async (id, view) => (view.data.stats ? view.data.hourly.get(id) ?? null : null),
};

const EMPTY: HourlySeries = { hours: new Float64Array(0), passed: new Int32Array(0), rejected: new Int32Array(0), limit: new Int32Array(0) };

type Options = {
  maxEntries?: number; batchWindowMs?: number; maxBatch?: number;
  /** How long rows are kept at most, though no newer hour was collected; default 15 minutes. */
  maxAgeMs?: number;
  clock?: () => number;
  /** How a batch is read; default readHourlyStats here (the sidecar reads in its psa thread). */
  read?: (range: { since: number; until: number; subscriptionIds: number[] }) => Promise<HourlyStats>;
};

export function createPsaHourly(config: Pick<Config, 'plesk' | 'timezone'>, o: Options = {}): Required<HourlySource> & { size(): number; queries(): number } {
  const maxEntries = o.maxEntries ?? 5_000;
  const maxBatch = o.maxBatch ?? 200;
  const maxAgeMs = o.maxAgeMs ?? 15 * 60_000;
  const clock = o.clock ?? Date.now;
  /** What the rows depend on: the newest collected hour psa had at the view's diagnosis. */
  const keyOf = (view: SnapshotView) => view.data.stats?.lastCollected ?? null;
  const entries = new Map<number, { key: number | null; at: number; series: Promise<HourlySeries> }>();
  let batch: { view: SnapshotView; ids: Map<number, { resolve: (s: HourlySeries) => void; reject: (e: unknown) => void }> } | null = null;
  let queries = 0;

  const flush = () => {
    const b = batch;
    batch = null;
    if (!b) return;
    queries++;
    const stats = b.view.data.stats!;
    const range = { since: stats.from, until: b.view.data.now, subscriptionIds: [...b.ids.keys()] };
    (o.read ? o.read(range) : readHourlyStats(config, range, 60_000)).then(
      (r) => b.ids.forEach((d, id) => d.resolve(r.bySubscription.get(id) ?? EMPTY)),
      (err: unknown) => b.ids.forEach((d) => d.reject(err)),
    );
  };

  const request = (id: number, view: SnapshotView): Promise<HourlySeries> => {
    const hit = entries.get(id);
    if (hit && hit.key === keyOf(view) && clock() - hit.at < maxAgeMs) {
      // Map order is the recency order: move it to the end.
      entries.delete(id);
      entries.set(id, hit);
      return hit.series;
    }
    if (batch && batch.view !== view) flush();
    batch ??= { view, ids: new Map() };
    const current = batch;
    const series = new Promise<HourlySeries>((resolve, reject) => current.ids.set(id, { resolve, reject }));
    if (current.ids.size === 1) setTimeout(() => batch === current && flush(), o.batchWindowMs ?? 5);
    if (current.ids.size >= maxBatch) flush();
    entries.set(id, { key: keyOf(view), at: clock(), series });
    // A failed read is not kept: the next request tries again.
    series.catch(() => {
      if (entries.get(id)?.series === series) entries.delete(id);
    });
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    return series;
  };

  return {
    size: () => entries.size,
    queries: () => queries,
    async series(id, view) {
      return view.data.stats ? request(id, view) : null;
    },
    prefetch(ids, view) {
      if (!view.data.stats) return;
      for (const id of ids.slice(0, maxBatch)) request(id, view).catch(() => undefined);
    },
  };
}
