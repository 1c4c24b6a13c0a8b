// GET /api/incidents: the live watcher's incidents (docs/live.md), limited to
// the subscriptions the caller may see; incidents tied to no subscription
// (an unattributed sender, probing of a vhost psa does not know) are the
// admin's only. Newest first.
import type { FastifyInstance } from 'fastify';
import { IncidentsQuerySchema, IncidentsResponseSchema } from '../contract.ts';
import type { ZodTypeProvider } from '../zod-provider.ts';
import { identityOf, ownershipOf, type RouteDeps } from './route-deps.ts';

export function registerIncidentRoutes(app: FastifyInstance, d: RouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/incidents', { schema: { querystring: IncidentsQuerySchema, response: { 200: IncidentsResponseSchema } } }, async (req) => {
    const identity = identityOf(req);
    const ownership = ownershipOf(d);
    const all = d.incidents();
    if (all === null) return { live: false, incidents: [] };
    const { state, subscription } = req.query;
    // Asking about one subscription one may not see answers 404, like every other route.
    if (subscription !== undefined) ownership.subscriptionFor(identity, subscription);
    const admin = identity.role === 'admin';
    const mine = all.filter((i) => (state === 'all' || i.state === 'open')
      && (subscription === undefined || i.subscriptionId === subscription)
      && (admin || (i.subscriptionId !== null && ownership.canSee(identity, i.subscriptionId))));
    mine.sort((a, b) => b.updatedAt - a.updatedAt);
    return { live: true, incidents: mine.slice(0, 1000) };
  });
}
