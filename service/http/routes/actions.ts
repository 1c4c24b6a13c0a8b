// POST /api/subscriptions/:id/actions/{quarantine,restore,reset-passwords,purge-queue}.
// Order of checks: a verified identity (onRequest), the per-user rate limit,
// the subscription being the caller's (404 otherwise, recorded in
// security.log), every path or quarantine id in the body belonging to that
// subscription; only then the action, through the ActionsPort, which applies
// the actions module's own checks (safe paths, dry run, audit log).
import { posix } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError, EXIT, SendtraceError } from '../../errors.ts';
import { decodePathArgument } from '../../actions/path-arg.ts';
import type { ActionOutcome } from '../actions/actions-port.ts';
import type { SubscriptionRow } from '../authorize.ts';
import { ActionResponseSchema, IdParamsSchema, PurgeQueueBodySchema, QuarantineBodySchema, ResetPasswordsBodySchema, RestoreBodySchema, type ActionName, type ActionResponse } from '../contract.ts';
import { isCoded } from '../errors.ts';
import { formatIso } from '../../time.ts';
import type { ZodTypeProvider } from '../zod-provider.ts';
import { actorOf, identityOf, ownershipOf, type RouteDeps } from './route-deps.ts';

/** The path (shown form, \xHH for raw bytes) must name something below the subscription's home, written plainly. */
export function checkInsideHome(path: string, sub: SubscriptionRow): void {
  const shown = path.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 300);
  if (!sub.home) throw createError('SENDTRACE_ERR_PATH_NOT_ALLOWED', shown, `subscription ${sub.name} has no home on this server`);
  const p = decodePathArgument(path).toString('latin1');
  const home = Buffer.from(sub.home, 'utf8').toString('latin1');
  // No `..`, `.`, `//` or NUL: the text must already be the canonical form (the actions module then refuses symlinks).
  if (p.includes('\0') || posix.normalize(p) !== p || !p.startsWith(`${home}/`)) {
    throw createError('SENDTRACE_ERR_PATH_NOT_ALLOWED', shown, `it is not inside the home of subscription ${sub.name}`);
  }
}

export function registerActionRoutes(app: FastifyInstance, d: RouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  /** Rate limit, then the subscription (a refusal for someone else's id is recorded). */
  const begin = (req: FastifyRequest, id: number): SubscriptionRow => {
    const identity = identityOf(req);
    try {
      d.limiter.take(`${identity.role}:${identity.clientId}:${identity.login}`, d.clock());
    } catch (err) {
      d.metrics.rateLimited.inc();
      throw err;
    }
    try {
      return ownershipOf(d).subscriptionFor(identity, id);
    } catch (err) {
      if (isCoded(err, 'SENDTRACE_ERR_NOT_FOUND')) {
        const unwritten = d.securityLog.record({ event: 'not-visible', reason: `action on subscription ${id}`, method: req.method, path: (req.raw.url ?? '').split('?')[0]!, claimed: { user: identity.login, role: identity.role, clientId: String(identity.clientId) } }, d.clock());
        if (unwritten) req.log.error({ securityLog: unwritten }, 'a refused request could not be written to security.log; it is refused all the same');
      }
      throw err;
    }
  };

  const finish = async (req: FastifyRequest, action: ActionName, sub: SubscriptionRow, dryRun: boolean, run: () => Promise<ActionOutcome>): Promise<ActionResponse> => {
    const publish = (result: 'done' | 'partial' | 'refused' | 'failed') => {
      d.metrics.actions.inc({ action, dry_run: String(dryRun), result });
      d.events.publish({ type: 'action', subscriptionId: sub.id, action, dryRun, result, at: formatIso(d.clock(), d.config.timezone), by: identityOf(req).login }, sub.id);
    };
    let out: ActionOutcome;
    try {
      out = await run();
    } catch (err) {
      publish(err instanceof SendtraceError && err.exit === EXIT.refused && err.status < 500 ? 'refused' : 'failed');
      throw err;
    }
    publish(out.exit === EXIT.ok ? 'done' : 'partial');
    // Files moved or mail removed: the diagnosis inputs changed.
    if (!dryRun) d.cache.requestRefresh();
    return { action, subscriptionId: sub.id, dryRun, exit: out.exit, result: out.result, notes: out.notes };
  };

  const response = { 200: ActionResponseSchema };

  r.post('/api/subscriptions/:id/actions/quarantine', { schema: { params: IdParamsSchema, body: QuarantineBodySchema, response } }, async (req) => {
    const sub = begin(req, req.params.id);
    checkInsideHome(req.body.path, sub);
    const actor = actorOf(req);
    const reason = req.body.reason?.trim() || `quarantined from the panel by ${actor.login}`;
    // The diagnosis being served already holds this script's evidence: passing it spares the action a fresh
    // diagnosis of the subscription (seconds; the lab measured 7–16 s per quarantine). Absent, the command diagnoses.
    const evidence = sourcesNaming(d.cache.current()?.detail(sub.id), req.body.path);
    return finish(req, 'quarantine', sub, req.body.dryRun, () => d.actions.quarantine({ subscription: sub.name, path: req.body.path, reason, dryRun: req.body.dryRun, actor, ...(evidence.length ? { evidence } : {}) }));
  });

  r.post('/api/subscriptions/:id/actions/restore', { schema: { params: IdParamsSchema, body: RestoreBodySchema, response } }, async (req) => {
    const sub = begin(req, req.params.id);
    const { items } = await d.actions.listQuarantine();
    const item = items.find((i) => i.id === req.body.quarantineId);
    // Someone else's quarantine id answers like an unknown one.
    if (!item || (item.subscriptionId !== null ? item.subscriptionId !== sub.id : item.subscription.toLowerCase() !== sub.name.toLowerCase())) {
      throw createError('SENDTRACE_ERR_NOT_FOUND', 'Quarantine id', req.body.quarantineId);
    }
    return finish(req, 'restore', sub, req.body.dryRun, () => d.actions.restore({ subscription: sub.name, quarantineId: item.id, dryRun: req.body.dryRun, actor: actorOf(req) }));
  });

  r.post('/api/subscriptions/:id/actions/reset-passwords', { schema: { params: IdParamsSchema, body: ResetPasswordsBodySchema, response } }, async (req) => {
    const sub = begin(req, req.params.id);
    const { mailboxes, systemUser, panelLogin, dryRun } = req.body;
    if (Array.isArray(mailboxes)) {
      const bad = mailboxes.find((a) => !/^[^\s,@]+@[^\s,@]+$/.test(a));
      if (bad !== undefined) throw createError('SENDTRACE_ERR_INVALID_REQUEST', `body.mailboxes: '${bad.slice(0, 80)}' is not a mail address`);
    }
    return finish(req, 'reset-passwords', sub, dryRun, () => d.actions.resetPasswords({ subscription: sub.name, mailboxes, systemUser, panelLogin, dryRun, actor: actorOf(req) }));
  });

  r.post('/api/subscriptions/:id/actions/purge-queue', { schema: { params: IdParamsSchema, body: PurgeQueueBodySchema, response } }, async (req) => {
    const sub = begin(req, req.params.id);
    const { source, dryRun } = req.body;
    if (source?.kind === 'script') checkInsideHome(source.path, sub);
    if (source?.kind === 'sender' && !/^[^\s,@]+@[^\s,@]+$/.test(source.address)) throw createError('SENDTRACE_ERR_INVALID_REQUEST', 'body.source.address: not a mail address');
    return finish(req, 'purge-queue', sub, dryRun, () => d.actions.purgeQueue({ subscription: sub.name, source, dryRun, actor: actorOf(req) }));
  });
}

/** The script sources of a served diagnosis document that name `path`. */
export function sourcesNaming(detail: string | undefined, path: string): unknown[] {
  if (!detail) return [];
  const doc = JSON.parse(detail) as { sources?: Array<{ kind?: string; path?: string | null }> };
  return (doc.sources ?? []).filter((s) => s.kind === 'script' && s.path === path);
}
