// GET /api/subscriptions (the ranked list, compact rows) and
// GET /api/subscriptions/:id (one diagnosis with sources and evidence).
// Both serve text prepared when the diagnosis was made (snapshot.ts validates
// it against ListItemSchema / SubscriptionDiagnosisSchema there); the unpaged
// list is a whole body kept per caller (snapshot-view.ts), so a request costs
// a lookup, whatever the number of subscriptions.
import type { FastifyInstance } from 'fastify';
import { createError } from '../../errors.ts';
import { IdParamsSchema, ListQuerySchema } from '../contract.ts';
import type { ZodTypeProvider } from '../zod-provider.ts';
import { identityOf, metaOf, ownershipOf, sendPrepared, viewOf, visibleKey, type RouteDeps } from './route-deps.ts';

export function registerSubscriptionRoutes(app: FastifyInstance, d: RouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/subscriptions', { schema: { querystring: ListQuerySchema } }, async (req, reply) => {
    const identity = identityOf(req);
    const ownership = ownershipOf(d);
    const view = d.cache.current();
    const meta = JSON.stringify(metaOf(d, view, identity));
    if (!view) return sendPrepared(reply, `{"snapshot":${meta},"total":0,"offset":0,"items":[]}`);
    const visible = ownership.visibleIds(identity);
    const key = visibleKey(ownership, identity);
    const rows = view.rows(key, visible);
    const offset = Math.min(req.query.offset ?? 0, rows.length);
    // The whole list: one body prepared per caller's visible set and snapshot state, sent as is.
    if (offset === 0 && (req.query.limit === undefined || req.query.limit >= rows.length)) return sendPrepared(reply, view.listBody(key, visible, meta));
    const items = rows.slice(offset, req.query.limit === undefined ? undefined : offset + req.query.limit).join(',');
    return sendPrepared(reply, `{"snapshot":${meta},"total":${rows.length},"offset":${offset},"items":[${items}]}`);
  });

  r.get('/api/subscriptions/:id', { schema: { params: IdParamsSchema } }, async (req, reply) => {
    const identity = identityOf(req);
    const sub = ownershipOf(d).subscriptionFor(identity, req.params.id);
    const view = viewOf(d);
    const detail = view.detail(sub.id);
    if (detail === undefined) throw createError('SENDTRACE_ERR_NOT_READY', `subscription ${sub.name} is not in the current diagnosis yet; it will be after the next refresh`);
    return sendPrepared(reply, `{"snapshot":${JSON.stringify(metaOf(d, view, identity))},"subscription":${detail}}`);
  });
}
