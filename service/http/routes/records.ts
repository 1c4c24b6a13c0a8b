// GET /api/quarantine and GET /api/audit: what was quarantined and what was
// done, limited to the subscriptions the caller may see (records without a
// subscription, and refused requests, are the admin's only).
import type { FastifyInstance } from 'fastify';
import { createError } from '../../errors.ts';
import { parseIsoInstant } from '../../time.ts';
import { AuditQuerySchema, AuditResponseSchema, QuarantineListResponseSchema } from '../contract.ts';
import { readSecurityLog } from '../security-log.ts';
import type { ZodTypeProvider } from '../zod-provider.ts';
import { identityOf, ownershipOf, type RouteDeps } from './route-deps.ts';

export function registerRecordRoutes(app: FastifyInstance, d: RouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/quarantine', { schema: { response: { 200: QuarantineListResponseSchema } } }, async (req) => {
    const identity = identityOf(req);
    const ownership = ownershipOf(d);
    const { items, warnings } = await d.actions.listQuarantine();
    const admin = identity.role === 'admin';
    const mine = items.filter((i) => {
      const id = i.subscriptionId ?? ownership.idByName.get(i.subscription);
      return admin || (id !== undefined && ownership.canSee(identity, id));
    });
    return { items: mine, warnings: admin ? warnings : [] };
  });

  r.get('/api/audit', { schema: { querystring: AuditQuerySchema, response: { 200: AuditResponseSchema } } }, async (req) => {
    const identity = identityOf(req);
    const ownership = ownershipOf(d);
    const since = req.query.since === undefined ? null : parseIsoInstant(req.query.since, d.config.timezone);
    if (since === null && req.query.since !== undefined) throw createError('SENDTRACE_ERR_INVALID_REQUEST', 'query.since: not an ISO-8601 instant (e.g. 2022-02-03T22:15:00+09:00)');
    const { records, warnings } = await d.actions.readAudit(since);
    const admin = identity.role === 'admin';
    const visible = admin ? records : records.filter((rec) => {
      // The actions write psa's own spelling of the name into the record.
      const id = rec.subscription === null ? undefined : ownership.idByName.get(rec.subscription);
      return id !== undefined && ownership.canSee(identity, id);
    });
    const refusals = admin
      ? readSecurityLog(d.config.stateDir, since).records.slice(-1000).map((s) => ({ time: s.time, event: s.event, reason: s.reason, method: s.method, path: s.path, claimedUser: s.claimed.user, suppressedBefore: s.suppressedBefore }))
      : [];
    return { records: visible, refusals, warnings: admin ? warnings : [] };
  });
}
