// Assembles the sidecar from its parts (the infrastructure → services →
// routes order of fastify/demo): secret, security log, worker pool, event
// hub, diagnosis cache, actions, settings, then the app. Used by `serve`
// (service/server.ts), the demo and the tests; every part can be replaced.
import type { Config } from '../config.ts';
import { createCommandActions } from './actions/worker-actions.ts';
import type { ActionsPort } from './actions/actions-port.ts';
import { buildApp, type AppDeps, type SidecarApp } from './app.ts';
import { loadSecret } from './auth/secret-file.ts';
import type { OwnershipData } from './authorize.ts';
import { createDiagnosisCache, type DiagnosisCache, type DiagnosisCacheOptions } from './cache/diagnosis-cache.ts';
import { collectBoth } from './cache/collect.ts';
import { fingerprintInputs, type Fingerprint } from './cache/inputs-fingerprint.ts';
import { createPsaHourly, type HourlySource } from './cache/hourly-source.ts';
import type { MinutePickups } from './cache/minute-series.ts';
import { createPsaThread, type PsaThread } from './cache/psa-thread.ts';
import type { SnapshotData } from './cache/snapshot.ts';
import { createWorkerPool, type WorkerLauncher, type WorkerPool } from './cache/worker.ts';
import { openSecurityLog } from './security-log.ts';
import { openSettingsStore } from './settings-store.ts';
import { createEventHub, type EventHub } from './sse.ts';

export type SidecarOptions = {
  env: Record<string, string | undefined>;
  worker: WorkerLauncher;
  /** Group of the panel (psaadm): may read a secret file created here. */
  secretGid: number;
  key?: Buffer;
  clock?: () => number;
  /** The instant diagnoses are made as of; default the clock (the demo fixes it to its world's --now). */
  analysisNow?: () => number;
  collect?: (now: number) => Promise<SnapshotData>;
  fingerprint?: (now: number) => Promise<Fingerprint>;
  loadOwnership?: (now: number) => Promise<OwnershipData>;
  actions?: ActionsPort;
  hourly?: HourlySource;
  timing?: Pick<DiagnosisCacheOptions, 'pollMs' | 'minIntervalMs' | 'maxAgeMs' | 'progressMs'>;
} & Pick<AppDeps, 'devSigner' | 'logStream' | 'logLevel' | 'rateLimit' | 'bodyLimit' | 'plugins' | 'incidents' | 'requestTimeoutMs' | 'keepAliveMs' | 'connectionsCheckMs'>;

export type Sidecar = { app: SidecarApp; cache: DiagnosisCache; events: EventHub; pool: WorkerPool; psa: PsaThread; close(): Promise<void> };

export async function createSidecar(config: Config, o: SidecarOptions): Promise<Sidecar> {
  const clock = o.clock ?? Date.now;
  const key = o.key ?? loadSecret(config.secretFile, { gid: o.secretGid, create: true });
  const securityLog = openSecurityLog(config.stateDir, config.timezone);
  const pool = createWorkerPool(o.worker);
  // psa between diagnoses (ownership, hourly rows, the live directory): read and parsed off this thread.
  const psa = createPsaThread(o.worker);
  let app: SidecarApp | null = null;
  let cache: DiagnosisCache | null = null;
  const events = createEventHub({ canSee: (identity, id) => cache?.ownership()?.canSee(identity, id) ?? false });
  const hourly = o.hourly ?? createPsaHourly(config, { read: (range) => psa.read({ kind: 'hourly', config, ...range }) });
  // The app (and its logger) is made after the cache it serves from; until then there is nothing to log.
  const log = {
    info: (obj: object, msg: string) => app?.log.info(obj, msg),
    warn: (obj: object, msg: string) => app?.log.warn(obj, msg),
    error: (obj: object, msg: string) => app?.log.error(obj, msg),
  };
  cache = createDiagnosisCache({
    collect: o.collect ?? ((now) => collectBoth(now, {
      snapshot: (at) => pool.run<SnapshotData>({ kind: 'snapshot', config, now: at }),
      minutes: (at) => pool.run<MinutePickups>({ kind: 'minutes', config, now: at }),
    })),
    // On this thread: one `plesk db` every 30 s whose output is hashed, not parsed (a spawn, ~10-20 ms); in the
    // psa thread it would keep that thread, and its ~43 MB, alive for good (decision 014).
    fingerprint: o.fingerprint ?? ((now) => fingerprintInputs(config, now)),
    loadOwnership: o.loadOwnership ?? (() => psa.read({ kind: 'ownership', config })),
    analysisNow: o.analysisNow ?? clock,
    clock,
    zone: config.timezone,
    publish: (e, id) => {
      if (e.type === 'scan' && e.state !== 'running') app?.sidecarMetrics.refreshes.inc({ result: e.state });
      // The timelines most likely to be opened next: the riskiest subscriptions'.
      const view = cache?.current();
      if (e.type === 'scan' && e.state === 'done' && view) hourly.prefetch?.(view.data.ranked.slice(0, 100).map((r) => r.id), view);
      events.publish(e, id);
    },
    log,
    ...o.timing,
  });
  app = buildApp(config, {
    key, cache, events, securityLog, clock,
    actions: o.actions ?? createCommandActions({ config, env: o.env, pool }),
    hourly,
    settings: openSettingsStore(config.stateDir, config.timezone),
    ...(o.devSigner ? { devSigner: o.devSigner } : {}),
    ...(o.logStream ? { logStream: o.logStream } : {}),
    ...(o.logLevel ? { logLevel: o.logLevel } : {}),
    ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
    ...(o.bodyLimit ? { bodyLimit: o.bodyLimit } : {}),
    ...(o.requestTimeoutMs ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
    ...(o.keepAliveMs ? { keepAliveMs: o.keepAliveMs } : {}),
    ...(o.connectionsCheckMs ? { connectionsCheckMs: o.connectionsCheckMs } : {}),
    ...(o.plugins ? { plugins: o.plugins } : {}),
    ...(o.incidents ? { incidents: o.incidents } : {}),
  });
  const built = app;
  const c = cache;
  return {
    app: built, cache: c, events, pool, psa,
    async close() {
      await c.stop();
      events.closeAll();
      // A keep-alive connection whose last request finishes during the drain is idle only then: reap it then.
      const reaper = setInterval(() => built.server.closeIdleConnections(), 100);
      try {
        await built.close();
      } finally {
        clearInterval(reaper);
      }
      await Promise.all([pool.shutdown(30_000), psa.close()]);
    },
  };
}
