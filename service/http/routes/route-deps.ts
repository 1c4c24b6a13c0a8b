// What every route module receives, and the few helpers they share: the
// caller's identity (set by the signature check), the current snapshot and
// ownership (or 503 while the first ones are being made), the snapshot's
// metadata as the caller may see it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import { createError } from '../../errors.ts';
import { formatIso } from '../../time.ts';
import type { ActionsPort, Actor } from '../actions/actions-port.ts';
import type { Identity } from '../auth/signature.ts';
import type { Ownership } from '../authorize.ts';
import type { DiagnosisCache } from '../cache/diagnosis-cache.ts';
import type { HourlySource } from '../cache/hourly-source.ts';
import type { SnapshotView } from '../cache/snapshot-view.ts';
import type { SnapshotMeta } from '../contract.ts';
import type { SidecarMetrics } from '../metrics.ts';
import type { RateLimiter } from '../rate-limit.ts';
import type { SecurityLog } from '../security-log.ts';
import type { SettingsStore } from '../settings-store.ts';
import type { EventHub } from '../sse.ts';
import type { Incident } from '../../live/incident.ts';

export type RouteDeps = {
  config: Config;
  cache: Pick<DiagnosisCache, 'current' | 'ownership' | 'refreshing' | 'requestRefresh'>;
  actions: ActionsPort;
  hourly: HourlySource;
  settings: SettingsStore;
  events: EventHub;
  limiter: RateLimiter;
  metrics: SidecarMetrics;
  securityLog: SecurityLog;
  clock: () => number;
  startedAt: number;
  /** The live watcher's incidents (null: not running). */
  incidents: () => Incident[] | null;
};

export function identityOf(req: FastifyRequest): Identity {
  // Only unreachable if a route were marked public by mistake: fail closed.
  if (!req.identity) throw createError('SENDTRACE_ERR_UNAUTHENTICATED', 'no verified identity');
  return req.identity;
}

export function actorOf(req: FastifyRequest): Actor {
  return { ...identityOf(req), via: req.devSigned ? 'dev-signer' : 'panel' };
}

export function ownershipOf(d: RouteDeps): Ownership {
  const o = d.cache.ownership();
  if (!o) throw createError('SENDTRACE_ERR_NOT_READY', 'the sidecar has not read psa yet');
  return o;
}

export function viewOf(d: RouteDeps): SnapshotView {
  const v = d.cache.current();
  if (!v) throw createError('SENDTRACE_ERR_NOT_READY', 'the first diagnosis is still being computed; GET /api/events reports its progress');
  return v;
}

export function metaOf(d: RouteDeps, view: SnapshotView | null, identity: Identity): SnapshotMeta {
  return {
    generation: view?.generation ?? 0,
    now: view ? formatIso(view.data.now, d.config.timezone) : null,
    computedAt: view ? formatIso(view.computedAt, d.config.timezone) : null,
    durationMs: view?.data.durationMs ?? null,
    refreshing: d.cache.refreshing() !== null,
    // Warnings name files and subscriptions of everyone: the admin's business only.
    warnings: identity.role === 'admin' && view ? view.data.warnings : [],
  };
}

/** Sends JSON text that was serialized (and validated) ahead of time. */
export function sendPrepared(reply: FastifyReply, body: string | Buffer): FastifyReply {
  return reply.header('content-type', 'application/json; charset=utf-8').send(body);
}

/** The key of a caller's visible set, valid for one ownership generation. */
export function visibleKey(ownership: Ownership, identity: Identity): string {
  return `${ownership.generation}:${identity.role}:${identity.clientId}`;
}
