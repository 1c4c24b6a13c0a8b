// One diagnosis, prepared for serving: every list row and every detail
// document serialized once (validated by the contract's schemas), the peaks
// with the names of their objects, per-minute pickups where the mail log has
// them, the statistics window (its rows are read per subscription:
// hourly-source.ts), and the ownership that authorization needs. Built off the main thread (worker.ts);
// everything here survives structured cloning.
import type { Diagnosis, SubscriptionDiagnosis } from '../../analysis/diagnosis.ts';
import { localPath } from '../../commands/diagnose-evidence.ts';
import type { Level, StatRow } from '../../sources/panel-data.ts';
import type { Passwd } from '../../sources/passwd.ts';
import type { OwnershipData } from '../authorize.ts';
import type { PanelView } from './panel-light.ts';
import { ListItemSchema, type ListItem } from '../contract.ts';
import type { MinuteCounts } from './minute-counts.ts';
import type { MinutePickups } from './minute-series.ts';

export type HourlySeries = { hours: Float64Array; passed: Int32Array; rejected: Int32Array; limit: Int32Array };
export type PeakSpan = { level: Level; object: string; begin: number; end: number | null; rejected: number };
export type Summary = { name: string; status: SubscriptionDiagnosis['status']; cause: SubscriptionDiagnosis['cause']; risk: number };

export type SnapshotData = {
  now: number;
  zone: string;
  warnings: string[];
  exit: number;
  durationMs: number;
  /** How long each read took, for the log (ms; the reads overlap). */
  timings: Record<string, number>;
  ranked: Array<{ id: number; item: string }>;          // serialized ListItem, riskiest first
  details: Map<number, string>;                         // serialized SubscriptionDiagnosis
  summary: Map<number, Summary>;
  ownership: OwnershipData;
  hourly: Map<number, HourlySeries>;                    // from panel.stats (empty when read per subscription: hourly-source.ts)
  peaks: Map<number, PeakSpan[]>;
  stats: { from: number; lastCollected: number | null } | null;   // null: psa could not be read
  /** Why psa could not be read for this snapshot (absent or null: it was read); the cache keeps a snapshot that had psa over one without it. */
  psaError?: string | null;
  uids: Map<number, number>;                            // subscription → UID of its system user
  minute: { from: number; to: number; bySubscription: Map<number, MinuteCounts> } | null;
};

export type SnapshotInput = {
  doc: Diagnosis;
  exit: number;
  panel: PanelView | null;
  /** The statistics window read apart (stats-reader.ts; rows are read per subscription when asked for); absent: panel.stats. */
  statsSummary?: { lastCollected: number | null } | null;
  passwd: Passwd;
  statsFrom: number;
  now: number;
  zone: string;
  vhostsRoot: string;
  durationMs: number;
  timings?: Record<string, number>;
};

export function toListItem(d: SubscriptionDiagnosis): ListItem {
  const top = d.sources[0];
  return {
    id: d.id, name: d.name, owner: d.owner, status: d.status, blockedSince: d.blockedSince, blockedLevel: d.blockedLevel,
    lastHour: d.lastHour, cause: d.cause, risk: d.risk, rejectedTotal: d.rejectedTotal,
    topSource: top ? { kind: top.kind, label: top.path ?? top.address ?? top.login ?? `uid ${top.uid ?? '?'}`, confidence: top.confidence, messages: top.messages, perHour: top.perHour ?? null } : null,
    leak: d.leak,
    sources: d.sources.length,
  };
}

function hourlyOf(panel: PanelView): Map<number, HourlySeries> {
  const rows = new Map<number, StatRow[]>();
  for (const r of panel.stats?.subscription ?? []) {
    const list = rows.get(r.objectId);
    if (list) list.push(r);
    else rows.set(r.objectId, [r]);
  }
  const out = new Map<number, HourlySeries>();
  for (const [id, list] of rows) {
    list.sort((a, b) => a.hour - b.hour);
    out.set(id, {
      hours: Float64Array.from(list, (r) => r.hour),
      passed: Int32Array.from(list, (r) => r.passed),
      rejected: Int32Array.from(list, (r) => r.rejected),
      limit: Int32Array.from(list, (r) => r.limit),
    });
  }
  return out;
}

function peaksOf(panel: PanelView): Map<number, PeakSpan[]> {
  const subs = new Map(panel.subscriptions.map((s) => [s.id, s]));
  const domains = new Map(panel.domains.map((d) => [d.id, d]));
  const mailboxes = new Map(panel.mailboxes.map((m) => [m.id, m]));
  const out = new Map<number, PeakSpan[]>();
  const add = (subId: number | undefined, span: PeakSpan) => {
    if (subId === undefined) return;
    const list = out.get(subId);
    if (list) list.push(span);
    else out.set(subId, [span]);
  };
  for (const p of panel.peaks.subscription) add(subs.get(p.objectId)?.id, { level: 'subscription', object: subs.get(p.objectId)?.name ?? '', begin: p.begin, end: p.end, rejected: p.rejected });
  for (const p of panel.peaks.domain) {
    const d = domains.get(p.objectId);
    add(d?.subscriptionId, { level: 'domain', object: d?.name ?? '', begin: p.begin, end: p.end, rejected: p.rejected });
  }
  for (const p of panel.peaks.mailbox) {
    const m = mailboxes.get(p.objectId);
    add(m?.subscriptionId, { level: 'mailbox', object: m?.address ?? '', begin: p.begin, end: p.end, rejected: p.rejected });
  }
  return out;
}

/** psa's owners and subscriptions, with homes mapped onto this machine's vhosts root. */
export function ownershipOf(panel: PanelView | null, vhostsRoot: string): OwnershipData {
  if (!panel) return { owners: [], subscriptions: [] };
  return {
    owners: panel.owners.map((o) => ({ id: o.id, login: o.login, type: o.type, parentId: o.parentId })),
    subscriptions: panel.subscriptions.map((s) => ({ id: s.id, name: s.name, ownerId: s.ownerId, home: s.sysUser && s.sysUser.home.startsWith('/') ? localPath(s.sysUser.home, vhostsRoot) : null })),
  };
}

export function buildSnapshotData(input: SnapshotInput): SnapshotData {
  const { doc, panel } = input;
  const ranked: SnapshotData['ranked'] = [];
  const details = new Map<number, string>();
  const summary = new Map<number, Summary>();
  for (const d of doc.subscriptions) {
    // Validated here, once per diagnosis, instead of once per request.
    ranked.push({ id: d.id, item: JSON.stringify(ListItemSchema.parse(toListItem(d))) });
    details.set(d.id, JSON.stringify(d));
    summary.set(d.id, { name: d.name, status: d.status, cause: d.cause, risk: d.risk });
  }
  let lastCollected: number | null = null;
  for (const r of panel?.stats?.subscription ?? []) if (lastCollected === null || r.hour > lastCollected) lastCollected = r.hour;
  const window = input.statsSummary === undefined ? (panel ? { lastCollected } : null) : input.statsSummary;
  const stats = window && { from: input.statsFrom, lastCollected: window.lastCollected };
  const uids = new Map<number, number>();
  for (const s of panel?.subscriptions ?? []) {
    const uid = s.sysUser ? input.passwd.byLogin.get(s.sysUser.login)?.uid : undefined;
    if (uid !== undefined) uids.set(s.id, uid);
  }
  return {
    now: input.now,
    zone: input.zone,
    warnings: doc.warnings,
    exit: input.exit,
    durationMs: input.durationMs,
    timings: input.timings ?? {},
    ranked,
    details,
    summary,
    ownership: ownershipOf(panel, input.vhostsRoot),
    hourly: panel ? hourlyOf(panel) : new Map(),
    peaks: panel ? peaksOf(panel) : new Map(),
    stats,
    uids,
    minute: null,
  };
}

/**
 * Adds the per-minute pickups (read in a worker of their own, beside the
 * diagnosis): null when no mail log file had lines of the window.
 */
export function attachMinutes(data: SnapshotData, minutes: MinutePickups & { ms?: number }, window: { from: number; to: number }): SnapshotData {
  const bySubscription = new Map<number, MinuteCounts>();
  for (const [sub, uid] of data.uids) {
    const series = minutes.byUid.get(uid);
    if (series) bySubscription.set(sub, series);
  }
  return {
    ...data,
    warnings: [...new Set([...data.warnings, ...minutes.warnings])],
    timings: minutes.ms === undefined ? data.timings : { ...data.timings, minutesMs: minutes.ms },
    minute: minutes.files ? { ...window, bySubscription } : null,
  };
}
