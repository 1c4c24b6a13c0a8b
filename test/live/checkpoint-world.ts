// Counters for the checkpoint tests: many series of every kind with counts
// spread over the 48 h / 35 d windows (a seeded generator: the same every
// run), and a digest of every count to compare two counters exactly.
import { LiveCounters } from '../../service/live/counters.ts';
import { createIngest } from '../../service/live/ingest.ts';
import { Series } from '../../service/live/series.ts';
import type { PhpMailRecord } from '../../service/sources/php-maillog-line.ts';
import { DAY, HOUR, MINUTE } from '../../service/time.ts';
import { mulberry32 } from '../helpers/prng.ts';
import { directory, pickupLines, saslLines, VHOSTS, ZONE } from './live-world.ts';

export const NOW = Date.UTC(2026, 10, 28, 10, 30);

export const phpMail = (path: string, ts: number): PhpMailRecord => ({ ts, path, line: 3, dynamicCode: null, to: 'x@example.net', headers: '', subject: 's' });

/** `scripts` script sources with mail at random instants of the last 35 days (a third of them in the last 48 h), plus the world's UIDs and mailboxes with rejects. */
export function busyCounters(o: { scripts: number; seed: number; maxSources?: number; now?: number }): LiveCounters {
  const now = o.now ?? NOW;
  const c = new LiveCounters({ maxSources: o.maxSources ?? 20_000 });
  c.setDirectory(directory());
  const rnd = mulberry32(o.seed);
  for (let i = 0; i < o.scripts; i++) {
    const path = `${VHOSTS}/site${i % 50}.example/httpdocs/s${i}.php`;
    const n = 1 + Math.floor(rnd() * 20);
    for (let k = 0; k < n; k++) {
      const ago = rnd() < 0.35 ? rnd() * 48 * HOUR : rnd() * 35 * DAY;
      c.addPhpMail(phpMail(path, Math.floor(now - ago)), now);
    }
  }
  const ingest = createIngest(c, ZONE);
  const lines: string[] = [];
  for (let i = 0; i < 200; i++) {
    const ts = Math.floor(now - rnd() * 40 * HOUR);
    lines.push(...pickupLines(ts, 10001 + (i % 3), 'info@easytone.example', i % 7 === 0), ...saslLines(ts + 500, 'sales@shop.example'));
  }
  for (const l of lines) {
    const b = Buffer.from(l);
    ingest.line('maillog', b, 0, b.length, { path: '/var/log/maillog', mtimeMs: now }, now);
  }
  c.prune(now);   // as the watcher does before each checkpoint
  return c;
}

function seriesDigest(s: Series | null, now: number) {
  if (!s) return null;
  const chunks = (m: Map<number, Uint32Array>) => [...m].map(([k, v]) => [k, ...v]).sort((a, b) => a[0]! - b[0]!);
  const hourly = [...s.hourly(now - 35 * DAY, now + HOUR)].sort((a, b) => a[0] - b[0]);
  return { total: s.total, first: s.first, last: s.last, minutes: chunks(s.minutes), hours: chunks(s.hours), last48h: s.sumMinutes(now - 48 * HOUR, now + MINUTE), hourly };
}

/** Every count (sids left out: a format-1 load gives new ones), in the counters' own order. */
export function digest(c: LiveCounters, now = NOW) {
  return {
    sources: [...c.sources.values()].map((s) => [s.key, s.kind, s.id, seriesDigest(s.messages, now), seriesDigest(s.rejects, now)]),
    subscriptions: [...c.subscriptions].map(([id, x]) => [id, seriesDigest(x.messages, now), seriesDigest(x.rejects, now)]),
    totals: [...c.totals].map(([k, t]) => [k, t.messages, t.rejects]),
    stats: { ...c.stats, queueIds: 0 },
  };
}

/** The distinct chunk indexes of all series: the segment files a full checkpoint has. */
export function chunkIndexes(c: LiveCounters): { m: Set<number>; h: Set<number> } {
  const out = { m: new Set<number>(), h: new Set<number>() };
  for (const s of c.allSeries()) {
    for (const k of s.minutes.keys()) out.m.add(k);
    for (const k of s.hours.keys()) out.h.add(k);
  }
  return out;
}

/** A subscription's series made by hand (many subscriptions without building a psa directory of thousands). */
export function addSubscription(c: LiveCounters, id: number): { messages: Series; rejects: Series } {
  const x = { messages: new Series(c.ledger), rejects: new Series(c.ledger) };
  c.subscriptions.set(id, x);
  return x;
}
