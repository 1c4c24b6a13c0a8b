// Pure: every host's diagnosis merged into one ranking across servers, and the
// per-host outcome. A remote document is hostile input: it is validated
// against the contract's required `diagnose` fields (CONTRACT.md) and only
// those are used; additions a newer host sends are ignored, not trusted.
import { z } from 'zod';
import type { Failure } from './host-failure.ts';

const RemoteSourceSchema = z.object({
  kind: z.string().max(40),
  path: z.string().optional(),
  address: z.string().optional(),
  login: z.string().optional(),
  uid: z.number().optional(),
  messages: z.number(),
  confidence: z.number().min(0).max(1),
});

const RemoteSubscriptionSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  owner: z.object({ login: z.string(), type: z.string() }),
  status: z.enum(['sending', 'not-sending']),
  blockedSince: z.string().nullable(),
  lastHour: z.object({ passed: z.number(), rejected: z.number(), limit: z.number().nullable() }),
  cause: z.string().max(40),
  sources: z.array(RemoteSourceSchema),
  leak: z.object({ since: z.string(), perHour: z.number(), source: z.string() }).nullable(),
  risk: z.number().min(0).max(100).optional(),   // an addition: older hosts may not send it
});

export const RemoteDiagnosisSchema = z.object({
  now: z.string(),
  warnings: z.array(z.string()),
  subscriptions: z.array(RemoteSubscriptionSchema),
});
export type RemoteDiagnosis = z.infer<typeof RemoteDiagnosisSchema>;

export type FleetRow = {
  host: string;
  subscription: string;
  id: number;
  owner: string;
  status: 'sending' | 'not-sending';
  blockedSince: string | null;
  cause: string;
  risk: number | null;
  lastHour: { passed: number; rejected: number; limit: number | null };
  topSource: { kind: string; label: string; messages: number; confidence: number } | null;
  leak: { since: string; perHour: number; source: string } | null;
};

export type HostOutcome = {
  name: string;
  address: string;
  port: number;
  ok: boolean;
  failure: Failure | null;
  seconds: number;
  notes: string[];
  now?: string;
  warnings?: string[];
  subscriptions?: number;
  remoteExit?: number | null;
};

export type FleetScanDoc = { hosts: HostOutcome[]; failed: number; subscriptions: FleetRow[] };

export function rowsOf(host: string, doc: RemoteDiagnosis): FleetRow[] {
  return doc.subscriptions.map((s) => {
    const top = s.sources[0];
    return {
      host,
      subscription: s.name,
      id: s.id,
      owner: s.owner.login,
      status: s.status,
      blockedSince: s.blockedSince,
      cause: s.cause,
      risk: s.risk ?? null,
      lastHour: s.lastHour,
      topSource: top ? { kind: top.kind, label: top.path ?? top.address ?? top.login ?? (top.uid !== undefined ? `uid ${top.uid}` : '?'), messages: top.messages, confidence: top.confidence } : null,
      leak: s.leak,
    };
  });
}

/** Blocked first (the emergency), then risk, then a slow leak, then a cause at all; ties by host and name. */
export function rankRows(rows: FleetRow[]): FleetRow[] {
  const risk = (r: FleetRow) => r.risk ?? (r.cause !== 'none' ? 50 : 0);
  return [...rows].sort((a, b) =>
    Number(b.status === 'not-sending') - Number(a.status === 'not-sending')
    || risk(b) - risk(a)
    || Number(b.leak !== null) - Number(a.leak !== null)
    || Number(b.cause !== 'none') - Number(a.cause !== 'none')
    || a.host.localeCompare(b.host)
    || a.subscription.localeCompare(b.subscription));
}

export function mergeScan(outcomes: Array<{ outcome: HostOutcome; doc: RemoteDiagnosis | null }>): FleetScanDoc {
  const rows = outcomes.flatMap((o) => (o.doc ? rowsOf(o.outcome.name, o.doc) : []));
  return { hosts: outcomes.map((o) => o.outcome), failed: outcomes.filter((o) => !o.outcome.ok).length, subscriptions: rankRows(rows) };
}

/** A row worth a line in the readable report: blocked, a cause, or a leak. */
export const isNotable = (r: FleetRow) => r.status === 'not-sending' || r.cause !== 'none' || r.leak !== null;
