// GET /api/subscriptions/:id/timeline?from&to&step=hour|minute
import type { FastifyInstance } from 'fastify';
import { IdParamsSchema, TimelineQuerySchema, TimelineResponseSchema } from '../contract.ts';
import { buildTimeline } from '../timeline.ts';
import type { ZodTypeProvider } from '../zod-provider.ts';
import { identityOf, ownershipOf, viewOf, type RouteDeps } from './route-deps.ts';

export function registerTimelineRoutes(app: FastifyInstance, d: RouteDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get('/api/subscriptions/:id/timeline', {
    schema: { params: IdParamsSchema, querystring: TimelineQuerySchema, response: { 200: TimelineResponseSchema } },
  }, async (req) => {
    const sub = ownershipOf(d).subscriptionFor(identityOf(req), req.params.id);
    const view = viewOf(d);
    const [audit, series] = await Promise.all([d.actions.readAudit(null), d.hourly.series(sub.id, view)]);
    return buildTimeline({
      subscriptionId: sub.id,
      snapshot: view.data,
      series,
      // Audit records carry psa's spelling of the subscription name (unique); records without one are server-wide.
      audit: audit.records.filter((r) => r.subscription === sub.name),
      query: req.query,
    });
  });
}
