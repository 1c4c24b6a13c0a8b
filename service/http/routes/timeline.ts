// GET /api/subscriptions/:id/timeline?from&to&step=hour|minute
//
// The body is prepared once and kept while what it is made of stays the same:
// the snapshot, the subscription's hourly rows and the audit log (the panel
// asks the same ranges of the same subscriptions while a snapshot lasts; a
// 30-day body is 720 steps, validated and serialized per request it was most
// of the route's time).
import type { FastifyInstance } from 'fastify';
import type { SnapshotView } from '../cache/snapshot-view.ts';
import type { HourlySeries } from '../cache/snapshot.ts';
import { IdParamsSchema, TimelineQuerySchema, TimelineResponseSchema, type AuditEntry } from '../contract.ts';
import { buildTimeline } from '../timeline.ts';
import type { ZodTypeProvider } from '../zod-provider.ts';
import { identityOf, ownershipOf, sendPrepared, viewOf, type RouteDeps } from './route-deps.ts';

type Prepared = { series: HourlySeries | null; audit: readonly AuditEntry[]; body: string };

// Per snapshot, most recently used last; bounded by bytes: a 30-day body is ~62 KiB, a 7-day one
// ~15 KiB, so both ranges of ~600 subscriptions fit (a snapshot lasts a minute or more; a least
// recently used cache smaller than the set being read in turn would miss every time).
const MAX_BYTES = 48 * 1024 * 1024;
const prepared = new WeakMap<SnapshotView, { bodies: Map<string, Prepared>; bytes: number }>();

/** The body prepared for `key` from these very inputs, made the most recently used; else undefined. */
function reuse(view: SnapshotView, key: string, series: HourlySeries | null, audit: readonly AuditEntry[]): string | undefined {
  const bodies = prepared.get(view)?.bodies;
  const hit = bodies?.get(key);
  if (!hit || hit.series !== series || hit.audit !== audit) return undefined;
  bodies!.delete(key);
  bodies!.set(key, hit);
  return hit.body;
}

function keep(view: SnapshotView, key: string, p: Prepared): void {
  let c = prepared.get(view);
  if (!c) prepared.set(view, (c = { bodies: new Map(), bytes: 0 }));
  const old = c.bodies.get(key);
  if (old) c.bytes -= old.body.length;
  c.bodies.delete(key);
  c.bodies.set(key, p);
  c.bytes += p.body.length;
  for (const [k, v] of c.bodies) {
    if (c.bytes <= MAX_BYTES) break;
    c.bodies.delete(k);
    c.bytes -= v.body.length;
  }
}

export function registerTimelineRoutes(app: FastifyInstance, d: RouteDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get('/api/subscriptions/:id/timeline', {
    schema: { params: IdParamsSchema, querystring: TimelineQuerySchema },
  }, async (req, reply) => {
    const sub = ownershipOf(d).subscriptionFor(identityOf(req), req.params.id);
    const view = viewOf(d);
    const [audit, series] = await Promise.all([d.actions.readAudit(null), d.hourly.series(sub.id, view)]);
    const q = req.query;
    const key = `${sub.id}\0${q.step}\0${q.from ?? ''}\0${q.to ?? ''}`;
    const ready = reuse(view, key, series, audit.records);
    if (ready !== undefined) return sendPrepared(reply, ready);
    const doc = buildTimeline({
      subscriptionId: sub.id,
      snapshot: view.data,
      series,
      // Audit records carry psa's spelling of the subscription name (unique); records without one are server-wide.
      audit: audit.records.filter((r) => r.subscription === sub.name),
      query: q,
    });
    // Checked against the contract once, when made (as snapshot.ts does for the list and the detail).
    const body = JSON.stringify(TimelineResponseSchema.parse(doc));
    keep(view, key, { series, audit: audit.records, body });
    return sendPrepared(reply, body);
  });
}
