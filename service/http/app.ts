// buildApp: the sidecar's Fastify application, which never listens
// (service/server.ts does). Order is the architecture: logging and the zod
// contract, the error catalogue, the trust boundary (signature, identity),
// the per-request bookkeeping (no-store, metrics), then the routes.
import { createServer as createHttpServer } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Config } from '../config.ts';
import type { ActionsPort } from './actions/actions-port.ts';
import { createDevSigner } from './auth/dev-signer.ts';
import { createNonceCache } from './auth/nonce-cache.ts';
import { registerAuthentication } from './auth/verify-request.ts';
import type { DiagnosisCache } from './cache/diagnosis-cache.ts';
import { snapshotHourly, type HourlySource } from './cache/hourly-source.ts';
import { registerErrorHandling } from './errors.ts';
import { loggerOptions, type LogDestination } from './logger.ts';
import { createSidecarMetrics, type SidecarMetrics } from './metrics.ts';
import { createRateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { registerActionRoutes } from './routes/actions.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerIncidentRoutes } from './routes/incidents.ts';
import type { Incident } from '../live/incident.ts';
import { registerRecordRoutes } from './routes/records.ts';
import type { RouteDeps } from './routes/route-deps.ts';
import { registerSettingsRoutes } from './routes/settings.ts';
import { registerStatusRoutes } from './routes/status.ts';
import { registerSubscriptionRoutes } from './routes/subscriptions.ts';
import { registerTimelineRoutes } from './routes/timeline.ts';
import type { SecurityLog } from './security-log.ts';
import type { SettingsStore } from './settings-store.ts';
import type { EventHub } from './sse.ts';
import { serializerCompiler, validatorCompiler } from './zod-provider.ts';

export const DEFAULT_BODY_LIMIT = 256 * 1024;   // settings with a full allow-list fit; nothing else comes close
export const MAX_SKEW_MS = 60_000;

export type AppDeps = {
  key: Buffer;
  cache: Pick<DiagnosisCache, 'current' | 'ownership' | 'refreshing' | 'requestRefresh'>;
  actions: ActionsPort;
  settings: SettingsStore;
  events: EventHub;
  securityLog: SecurityLog;
  /** The timeline's hourly statistics; default: those the snapshot carries. */
  hourly?: HourlySource;
  clock?: () => number;
  /** The development signer (refused on a Plesk server); `root` is for tests. */
  devSigner?: { root?: string } | null;
  logStream?: LogDestination;
  logLevel?: string;
  rateLimit?: RateLimitOptions;
  bodyLimit?: number;
  maxSkewMs?: number;
  /** The live watcher's incidents; absent or null: the watcher is not running. */
  incidents?: () => Incident[] | null;
  /** Extra Fastify plugins, registered last (the demo mounts the panel's static files). */
  plugins?: FastifyPluginAsync[];
  /** Time to receive a whole request (Node's server.requestTimeout); default 30 s. */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open after an answer; default 5 s. */
  keepAliveMs?: number;
  /** How often Node looks for requests over that time (its default, 30 s, would let a slow client stay a minute). */
  connectionsCheckMs?: number;
};

export type SidecarApp = FastifyInstance & { sidecarMetrics: SidecarMetrics };

// Not async: a Fastify instance is thenable (it resolves on ready()), so it is returned as is.
export function buildApp(config: Config, deps: AppDeps): SidecarApp {
  const clock = deps.clock ?? Date.now;
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({ ...loggerOptions({ level: deps.logLevel ?? 'info', ...(deps.logStream ? { stream: deps.logStream } : {}) }), bodyLimit,
    // close() lets requests in flight finish (idle keep-alive sockets are closed); event streams are ended by the hub first.
    forceCloseConnections: 'idle', return503OnClosing: false,
    // A client trickling its request (slowloris) holds a connection at most this long; answers (SSE) are not
    // limited. Given to Node's server at its creation: Fastify's own requestTimeout option, set afterwards,
    // was never enforced here (a test holds a signed request open past it).
    // The idle keep-alive timeout is set here for the same reason (Fastify's 72 s default is not applied to a
    // server it did not make). 5 s: the PHP shim opens a connection per request and closes it, so an idle
    // connection is a client that is not the panel, and it holds a file descriptor of a root process.
    serverFactory: (handler) => {
      const server = createHttpServer({ requestTimeout: deps.requestTimeoutMs ?? 30_000, connectionsCheckingInterval: deps.connectionsCheckMs ?? 5_000 }, handler);
      server.keepAliveTimeout = deps.keepAliveMs ?? 5_000;
      return server;
    } });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);

  const metrics = createSidecarMetrics();
  const devSigner = deps.devSigner ? createDevSigner({ key: deps.key, ownership: () => deps.cache.ownership(), clock, config, ...(deps.devSigner.root ? { root: deps.devSigner.root } : {}) }) : null;
  registerAuthentication(app, {
    key: deps.key, nonces: createNonceCache(), clock, maxSkewMs: deps.maxSkewMs ?? MAX_SKEW_MS, securityLog: deps.securityLog, metrics,
    ownership: () => deps.cache.ownership(), devSigner, bodyLimit,
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    // API answers are per user and may carry new passwords: never stored by a cache or a proxy.
    if (!req.routeOptions.config?.public) reply.header('cache-control', 'no-store');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.duration.observe({ route }, reply.elapsedTime / 1000);
    req.log.info({ req, res: reply, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  });

  const m = metrics.registry;
  m.gauge('sendtrace_diagnosis_generation', 'Diagnoses made since start (0: none yet).', () => [{ labels: {}, value: deps.cache.current()?.generation ?? 0 }]);
  m.gauge('sendtrace_diagnosis_age_seconds', 'Age of the diagnosis being served.', () => {
    const v = deps.cache.current();
    return v ? [{ labels: {}, value: Math.round((clock() - v.computedAt) / 1000) }] : [];
  });
  m.gauge('sendtrace_diagnosis_duration_seconds', 'How long the last diagnosis took.', () => {
    const v = deps.cache.current();
    return v ? [{ labels: {}, value: v.data.durationMs / 1000 }] : [];
  });
  m.gauge('sendtrace_diagnosis_refreshing', '1 while a diagnosis is being made.', () => [{ labels: {}, value: deps.cache.refreshing() ? 1 : 0 }]);
  m.gauge('sendtrace_subscriptions', 'Subscriptions by OMC status and cause.', () => {
    const counts = new Map<string, { status: string; cause: string; n: number }>();
    for (const s of deps.cache.current()?.data.summary.values() ?? []) {
      const k = `${s.status}|${s.cause}`;
      const c = counts.get(k) ?? { status: s.status, cause: s.cause, n: 0 };
      c.n++;
      counts.set(k, c);
    }
    return [...counts.values()].map((c) => ({ labels: { status: c.status, cause: c.cause }, value: c.n }));
  });
  m.gauge('sendtrace_event_streams', 'Open server-sent event streams.', () => [{ labels: {}, value: deps.events.clients() }]);

  const routeDeps: RouteDeps = {
    config, cache: deps.cache, actions: deps.actions, hourly: deps.hourly ?? snapshotHourly, settings: deps.settings, events: deps.events, securityLog: deps.securityLog,
    limiter: createRateLimiter(deps.rateLimit ?? { burst: 10, perMinute: 10 }), metrics, clock, startedAt: clock(),
    incidents: deps.incidents ?? (() => null),
  };
  registerStatusRoutes(app, routeDeps, () => m.render());
  registerSubscriptionRoutes(app, routeDeps);
  registerTimelineRoutes(app, routeDeps);
  registerActionRoutes(app, routeDeps);
  registerRecordRoutes(app, routeDeps);
  registerSettingsRoutes(app, routeDeps);
  registerEventRoutes(app, routeDeps);
  registerIncidentRoutes(app, routeDeps);
  for (const plugin of deps.plugins ?? []) void app.register(plugin);
  return Object.assign(app, { sidecarMetrics: metrics }) as SidecarApp;
}
