// GET /api/me (who the panel says is asking), and the two public routes:
// GET /healthz (for systemd and monitoring; says nothing about any customer)
// and GET /metrics (Prometheus text; aggregate numbers only, see metrics.ts).
import type { FastifyInstance } from 'fastify';
import { HealthResponseSchema, MeResponseSchema } from '../contract.ts';
import type { ZodTypeProvider } from '../zod-provider.ts';
import { actorOf, type RouteDeps } from './route-deps.ts';

export function registerStatusRoutes(app: FastifyInstance, d: RouteDeps, renderMetrics: () => string): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/me', { schema: { response: { 200: MeResponseSchema } } }, async (req) => {
    const a = actorOf(req);
    return { login: a.login, role: a.role, clientId: a.clientId, via: a.via };
  });
  r.get('/healthz', { config: { public: true }, schema: { response: { 200: HealthResponseSchema } } }, async () => {
    const view = d.cache.current();
    return { status: view ? 'ok' as const : 'starting' as const, generation: view?.generation ?? 0, uptimeSeconds: Math.round((d.clock() - d.startedAt) / 1000) };
  });
  r.get('/metrics', { config: { public: true } }, async (_req, reply) => {
    return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(renderMetrics());
  });
}
