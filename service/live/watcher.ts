// The live watcher that `serve` runs beside the HTTP API: every pollMs it
// reads what the logs gained (follow.ts), counts it (ingest.ts →
// counters.ts), detects (detect.ts), persists incidents BEFORE acting on them
// (incident-store.ts), applies the subscription's policy (policy.ts),
// notifies (notify.ts) and publishes each transition (the SSE hub). Cursors
// and counters are checkpointed together every checkpointMs and at stop
// (cursor-store.ts), so a restart neither repeats nor skips a line. A
// checkpoint is taken on the spot and written in the background (one at a
// time), so the thread that serves HTTP does not wait on the disk.
import type { Config } from '../config.ts';
import { describeError } from '../errors.ts';
import type { Settings } from '../http/contract.ts';
import { HOUR } from '../time.ts';
import { LiveCounters } from './counters.ts';
import { openCheckpointStore } from './cursor-store.ts';
import { detect, type DetectOptions } from './detect.ts';
import { EMPTY_DIRECTORY, type LiveDirectory } from './directory.ts';
import { LogFollower, type PollReport } from './follow.ts';
import type { Incident, Transition } from './incident.ts';
import { openIncidentStore, type IncidentStore } from './incident-store.ts';
import { createIngest, LOG_KINDS, type Ingest, type LogKind } from './ingest.ts';
import { createNotifier, type Notifier, type NotifyOptions } from './notify.ts';
import { applyPolicy, type QuarantinePort } from './policy.ts';

export type WatcherOptions = {
  config: Config;
  settingsOf: (subscriptionId: number) => Settings;
  loadDirectory: () => Promise<{ directory: LiveDirectory; warnings: string[] }>;
  notify: Omit<NotifyOptions, 'log' | 'zone'>;
  quarantine: QuarantinePort | null;
  publish: (t: Transition) => void;
  log: (level: 'info' | 'warn' | 'error', obj: object, msg: string) => void;
  clock?: () => number;
  checkpointMs?: number;
  directoryMs?: number;
  detect?: Partial<DetectOptions>;
};

export type LiveStatus = {
  lastScanAt: number | null;
  lagSeconds: Record<LogKind, number>;
  backlogBytes: Record<LogKind, number>;
  scans: number;
  warnings: string[];
};

export type Watcher = {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** One poll + detection now (tests; the loop calls it too). */
  scan(): Promise<Transition[]>;
  incidents(): Incident[];
  counters(): LiveCounters;
  ingest(): Ingest;
  status(): LiveStatus;
  notifier: Notifier;
};

const PATTERNS: Record<LogKind, (c: Config) => string[]> = { maillog: (c) => c.maillog, phpMailLog: (c) => c.phpMailLog, accessLogs: (c) => c.accessLogs };

export function createWatcher(o: WatcherOptions): Watcher {
  const { config } = o;
  const clock = o.clock ?? Date.now;
  const log = o.log;
  const limits = { maxSources: config.liveMaxSources };
  const checkpoints = openCheckpointStore(config.stateDir, clock(), { limits });
  for (const w of checkpoints.warnings) log('warn', {}, w);
  // Counters and cursors come from one checkpoint or neither: else a line would count twice or not at all.
  const cp = checkpoints.loaded;
  const counters = cp?.counters ?? new LiveCounters(limits);
  const followers = new Map<LogKind, LogFollower>();
  for (const kind of LOG_KINDS) {
    const patterns = PATTERNS[kind](config);
    if (patterns.length) followers.set(kind, new LogFollower({ patterns, startAtEnd: true }, cp?.follow[kind] ?? null));
  }
  const ingest = createIngest(counters, config.timezone);
  const store: IncidentStore = openIncidentStore(config.stateDir, clock());
  for (const w of store.warnings) log('warn', {}, w);
  let incidents = store.all();
  const notifier = createNotifier({ ...o.notify, zone: config.timezone, log: (l, obj, m) => log(l, obj, m) }, store, clock);
  const status: LiveStatus = {
    lastScanAt: null, scans: 0, warnings: [],
    lagSeconds: { maillog: 0, phpMailLog: 0, accessLogs: 0 }, backlogBytes: { maillog: 0, phpMailLog: 0, accessLogs: 0 },
  };
  const backlogSince: Record<LogKind, number | null> = { maillog: null, phpMailLog: null, accessLogs: null };
  const policyDone = new Set<string>();
  let directory: LiveDirectory = EMPTY_DIRECTORY;
  let directoryAt = 0;
  let lastHourly = -1;
  let lastCheckpoint = clock();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let saving: Promise<void> | null = null;
  let stopped = false;
  const warnOnce = new Set<string>();
  const warn = (w: string) => {
    if (warnOnce.has(w)) return;
    if (warnOnce.size > 1000) warnOnce.clear();
    warnOnce.add(w);
    status.warnings = [...status.warnings.slice(-19), w];
    log('warn', {}, w);
  };

  const refreshDirectory = async (now: number) => {
    if (now - directoryAt < (o.directoryMs ?? 5 * 60_000) && directoryAt !== 0) return;
    directoryAt = now;
    try {
      const r = await o.loadDirectory();
      directory = r.directory;
      counters.setDirectory(directory);
      for (const w of r.warnings) warn(w);
    } catch (err) {
      warn(`live: cannot read psa (${describeError(err)}); events stay unattributed until it can`);
    }
  };

  /** Takes the checkpoint now (cursors and counters at this instant); resolves once it is on disk. */
  const checkpoint = async (now: number): Promise<void> => {
    const follow: Record<string, ReturnType<LogFollower['state']>> = {};
    for (const [kind, f] of followers) follow[kind] = f.state();
    store.replace(incidents, now);
    const r = await checkpoints.save(now, follow, counters);
    for (const p of r.problems) warn(p);
    lastCheckpoint = now;
  };

  const scan = async (): Promise<Transition[]> => {
    const now = clock();
    await refreshDirectory(now);
    for (const [kind, f] of followers) {
      let report: PollReport;
      try {
        report = await f.poll((buf, s, e, file) => ingest.line(kind, buf, s, e, file, now));
      } catch (err) {
        warn(`live: reading the ${kind} failed: ${describeError(err)}`);
        continue;
      }
      for (const w of report.warnings) warn(w);
      for (const e of report.events) if (!e.startsWith('start at end')) log('info', { log: kind }, e);
      status.backlogBytes[kind] = report.backlogBytes;
      if (report.backlogBytes > 0) backlogSince[kind] ??= now;
      else backlogSince[kind] = null;
      status.lagSeconds[kind] = backlogSince[kind] === null ? 0 : Math.max(0, now - backlogSince[kind]!) / 1000;   // a clock set back never gives a negative lag
    }
    const hour = Math.floor(now / HOUR);
    const r = detect({
      now, zone: config.timezone, counters, directory, settingsOf: o.settingsOf, incidents, dirty: counters.takeDirty(), hourly: hour !== lastHourly,
      options: { burstPerMinute: config.liveBurstPerMinute, burstFactor: config.liveBurstFactor, ...o.detect },
    });
    lastHourly = hour;
    incidents = r.incidents;
    status.lastScanAt = now;
    status.scans++;
    if (r.transitions.length) {
      // On disk before anyone hears of it: a restart does not announce it again.
      store.replace(incidents, now);
      const decisions = await applyPolicy(r.transitions, { settingsOf: o.settingsOf, quarantine: o.quarantine, done: policyDone });
      const extra = new Map<string, string[]>();
      for (const d of decisions) {
        extra.set(d.incidentId, [...(extra.get(d.incidentId) ?? []), d.detail]);
        const inc = incidents.get(d.incidentId);
        if (inc) incidents.set(inc.id, { ...inc, history: [...inc.history, { at: clock(), event: 'action', note: d.detail }] });
        log(d.action === 'failed' ? 'warn' : 'info', { incident: d.incidentId, path: d.path }, `policy: ${d.detail}`);
      }
      if (decisions.length) store.replace(incidents, now);
      const latest = r.transitions.map((t) => ({ ...t, incident: incidents.get(t.incident.id) ?? t.incident }));
      for (const t of latest) o.publish(t);
      notifier.send(latest, directory, o.settingsOf, extra).catch((err) => log('error', { err: describeError(err) }, 'live: notifying failed'));
    }
    if (now - lastCheckpoint >= (o.checkpointMs ?? 30_000) && saving === null) {
      // Not awaited: the next scans run while it is written (a failed one is tried again at the next scan).
      saving = checkpoint(now)
        .catch((err) => log('error', { err: describeError(err) }, 'live: the checkpoint could not be written'))
        .finally(() => {
          saving = null;
        });
    }
    return r.transitions;
  };

  const loop = () => {
    if (stopped) return;
    running = scan().catch((err) => log('error', { err: describeError(err), stack: (err as Error).stack }, 'live: scan failed')).finally(() => {
      if (!stopped) timer = setTimeout(loop, config.livePollMs);
    });
  };

  return {
    async start() {
      stopped = false;
      loop();
      await running;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await notifier.idle();
      await saving;
      try {
        await checkpoint(clock());
      } catch (err) {
        log('error', { err: describeError(err) }, 'live: the last checkpoint could not be written');
      }
    },
    scan: () => {
      const p = running.then(scan);
      running = p.catch(() => undefined);
      return p;
    },
    incidents: () => [...incidents.values()],
    counters: () => counters,
    ingest: () => ingest,
    status: () => status,
    notifier,
  };
}
