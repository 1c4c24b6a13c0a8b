// The checkpoint of format 1, as sendtrace wrote it before decision 013 (the
// old Series.store / LiveCounters.store / writeCheckpoint, kept here word for
// word): existing installs have it on disk, and it must still load.
import type { LiveCounters, StoredCounters } from '../../service/live/counters.ts';
import type { FollowState } from '../../service/live/follow.ts';
import type { Series, StoredSeries } from '../../service/live/series.ts';

export function storeV1Series(s: Series): StoredSeries {
  const pack = (m: Map<number, Uint32Array>) => [...m].map(([k, v]) => [k, ...v]);
  return { m: pack(s.minutes), h: pack(s.hours), total: s.total, first: s.first, last: s.last };
}

export function storeV1Counters(c: LiveCounters): StoredCounters {
  return {
    v: 1,
    sources: [...c.sources.values()].map((s) => ({ key: s.key, kind: s.kind, id: s.id, messages: storeV1Series(s.messages), rejects: s.rejects ? storeV1Series(s.rejects) : null })),
    subscriptions: [...c.subscriptions].map(([id, x]) => ({ id, messages: storeV1Series(x.messages), rejects: storeV1Series(x.rejects) })),
    totals: [...c.totals].map(([k, t]) => [k, t.messages, t.rejects]),
    stats: { ...c.stats },
  };
}

/** checkpoint.json's text in format 1. */
export function checkpointV1Text(savedAt: number, follow: Record<string, FollowState>, c: LiveCounters): string {
  return JSON.stringify({ v: 1, savedAt, follow, counters: storeV1Counters(c) });
}
