// GET /api/events: server-sent events (sse.ts) for the caller's identity.
import type { FastifyInstance } from 'fastify';
import { identityOf, type RouteDeps } from './route-deps.ts';

export function registerEventRoutes(app: FastifyInstance, d: RouteDeps): void {
  app.get('/api/events', async (req, reply) => {
    const identity = identityOf(req);
    // The stream outlives the handler: Fastify lets go of the response, the hub owns it.
    reply.hijack();
    d.events.attach(reply.raw, identity);
  });
}
