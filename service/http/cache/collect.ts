// Everything one refresh reads, in two jobs that run side by side in worker
// threads (worker.ts; the machine has more than one core, and months of logs
// must never hold up a request):
//   snapshot — the diagnosis (the CLI's computeDiagnosis, unchanged); psa's
//              ownership, peaks and hourly statistics for authorization and
//              the timeline; passwd; then the serving snapshot;
//   minutes  — the recent mail log per minute (the timeline's minute steps).
import type { Config } from '../../config.ts';
import { computeDiagnosis } from '../../commands/diagnose.ts';
import { SendtraceError } from '../../errors.ts';
import { LEVELS, peaks as peaksQuery } from '../../sources/panel-queries.ts';
import { queryPleskDb } from '../../sources/plesk-db.ts';
import { sqlDatetime } from '../../sources/sql-text.ts';
import type { PanelData } from '../../sources/panel-data.ts';
import { readPasswd } from '../../sources/passwd.ts';
import { DAY, HOUR } from '../../time.ts';
import { readMinutePickups, type MinutePickups } from './minute-series.ts';
import { readPanelLight, type PanelView } from './panel-light.ts';
import { attachMinutes, buildSnapshotData, type SnapshotData } from './snapshot.ts';
import { readStatsSummary } from './stats-reader.ts';

export const STATS_DAYS = 35;     // what computeDiagnosis reads too: psa keeps about a month [V]
export const MINUTE_HOURS = 48;   // the mail flow's per-minute window of the diagnosis

export const minuteWindowAt = (now: number) => ({ from: now - MINUTE_HOURS * HOUR, to: now });

export async function collectSnapshot(config: Config, now: number): Promise<SnapshotData> {
  const started = Date.now();
  const statsFrom = now - STATS_DAYS * DAY;
  const warnings: string[] = [];
  const coded = <T>(fallback: T) => (err: unknown): T => {
    if (!(err instanceof SendtraceError)) throw err;
    warnings.push(err.message);
    return fallback;
  };
  const timings: Record<string, number> = {};
  const timed = <T>(name: string, p: Promise<T>) => p.finally(() => void (timings[name] = Date.now() - started));
  const [run, panel, peaks, summary, passwd] = await Promise.all([
    timed('diagnosisMs', computeDiagnosis(config, { now })),
    // Beside the diagnosis (computeDiagnosis returns its document, not what it read), and far lighter
    // than readPanel over 35 days: psa as of now (owners, subscriptions, domains, mailboxes), the window's
    // peaks, and only a summary of its statistics (millions of rows: read per subscription when asked for).
    timed('psaMs', readPanelLight(config)).then((r) => {
      warnings.push(...r.warnings);
      return r.panel as PanelView | null;
    }, coded(null)),
    timed('peaksMs', readPeaks(config, statsFrom, now)).catch(coded(null)),
    timed('statsMs', readStatsSummary(config, now)).catch(coded('unreadable' as const)),
    readPasswd(config.passwdFile),
  ]);
  if (summary === null) warnings.push('psa has no outgoing mail statistics table (older Plesk?): the timeline has no hourly steps');
  else if (summary !== 'unreadable') warnings.push(...summary.warnings);
  if (peaks) warnings.push(...peaks.warnings);
  const doc = { ...run.doc, warnings: [...new Set([...run.doc.warnings, ...warnings, ...passwd.warnings])] };
  return buildSnapshotData({
    doc, exit: run.exit, panel: panel && peaks ? { ...panel, peaks: peaks.peaks } : panel, statsSummary: summary === 'unreadable' ? null : summary, passwd: passwd.passwd,
    statsFrom, now, zone: config.timezone, vhostsRoot: config.vhostsRoot, durationMs: Date.now() - started, timings,
  });
}

/** Over-limit periods of the three levels that overlap the window (a few rows: the usual zod-checked queries). */
async function readPeaks(config: Config, since: number, until: number): Promise<{ peaks: PanelData['peaks']; warnings: string[] }> {
  const [s, d, m] = LEVELS;
  const from = sqlDatetime(since, config.timezone);
  const to = sqlDatetime(until, config.timezone);
  const r = await queryPleskDb(config, [peaksQuery(s, from, to, config.timezone), peaksQuery(d, from, to, config.timezone), peaksQuery(m, from, to, config.timezone)] as const, { timeoutMs: 60_000 });
  const warnings = r.flatMap((x) => [...x.warnings, ...(x.missingTable ? [`psa table ${x.missingTable} does not exist (older Plesk?): ${x.label} not read`] : [])]);
  // As of `until`: a peak that ended later was still open then (panel-db.ts does the same).
  const asOf = (rows: PanelData['peaks']['subscription']) => rows.map((p) => (p.end !== null && p.end > until ? { ...p, end: null } : p));
  return { peaks: { subscription: asOf(r[0].rows), domain: asOf(r[1].rows), mailbox: asOf(r[2].rows) }, warnings };
}

export async function collectMinutes(config: Config, now: number): Promise<MinutePickups & { ms: number }> {
  const started = Date.now();
  const r = await readMinutePickups(config.maillog, config.timezone, minuteWindowAt(now));
  return { ...r, ms: Date.now() - started };
}

/** Both jobs through `run` (a worker pool, or in-process), side by side, merged. */
export async function collectBoth(now: number, run: { snapshot(now: number): Promise<SnapshotData>; minutes(now: number): Promise<MinutePickups> }): Promise<SnapshotData> {
  const started = Date.now();
  const [data, minutes] = await Promise.all([run.snapshot(now), run.minutes(now)]);
  return { ...attachMinutes(data, minutes, minuteWindowAt(now)), durationMs: Date.now() - started };
}
