// GET/PUT /api/subscriptions/:id/settings: thresholds, on-detection policy,
// allow-listed scripts (path + sha256, inside the subscription's home),
// who is notified. Validated by the contract, stored atomically.
import type { FastifyInstance } from 'fastify';
import { describeActorOf } from '../actions/actions-port.ts';
import { IdParamsSchema, SettingsDocumentSchema, SettingsPutBodySchema } from '../contract.ts';
import type { ZodTypeProvider } from '../zod-provider.ts';
import { checkInsideHome } from './actions.ts';
import { actorOf, identityOf, ownershipOf, type RouteDeps } from './route-deps.ts';

export function registerSettingsRoutes(app: FastifyInstance, d: RouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const response = { 200: SettingsDocumentSchema };

  r.get('/api/subscriptions/:id/settings', { schema: { params: IdParamsSchema, response } }, async (req) => {
    const sub = ownershipOf(d).subscriptionFor(identityOf(req), req.params.id);
    return d.settings.get(sub.id);
  });

  r.put('/api/subscriptions/:id/settings', { schema: { params: IdParamsSchema, body: SettingsPutBodySchema, response } }, async (req) => {
    const identity = identityOf(req);
    try {
      d.limiter.take(`${identity.role}:${identity.clientId}:${identity.login}`, d.clock());
    } catch (err) {
      d.metrics.rateLimited.inc();
      throw err;
    }
    const sub = ownershipOf(d).subscriptionFor(identity, req.params.id);
    // An allow-listed script of another subscription would be a way to exempt someone else's file.
    for (const entry of req.body.settings.allowList) checkInsideHome(entry.path, sub);
    return d.settings.put(sub.id, req.body.settings, { ...(req.body.revision !== undefined ? { revision: req.body.revision } : {}), actor: describeActorOf(actorOf(req)), now: d.clock() });
  });
}
