// GET /api/subscriptions (the ranked list, compact rows) and
// GET /api/subscriptions/:id (one diagnosis with sources and evidence).
// Both serve text prepared when the diagnosis was made (snapshot.ts validates
// it against ListItemSchema / SubscriptionDiagnosisSchema there); the unpaged
// list is a whole body kept per caller (snapshot-view.ts), and a sorted or
// filtered selection is kept per caller and query, so a request costs a
// lookup and a slice, whatever the number of subscriptions.
import type { FastifyInstance } from 'fastify';
import { createError } from '../../errors.ts';
import { IdParamsSchema, ListQuerySchema } from '../contract.ts';
import { selectionOf } from '../list-order.ts';
import type { ZodTypeProvider } from '../zod-provider.ts';
import { identityOf, metaOf, ownershipOf, sendPrepared, viewOf, visibleKey, type RouteDeps } from './route-deps.ts';

export function registerSubscriptionRoutes(app: FastifyInstance, d: RouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/subscriptions', { schema: { querystring: ListQuerySchema } }, async (req, reply) => {
    const identity = identityOf(req);
    const ownership = ownershipOf(d);
    const view = d.cache.current();
    const meta = JSON.stringify(metaOf(d, view, identity));
    const q = req.query;
    if (!view) return sendPrepared(reply, `{"snapshot":${meta},"total":0,"visible":0,"offset":0,"items":[]}`);
    const visible = ownership.visibleIds(identity);
    const key = visibleKey(ownership, identity);
    const sel = selectionOf(q);
    const all = view.rows(key, visible);
    const rows = view.select(key, visible, sel);
    const offset = Math.min(q.offset ?? 0, rows.length);
    // The whole ranked list: one body prepared per caller's visible set and snapshot state, sent as is.
    if (rows === all && offset === 0 && (q.limit === undefined || q.limit >= rows.length)) return sendPrepared(reply, view.listBody(key, visible, meta));
    const items = rows.slice(offset, q.limit === undefined ? undefined : offset + q.limit).join(',');
    return sendPrepared(reply, `{"snapshot":${meta},"total":${rows.length},"visible":${all.length},"offset":${offset},"items":[${items}]}`);
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
