// The hourly OMC statistics of every subscription (reference/plesk.md §1.4 [V]:
// SubscriptionOutgoingMessagesStats) for the timeline, read in one streamed
// `plesk db` call: 10,000 subscriptions × 35 days are ~8 million rows, too
// many for a string and for a zod parse each (~20 µs a row). Each line is
// held to one strict pattern instead (all five columns are NOT NULL numbers
// and a DATETIME: nothing to unescape), hours are parsed once per distinct
// text, and rows go straight into typed arrays per subscription.
import { spawn } from 'node:child_process';
import type { Config } from '../../config.ts';
import { z } from 'zod';
import { createError } from '../../errors.ts';
import { sqlDatetimeIn, sqlInt } from '../../sources/mysql-batch.ts';
import { missingTableOf, queryPleskDb, summarizeStderr } from '../../sources/plesk-db.ts';
import { sql, sqlDatetime, sqlJoin } from '../../sources/sql-text.ts';
import { parseSqlDatetime } from '../../time.ts';
import type { HourlySeries } from './snapshot.ts';

export type HourlyStats = { bySubscription: Map<number, HourlySeries>; rows: number; skipped: number; lastCollected: number | null; warnings: string[] };

// The DATETIME part is the one sqlDatetimeIn (mysql-batch.ts) accepts: a wall-clock time, no '0000-00-00'.
const ROW = /^(\d{1,10})\t(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]) (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)\t(-?\d{1,10})\t(\d{1,10})\t(\d{1,10})$/;

/** Collects rows (ordered by subscription, then hour) into typed arrays. */
export function createStatsCollector(zone: string) {
  const bySubscription = new Map<number, HourlySeries>();
  const hours = new Map<string, number | null>();
  let id = -1;
  let cols: number[][] = [[], [], [], []];
  let rows = 0;
  let skipped = 0;
  let lastCollected: number | null = null;
  const flush = () => {
    if (id !== -1 && cols[0]!.length) {
      const prev = bySubscription.get(id);
      const [h, l, p, r] = cols.map((c, i) => [...(prev ? [prev.hours, prev.limit, prev.passed, prev.rejected][i]! : []), ...c]);
      bySubscription.set(id, { hours: Float64Array.from(h!), limit: Int32Array.from(l!), passed: Int32Array.from(p!), rejected: Int32Array.from(r!) });
    }
    cols = [[], [], [], []];
  };
  return {
    line(text: string) {
      const m = ROW.exec(text);
      let hour = m ? hours.get(m[2]!) : null;
      if (m && hour === undefined) {
        hour = parseSqlDatetime(m[2]!, zone);
        hours.set(m[2]!, hour);
      }
      if (!m || hour === null || hour === undefined) {
        skipped++;
        return;
      }
      const sub = Number(m[1]);
      if (sub !== id) {
        flush();
        id = sub;
      }
      cols[0]!.push(hour);
      cols[1]!.push(Number(m[3]));
      cols[2]!.push(Number(m[4]));
      cols[3]!.push(Number(m[5]));
      rows++;
      if (lastCollected === null || hour > lastCollected) lastCollected = hour;
    },
    finish(): Omit<HourlyStats, 'warnings'> {
      flush();
      return { bySubscription, rows, skipped, lastCollected };
    },
  };
}

/** All subscriptions' rows in the range, or those of some (ids are integers, the only kind of value SQL text takes). */
export function readHourlyStats(config: Pick<Config, 'plesk' | 'timezone'>, range: { since: number; until: number; subscriptionIds?: number[] }, timeoutMs = 300_000): Promise<HourlyStats> {
  const ids = range.subscriptionIds;
  const one = ids === undefined ? sql`` : sql` AND subscriptionId IN (${sqlJoin(ids.length ? ids.map((id) => sql`${id}`) : [sql`NULL`], sql`, `)})`;
  const query = sql`SELECT subscriptionId, collectDate, limitValue, passed, rejected FROM SubscriptionOutgoingMessagesStats
WHERE collectDate >= ${sqlDatetime(range.since, config.timezone)} AND collectDate <= ${sqlDatetime(range.until, config.timezone)}${one}
ORDER BY subscriptionId, collectDate`;
  const collector = createStatsCollector(config.timezone);
  return new Promise((resolve, reject) => {
    const child = spawn(config.plesk, ['db', '-N', '-B', '-e', query.text], { stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    let rest = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) collector.line(l);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      if (stderr.length < 64 * 1024) stderr += s;
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(createError('SENDTRACE_ERR_PANEL_DB', 'hourly statistics', err.message));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (rest !== '') collector.line(rest);
      const r = collector.finish();
      const warnings = r.skipped ? [`psa query 'hourly statistics': ${r.skipped} row(s) did not parse and were skipped`] : [];
      if (code === 0) return resolve({ ...r, warnings });
      // An older Plesk without the table: no statistics, said plainly (panel-db.ts does the same).
      const missing = missingTableOf(stderr);
      if (missing) return resolve({ ...r, warnings: [...warnings, `psa table ${missing} does not exist (older Plesk?): hourly statistics not read`] });
      reject(createError('SENDTRACE_ERR_PANEL_DB', 'hourly statistics', summarizeStderr(stderr) || (signal ? `killed by ${signal} (after ${timeoutMs} ms?)` : `exit code ${code}`)));
    });
  });
}

/**
 * The newest collected hour up to `until` (Plesk's poller writes every active
 * subscription's last hour at once) and how many subscriptions have any row:
 * what the timeline needs up front. Asked per subscription (GROUP BY the key's
 * first column lets MariaDB read one index entry per subscription instead of
 * every row; a question by date alone would scan them all).
 */
export async function readStatsSummary(config: Pick<Config, 'plesk' | 'timezone'>, until: number): Promise<{ subscriptions: number; lastCollected: number | null; warnings: string[] } | null> {
  const q = {
    label: 'statistics summary',
    sql: sql`SELECT COUNT(*), MAX(m) FROM (SELECT MAX(collectDate) AS m FROM SubscriptionOutgoingMessagesStats
WHERE collectDate <= ${sqlDatetime(until, config.timezone)} GROUP BY subscriptionId) AS t`,
    columns: ['subscriptions', 'last'],
    schema: z.object({ subscriptions: sqlInt, last: sqlDatetimeIn(config.timezone).nullable() }),
  };
  const [r] = await queryPleskDb(config, [q] as const, { timeoutMs: 60_000 });
  if (r.missingTable) return null;
  const row = r.rows[0];
  return { subscriptions: row?.subscriptions ?? 0, lastCollected: row?.last ?? null, warnings: r.warnings };
}
