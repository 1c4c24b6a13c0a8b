// The live watcher inside the sidecar (`serve`): wired to the sidecar's event
// hub (each transition of an incident of a subscription becomes an
// `incident` server event for those who may see it), its worker pool (the
// policy's quarantine runs the CLI's action there, actor "policy"), the
// per-subscription settings, and /metrics.
import { readFileSync } from 'node:fs';
import type { Config } from '../config.ts';
import { createError, describeError } from '../errors.ts';
import type { Settings } from '../http/contract.ts';
import type { Sidecar } from '../http/sidecar.ts';
import { DEFAULT_SETTINGS, openSettingsStore } from '../http/settings-store.ts';
import type { CommandOutcome } from '../http/actions/run-command-job.ts';
import { buildDirectory } from './directory.ts';
import { DEFAULT_FROM } from './notify.ts';
import type { QuarantinePort } from './policy.ts';
import { createWatcher, type Watcher, type WatcherOptions } from './watcher.ts';

export type LiveOverrides = Partial<Pick<WatcherOptions, 'clock' | 'checkpointMs' | 'directoryMs' | 'detect' | 'loadDirectory' | 'quarantine'>>;

/** Settings are read per source and scan: a short cache keeps that off the disk; a broken file means the defaults, said once. */
function cachedSettings(config: Config, warn: (w: string) => void): (id: number) => Settings {
  const store = openSettingsStore(config.stateDir, config.timezone);
  const cache = new Map<number, { at: number; s: Settings }>();
  return (id) => {
    const now = Date.now();
    const hit = cache.get(id);
    if (hit && now - hit.at < 10_000) return hit.s;
    let s = DEFAULT_SETTINGS;
    try {
      s = store.get(id).settings;
    } catch (err) {
      warn(`live: settings of subscription ${id} unusable (${describeError(err)}); using the defaults`);
    }
    if (cache.size > 50_000) cache.clear();
    cache.set(id, { at: now, s });
    return s;
  };
}

function readWebhookSecret(config: Config): Buffer | null {
  if (!config.webhookUrl || !config.webhookSecretFile) return null;
  try {
    const key = readFileSync(config.webhookSecretFile).toString('utf8').trim();
    if (key.length < 16) throw new Error('shorter than 16 characters');
    return Buffer.from(key);
  } catch (err) {
    throw createError('SENDTRACE_ERR_CONFIG', `'webhookSecretFile' in ${config.source}`, describeError(err));
  }
}

export function createLiveWatcher(config: Config, sidecar: Sidecar, env: Record<string, string | undefined>, over: LiveOverrides = {}): Watcher {
  const { app, events, pool } = sidecar;
  const log = (level: 'info' | 'warn' | 'error', obj: object, msg: string) => app.log[level](obj, msg);
  const secret = readWebhookSecret(config);
  const quarantine: QuarantinePort = async ({ path, reason }) => {
    const r = await pool.run<CommandOutcome>({
      kind: 'command', command: 'quarantine', flags: [['path', path], ['reason', reason]], config,
      env: { ...env, SENDTRACE_ACTOR: 'policy', USER: 'policy', LOGNAME: undefined, SUDO_USER: undefined },
    });
    const j = r.json as { id?: string; sha256?: string };
    if (!j.id || !j.sha256) throw new Error('the quarantine action returned no id');
    return { id: j.id, sha256: j.sha256 };
  };
  const watcher = createWatcher({
    config,
    settingsOf: cachedSettings(config, (w) => log('warn', {}, w)),
    // Read and parsed in the sidecar's psa thread; only the lookup maps are built here.
    loadDirectory: over.loadDirectory ?? (async () => {
      const p = await sidecar.psa.read({ kind: 'live-directory', config });
      return { directory: buildDirectory(p.input, p.passwd, config.vhostsRoot), warnings: p.warnings };
    }),
    notify: { sendmail: config.sendmail, from: config.notifyFrom ?? DEFAULT_FROM(), adminEmail: config.adminEmail, webhook: config.webhookUrl && secret ? { url: config.webhookUrl, secret } : null },
    quarantine: over.quarantine === undefined ? quarantine : over.quarantine,
    publish: (t) => {
      // An incident of no subscription is the admin's (GET /api/incidents): the hub sends null-subscription events to everyone.
      if (t.incident.subscriptionId !== null) events.publish({ type: 'incident', transition: t.type, incident: t.incident }, t.incident.subscriptionId);
    },
    log,
    ...(over.clock ? { clock: over.clock } : {}),
    ...(over.checkpointMs ? { checkpointMs: over.checkpointMs } : {}),
    ...(over.directoryMs ? { directoryMs: over.directoryMs } : {}),
    ...(over.detect ? { detect: over.detect } : {}),
  });
  registerLiveMetrics(sidecar, watcher);
  return watcher;
}

function registerLiveMetrics(sidecar: Sidecar, w: Watcher): void {
  const m = sidecar.app.sidecarMetrics.registry;
  // Subscription ids (never names) as labels: /metrics is read by the provider's monitoring.
  const byKey = (pick: 'messages' | 'rejects') => () => [...w.counters().totals].filter(([, t]) => t[pick] > 0).map(([k, t]) => {
    const [sub, kind] = k.split('|') as [string, string];
    return { labels: { subscription_id: sub, kind }, value: t[pick] };
  });
  m.counterFrom('sendtrace_live_messages_total', 'Messages seen in the logs since the counters began, by subscription id and source kind (script counts refine system-user ones).', byKey('messages'));
  m.counterFrom('sendtrace_live_rejects_total', 'Limit-out refusals seen in the mail log, by subscription id and source kind.', byKey('rejects'));
  m.gauge('sendtrace_live_open_incidents', 'Open live incidents by kind.', () => {
    const n = new Map<string, number>([['burst', 0], ['block', 0], ['slow-leak', 0], ['probing', 0]]);
    for (const i of w.incidents()) if (i.state === 'open') n.set(i.kind, (n.get(i.kind) ?? 0) + 1);
    return [...n].map(([kind, value]) => ({ labels: { kind }, value }));
  });
  m.gauge('sendtrace_live_log_lag_seconds', 'How long bytes written to a log have been waiting to be read (0: caught up).', () => Object.entries(w.status().lagSeconds).map(([log, value]) => ({ labels: { log }, value })));
  m.gauge('sendtrace_live_backlog_bytes', 'Bytes written to the logs and not read yet.', () => Object.entries(w.status().backlogBytes).map(([log, value]) => ({ labels: { log }, value })));
  m.gauge('sendtrace_live_last_scan_timestamp_seconds', 'When the watcher last read the logs (Unix time).', () => {
    const at = w.status().lastScanAt;
    return at === null ? [] : [{ labels: {}, value: Math.floor(at / 1000) }];
  });
  m.gauge('sendtrace_live_sources', 'Sources (scripts, UIDs, mailboxes, vhosts) with live counters.', () => [{ labels: {}, value: w.counters().sources.size }]);
  m.counterFrom('sendtrace_live_sources_evicted_total', 'Sources dropped, least recently active first, to keep memory bounded (liveMaxSources).', () => [{ labels: {}, value: w.counters().stats.evicted }]);
  m.counterFrom('sendtrace_live_lines_total', 'Log lines read by the watcher.', () => Object.entries(w.ingest().stats).filter(([k]) => k !== 'examples').map(([log, s]) => ({ labels: { log }, value: (s as { lines: number }).lines })));
  m.counterFrom('sendtrace_live_garbled_lines_total', 'Log lines that looked like ours but did not parse (skipped).', () => Object.entries(w.ingest().stats).filter(([k]) => k !== 'examples').map(([log, s]) => ({ labels: { log }, value: (s as { garbled: number }).garbled })));
}
