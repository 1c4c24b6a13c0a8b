// An incident: one thing going wrong, kept as ONE record from the moment it is
// noticed until it stops (opened → escalated … → resolved), so that it is
// notified once, and again only when it gets worse or ends. The schema is the
// HTTP contract's too (GET /api/incidents, the `incident` server event).
import { z } from 'zod';

export const INCIDENT_KINDS = ['burst', 'block', 'slow-leak', 'probing'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export const IncidentSourceSchema = z.object({
  kind: z.enum(['script', 'system-user', 'mailbox', 'vhost']),
  id: z.string(),                    // path, UID, address, vhost
  label: z.string(),                 // what a person reads: the path, `uid 10001 (login)`, the address
});

export const IncidentEventSchema = z.object({
  at: z.number(),
  event: z.enum(['opened', 'escalated', 'resolved', 'action']),
  note: z.string(),
});

export const IncidentSchema = z.object({
  id: z.string(),
  kind: z.enum(INCIDENT_KINDS),
  /** One incident per key while it is open: kind + subscription + source. */
  key: z.string(),
  subscriptionId: z.number().int().nullable(),
  subscription: z.string().nullable(),
  source: IncidentSourceSchema.nullable(),
  state: z.enum(['open', 'resolved']),
  level: z.number().int().min(1),    // 1 when opened; +1 on each escalation
  openedAt: z.number(),
  updatedAt: z.number(),
  resolvedAt: z.number().nullable(),
  /** When it was last seen happening (the last message, reject or request counted for it). */
  lastActiveAt: z.number(),
  /** Figures at the last transition (what the notification said). */
  figures: z.object({
    perMinute: z.number(),           // rate now (burst, probing); per hour / 60 (slow leak)
    baselinePerMinute: z.number().nullable(),
    perHour: z.number().nullable(),  // slow leak: steady rate; block: rejects in the last hour
    count: z.number(),               // messages, rejects or requests since it opened
    limit: z.number().nullable(),    // the subscription's OMC limit per hour
    reachesLimitAt: z.number().nullable(),   // burst: when the rate reaches the limit (epoch ms)
    since: z.number().nullable(),    // slow leak: start of the steady run
  }),
  /** Why this incident was raised, in words (en/ja). */
  reason: z.object({ en: z.string(), ja: z.string() }),
  confidence: z.number().min(0).max(1).nullable(),
  context: z.array(z.string()),      // e.g. probing on the same vhost
  history: z.array(IncidentEventSchema),
});
export type Incident = z.infer<typeof IncidentSchema>;
export type IncidentEvent = z.infer<typeof IncidentEventSchema>;

export type Transition = { type: 'opened' | 'escalated' | 'resolved'; incident: Incident };
