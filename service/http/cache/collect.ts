// Everything one refresh reads, in two jobs that run side by side in worker
// threads (worker.ts; the machine has more than one core, and months of logs
// must never hold up a request):
//   snapshot — the diagnosis (the CLI's computeDiagnosis, unchanged), whose psa
//              read also gives ownership, peaks and how far the statistics go
//              (docs/decisions/011-omc-totals-in-sql.md); passwd; then the
//              serving snapshot;
//   minutes  — the recent mail log per minute (the timeline's minute steps).
import type { Config } from '../../config.ts';
import { computeDiagnosis } from '../../commands/diagnose.ts';
import { LEVELS } from '../../sources/panel-queries.ts';
import type { PanelData } from '../../sources/panel-data.ts';
import { readPasswd } from '../../sources/passwd.ts';
import { DAY, HOUR } from '../../time.ts';
import { readMinutePickups, type MinutePickups } from './minute-series.ts';
import type { PanelView } from './panel-light.ts';
import { attachMinutes, buildSnapshotData, type SnapshotData } from './snapshot.ts';

export const STATS_DAYS = 35;     // what computeDiagnosis reads too: psa keeps about a month [V]
export const MINUTE_HOURS = 48;   // the mail flow's per-minute window of the diagnosis

export const minuteWindowAt = (now: number) => ({ from: now - MINUTE_HOURS * HOUR, to: now });

export async function collectSnapshot(config: Config, now: number): Promise<SnapshotData> {
  const started = Date.now();
  const statsFrom = now - STATS_DAYS * DAY;
  const timings: Record<string, number> = {};
  const timed = <T>(name: string, p: Promise<T>) => p.finally(() => void (timings[name] = Date.now() - started));
  // psa is read once, by the diagnosis (readPanel: statistics summed in SQL, peaks, owners, objects over the
  // same window), and what it read serves the snapshot too: ownership, peaks, and how far the statistics go.
  // The timeline's hourly rows are read per subscription when asked for (hourly-source.ts).
  const [run, passwd] = await Promise.all([timed('diagnosisMs', computeDiagnosis(config, { now })), readPasswd(config.passwdFile)]);
  const warnings: string[] = [];
  const statsTable = LEVELS[0].statsTable;
  if (run.psa && run.doc.warnings.some((w) => w.startsWith(`psa table ${statsTable} does not exist`))) {
    warnings.push('psa has no outgoing mail statistics table (older Plesk?): the timeline has no hourly steps');
  }
  const panel = run.psa ? panelView(run.psa.panel) : null;
  const statsSummary = run.psa ? { lastCollected: run.psa.statsLastCollected } : null;
  const doc = { ...run.doc, warnings: [...new Set([...run.doc.warnings, ...warnings, ...passwd.warnings])] };
  const data = buildSnapshotData({
    doc, exit: run.exit, panel, statsSummary, passwd: passwd.passwd,
    statsFrom, now, zone: config.timezone, vhostsRoot: config.vhostsRoot, durationMs: Date.now() - started, timings,
  });
  timings.snapshotMs = Date.now() - started;
  timings.startedAt = started;   // epoch ms: collectBoth turns it into the worker's start-up time
  return { ...data, psaError: run.psaError };
}

/** The parts of readPanel's PanelData the snapshot keeps (it crosses from the worker by structured clone). */
function panelView(p: PanelData): PanelView {
  return {
    owners: p.owners,
    subscriptions: p.subscriptions.map((s) => ({ id: s.id, name: s.name, ownerId: s.ownerId, sysUser: s.sysUser })),
    domains: p.domains.map((d) => ({ id: d.id, name: d.name, subscriptionId: d.subscriptionId })),
    mailboxes: p.mailboxes.map((m) => ({ id: m.id, address: m.address, subscriptionId: m.subscriptionId })),
    peaks: p.peaks,
  };
}

export async function collectMinutes(config: Config, now: number): Promise<MinutePickups & { ms: number }> {
  const started = Date.now();
  const r = await readMinutePickups(config.maillog, config.timezone, minuteWindowAt(now));
  return { ...r, ms: Date.now() - started };
}

/** Both jobs through `run` (a worker pool, or in-process), side by side, merged. */
export async function collectBoth(now: number, run: { snapshot(now: number): Promise<SnapshotData>; minutes(now: number): Promise<MinutePickups> }): Promise<SnapshotData> {
  const started = Date.now();
  // receivedMs: the snapshot back on this thread (the worker's start and the structured clone included).
  const [data, minutes] = await Promise.all([run.snapshot(now).then((d) => {
    const { startedAt, ...timings } = d.timings;
    return { ...d, timings: { ...timings, ...(startedAt !== undefined ? { workerStartMs: startedAt - started } : {}), receivedMs: Date.now() - started } };
  }), run.minutes(now)]);
  return { ...attachMinutes(data, minutes, minuteWindowAt(now)), durationMs: Date.now() - started };
}
