// The sidecar's HTTP contract: one zod schema per route part (params, query,
// body, response) and the types inferred from them. Routes validate with
// these; the frontend imports only the TYPES (`import type … from`), so this
// file must stay free of anything but zod. Like CONTRACT.md, it only grows.
import { z } from 'zod';
import { SubscriptionDiagnosisSchema } from '../analysis/diagnosis.ts';
import { IncidentSchema } from '../live/incident.ts';
import { SORT_DIRS, SORT_KEYS } from './list-order.ts';

export const RoleSchema = z.enum(['admin', 'reseller', 'client']);
const Iso = z.string();
const Count = z.number().int().nonnegative();
const Confidence = z.number().min(0).max(1);
const DecimalText = (what: string, max: number) => z.string().regex(/^(0|[1-9][0-9]{0,9})$/, `${what} (a whole number)`).transform(Number).pipe(z.number().max(max));

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),              // docs/errors.md
    message: z.string(),
    issues: z.array(z.object({ where: z.string(), message: z.string() })).optional(),
  }),
});

/** Which diagnosis a response comes from. Warnings name other subscriptions' files: admin only. */
export const SnapshotMetaSchema = z.object({
  generation: Count,                 // 0: no diagnosis yet
  now: Iso.nullable(),               // the instant the diagnosis is as of
  computedAt: Iso.nullable(),
  durationMs: z.number().nullable(),
  refreshing: z.boolean(),
  warnings: z.array(z.string()),
});

export const MeResponseSchema = z.object({ login: z.string(), role: RoleSchema, clientId: z.number().int(), via: z.enum(['panel', 'dev-signer']) });

// ---- GET /api/subscriptions (compact: 10,000 rows must stay cheap) ----
/**
 * Paging, and (since the panel stopped fetching every row) order and filter, applied before paging:
 * `sort` a column (default `risk`: blocked first, riskiest next), `dir`, `q` a text the name,
 * owner login or top source must contain (any case), `problems=true` only rows with a problem.
 */
export const ListQuerySchema = z.strictObject({
  offset: DecimalText('offset', 1e9).optional(),
  limit: DecimalText('limit', 100_000).optional(),
  sort: z.enum(SORT_KEYS).optional(),
  dir: z.enum(SORT_DIRS).optional(),
  q: z.string().max(200, 'q (at most 200 characters)').optional(),
  problems: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});
export const ListItemSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  owner: z.object({ login: z.string(), type: RoleSchema }),
  status: z.enum(['sending', 'not-sending']),
  blockedSince: Iso.nullable(),
  blockedLevel: z.enum(['subscription', 'domain', 'mailbox']).nullable(),
  lastHour: z.object({ passed: z.number().int(), rejected: z.number().int(), limit: z.number().int().nullable() }),
  cause: z.enum(['script', 'mailbox', 'system-user', 'unknown', 'none']),
  risk: z.number(),
  rejectedTotal: Count,
  topSource: z.object({ kind: z.enum(['script', 'mailbox', 'system-user']), label: z.string(), confidence: Confidence, messages: Count, perHour: z.number().nullable() }).nullable(),
  leak: z.object({ since: Iso, perHour: z.number(), source: z.string() }).nullable(),
  sources: Count,
});
/** `total`: the rows matching the query (what `offset` pages through); `visible`: all the caller may see, before `q` and `problems`. */
export const ListResponseSchema = z.object({ snapshot: SnapshotMetaSchema, total: Count, visible: Count, offset: Count, items: z.array(ListItemSchema) });

// ---- GET /api/subscriptions/:id ----
export const IdParamsSchema = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,9}$/, 'a subscription id (a positive whole number)').transform(Number) });
export const DetailResponseSchema = z.object({ snapshot: SnapshotMetaSchema, subscription: SubscriptionDiagnosisSchema });

// ---- GET /api/subscriptions/:id/timeline ----
export const StepSchema = z.enum(['hour', 'minute']);
export const TimelineQuerySchema = z.strictObject({ from: z.string().max(40).optional(), to: z.string().max(40).optional(), step: StepSchema.default('hour') });
export const TimelinePointSchema = z.object({
  t: Iso,                                    // start of the step
  passed: z.number().int().nullable(),       // null: not known for this step (not collected yet)
  rejected: z.number().int().nullable(),
  limit: z.number().int().nullable(),
  // Minute steps only: messages the subscription's system user handed to sendmail (the mail log's
  // pickups), refused ones included — per-minute passed/rejected exist nowhere, so those stay null.
  submitted: z.number().int().nullable(),
});
export const TimelineEventSchema = z.object({
  at: Iso,
  kind: z.enum(['limit-hit', 'peak-begin', 'peak-end', 'action']),
  level: z.enum(['subscription', 'domain', 'mailbox']).nullable(),
  detail: z.string(),
  action: z.object({ name: z.string(), result: z.string(), dryRun: z.boolean(), actor: z.string(), target: z.string() }).optional(),
});
const Range = z.object({ from: Iso, to: Iso }).nullable();
export const TimelineResponseSchema = z.object({
  subscriptionId: z.number().int(),
  step: StepSchema,
  from: Iso,
  to: Iso,
  zone: z.string(),
  source: z.enum(['psa-hourly-statistics', 'maillog-pickups']),
  points: z.array(TimelinePointSchema),
  events: z.array(TimelineEventSchema),
  available: z.object({ hour: Range, minute: Range }),   // the ranges each step can be asked for
  notes: z.array(z.string()),
});

// ---- actions ----
export const ActionNameSchema = z.enum(['quarantine', 'restore', 'reset-passwords', 'purge-queue']);
export const QUARANTINE_ID = /^q-\d{8}-\d{6}-[0-9a-f]{8}$/;
export const QuarantineBodySchema = z.strictObject({ path: z.string().min(2).max(4096), reason: z.string().max(500).optional(), dryRun: z.boolean() });
export const RestoreBodySchema = z.strictObject({ quarantineId: z.string().regex(QUARANTINE_ID, 'a quarantine id (q-YYYYMMDD-HHMMSS-xxxxxxxx)'), dryRun: z.boolean() });
export const ResetPasswordsBodySchema = z.strictObject({
  mailboxes: z.union([z.literal('all'), z.array(z.string().min(3).max(320)).min(1).max(1000)]).nullable().default(null),
  systemUser: z.boolean().default(false),
  panelLogin: z.boolean().default(false),
  dryRun: z.boolean(),
}).refine((b) => b.mailboxes !== null || b.systemUser || b.panelLogin, { message: 'say what to reset: mailboxes, systemUser and/or panelLogin' });
export const PurgeSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('script'), path: z.string().min(2).max(4096) }),
  z.strictObject({ kind: z.literal('uid'), uid: z.number().int().min(0).max(4294967295) }),
  z.strictObject({ kind: z.literal('sender'), address: z.string().min(3).max(320) }),
]);
export const PurgeQueueBodySchema = z.strictObject({ source: PurgeSourceSchema.nullable().default(null), dryRun: z.boolean() });
/** `result` is the action's CONTRACT.md JSON (e.g. quarantine: id, originalPath, sha256, quarantinedAt; reset-passwords: accounts). */
export const ActionResponseSchema = z.object({
  action: ActionNameSchema,
  subscriptionId: z.number().int(),
  dryRun: z.boolean(),
  exit: z.number().int(),                    // CONTRACT.md exit code: 0 done, 1 done with warnings
  result: z.looseObject({}),
  notes: z.array(z.string()),
});

export const QuarantineItemSchema = z.object({
  id: z.string(), status: z.enum(['quarantined', 'restored']), originalPath: z.string(), subscription: z.string(), subscriptionId: z.number().int().nullable(),
  quarantinedAt: z.string(), actor: z.string(), reason: z.string(), size: Count, sha256: z.string(), restoredAt: z.string().nullable(), restoredBy: z.string().nullable(),
});
export const QuarantineListResponseSchema = z.object({ items: z.array(QuarantineItemSchema), warnings: z.array(z.string()) });

export const AuditQuerySchema = z.strictObject({ since: z.string().max(40).optional() });
export const AuditEntrySchema = z.object({
  at: z.number(), time: Iso, actor: z.string(), action: z.string(), target: z.string(), subscription: z.string().nullable(),
  dryRun: z.boolean(), result: z.string(), reason: z.string().nullable(), details: z.record(z.string(), z.unknown()),
});
export const RefusalSchema = z.object({ time: Iso, event: z.string(), reason: z.string(), method: z.string(), path: z.string(), claimedUser: z.string().nullable(), suppressedBefore: Count });
/** `refusals` (refused requests from security.log) are for the admin only; others get []. */
export const AuditResponseSchema = z.object({ records: z.array(AuditEntrySchema), refusals: z.array(RefusalSchema), warnings: z.array(z.string()) });

// ---- GET/PUT /api/subscriptions/:id/settings ----
export const SettingsSchema = z.strictObject({
  thresholds: z.strictObject({
    scriptPerHour: z.number().int().min(1).max(1_000_000).nullable(),   // alert when one script sends more per hour
    leakPerHour: z.number().int().min(1).max(1_000_000).nullable(),     // a steady leak at or above this rate is a finding
    minConfidence: z.number().min(0.5).max(1),                          // below: a lead, never acted on
  }),
  onDetection: z.enum(['alert', 'quarantine']),
  allowList: z.array(z.strictObject({ path: z.string().min(2).max(1024), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex sha256') })).max(100),
  notify: z.strictObject({ owner: z.boolean(), emails: z.array(z.email().max(254)).max(20) }),
});
export const SettingsDocumentSchema = z.object({
  subscriptionId: z.number().int(),
  settings: SettingsSchema,
  revision: Count,                           // 0: the defaults, never saved
  updatedAt: Iso.nullable(),
  updatedBy: z.string().nullable(),
});
export const SettingsPutBodySchema = z.strictObject({ settings: SettingsSchema, revision: Count.optional() });

// ---- GET /api/events (server-sent events; `event:` is the type) ----
export const ScanEventSchema = z.object({
  type: z.literal('scan'), state: z.enum(['running', 'done', 'failed']), generation: Count, startedAt: Iso, elapsedMs: Count,
  expectedMs: z.number().nullable(), message: z.string().nullable(),
});
export const FindingEventSchema = z.object({
  type: z.literal('finding'), generation: Count, subscriptionId: z.number().int(), name: z.string(),
  status: z.enum(['sending', 'not-sending']), cause: ListItemSchema.shape.cause, risk: z.number(),
  previous: z.object({ status: z.enum(['sending', 'not-sending']), cause: ListItemSchema.shape.cause, risk: z.number() }).nullable(),
});
export const ActionEventSchema = z.object({
  type: z.literal('action'), subscriptionId: z.number().int(), action: ActionNameSchema, dryRun: z.boolean(),
  result: z.enum(['done', 'partial', 'refused', 'failed']), at: Iso, by: z.string(),
});
/** The live watcher (docs/live.md): an incident opened, got worse, or ended. Only for incidents of a subscription. */
export const IncidentServerEventSchema = z.object({ type: z.literal('incident'), transition: z.enum(['opened', 'escalated', 'resolved']), incident: IncidentSchema });
export const ServerEventSchema = z.discriminatedUnion('type', [ScanEventSchema, FindingEventSchema, ActionEventSchema, IncidentServerEventSchema]);

// ---- GET /api/incidents (the live watcher's incidents the caller may see) ----
export const IncidentsQuerySchema = z.strictObject({ state: z.enum(['open', 'all']).default('all'), subscription: z.string().regex(/^[1-9][0-9]{0,9}$/, 'a subscription id').transform(Number).optional() });
export const IncidentsResponseSchema = z.object({ live: z.boolean(), incidents: z.array(IncidentSchema) });

export const HealthResponseSchema = z.object({ status: z.enum(['ok', 'starting']), generation: Count, uptimeSeconds: z.number() });

export type ErrorBody = z.infer<typeof ErrorBodySchema>;
export type SnapshotMeta = z.infer<typeof SnapshotMetaSchema>;
export type MeResponse = z.infer<typeof MeResponseSchema>;
export type ListItem = z.infer<typeof ListItemSchema>;
export type ListResponse = z.infer<typeof ListResponseSchema>;
export type DetailResponse = z.infer<typeof DetailResponseSchema>;
export type Step = z.infer<typeof StepSchema>;
export type TimelinePoint = z.infer<typeof TimelinePointSchema>;
export type TimelineEvent = z.infer<typeof TimelineEventSchema>;
export type TimelineResponse = z.infer<typeof TimelineResponseSchema>;
export type ActionName = z.infer<typeof ActionNameSchema>;
export type QuarantineBody = z.infer<typeof QuarantineBodySchema>;
export type RestoreBody = z.infer<typeof RestoreBodySchema>;
export type ResetPasswordsBody = z.infer<typeof ResetPasswordsBodySchema>;
export type PurgeQueueBody = z.infer<typeof PurgeQueueBodySchema>;
export type ActionResponse = z.infer<typeof ActionResponseSchema>;
export type QuarantineItem = z.infer<typeof QuarantineItemSchema>;
export type QuarantineListResponse = z.infer<typeof QuarantineListResponseSchema>;
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export type AuditResponse = z.infer<typeof AuditResponseSchema>;
export type Settings = z.infer<typeof SettingsSchema>;
export type SettingsDocument = z.infer<typeof SettingsDocumentSchema>;
export type SettingsPutBody = z.infer<typeof SettingsPutBodySchema>;
export type ServerEvent = z.infer<typeof ServerEventSchema>;
export type HealthResponse = z.infer<typeof HealthResponseSchema>;
export type IncidentsResponse = z.infer<typeof IncidentsResponseSchema>;
export type { Incident } from '../live/incident.ts';
export type { SubscriptionDiagnosis } from '../analysis/diagnosis.ts';
