// The `diagnose` JSON document (CONTRACT.md). Only grows: fields may be added,
// never renamed or removed. Validated before it leaves the CLI or the API.
import { z } from 'zod';

export const EvidenceSchema = z.object({
  signal: z.string(),           // php-mail-log | x-php-originating-script | access-log-post | pickup-uid | smtp-auth | code | bots | omc | …
  detail: z.string(),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

export const SourceSchema = z.object({
  kind: z.enum(['script', 'mailbox', 'system-user']),
  path: z.string().optional(),
  address: z.string().optional(),
  login: z.string().optional(),
  uid: z.number().int().optional(),
  messages: z.number().int().nonnegative(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  confidence: z.number().min(0).max(1),
  evidence: z.array(EvidenceSchema),
  // additions
  perHour: z.number().nonnegative().optional(),      // median rate over the hours it was active
  rejected: z.number().int().nonnegative().optional(),
  file: z.object({
    sha256: z.string(), size: z.number(), mtime: z.string(), uid: z.number(), mode: z.string(),
  }).optional(),
});
export type Source = z.infer<typeof SourceSchema>;

export const SubscriptionDiagnosisSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  owner: z.object({ login: z.string(), type: z.enum(['admin', 'reseller', 'client']) }),
  status: z.enum(['sending', 'not-sending']),
  blockedSince: z.string().nullable(),
  lastHour: z.object({ passed: z.number().int(), rejected: z.number().int(), limit: z.number().int().nullable() }),
  cause: z.enum(['script', 'mailbox', 'system-user', 'unknown', 'none']),
  explanation: z.object({ en: z.string(), ja: z.string() }),
  sources: z.array(SourceSchema),
  leak: z.object({ since: z.string(), perHour: z.number(), source: z.string() }).nullable(),
  // additions
  risk: z.number().min(0).max(100),
  blockedLevel: z.enum(['subscription', 'domain', 'mailbox']).nullable(),
  rejectedTotal: z.number().int().nonnegative(),     // OMC rejections in the data read (psa stats, else log)
  limits: z.object({ subscription: z.number().int().nullable(), domain: z.number().int().nullable(), mailbox: z.number().int().nullable() }),
  // After an action: did the source stop? ("0 messages since 22:15")
  verification: z.array(z.object({
    action: z.string(), target: z.string(), at: z.string(), watched: z.string().nullable(),
    status: z.enum(['stopped', 'still-sending', 'quiet-now', 'unknown']),
    since: z.string(), messagesSince: z.number().int().nonnegative(),
    lastWindow: z.object({ minutes: z.number().int().nonnegative(), messages: z.number().int().nonnegative() }),
    text: z.object({ en: z.string(), ja: z.string() }),
  })).default([]),
});
export type SubscriptionDiagnosis = z.infer<typeof SubscriptionDiagnosisSchema>;

export const DiagnosisSchema = z.object({
  now: z.string(),
  warnings: z.array(z.string()),
  subscriptions: z.array(SubscriptionDiagnosisSchema),
});
export type Diagnosis = z.infer<typeof DiagnosisSchema>;
