// One diagnosis for every hosting subscription, riskiest first (CONTRACT.md
// `diagnose`). Pure: everything read is passed in, `now` included.
import type { AttributionInput, Series } from './attribute-types.ts';
import { attributeSubscription, type Finding } from './attribute.ts';
import type { Diagnosis, Source, SubscriptionDiagnosis } from './diagnosis.ts';
import { explain } from './explain.ts';
import { groupBy } from './group.ts';
import { median } from './leak.ts';
import { readOmc } from './omc.ts';
import type { PanelData } from '../sources/panel-data.ts';
import { DAY, HOUR, formatIso } from '../time.ts';

export type SubscriptionEvidence = {
  attribution: AttributionInput;
  logRejectsHourly: Series;
  logPassedHourly: Series;
};

export type DiagnoseInput = {
  now: number;
  zone: string;
  warnings: string[];
  panel: PanelData;
  evidence: Map<number, SubscriptionEvidence>;   // by Subscriptions.id
  oldestData: number | null;                     // first instant of any log read
  only?: string;                                 // --subscription NAME
};

export function diagnose(input: DiagnoseInput): Diagnosis {
  const { panel, now, zone } = input;
  const iso = (ms: number | null) => (ms === null ? null : formatIso(ms, zone));
  const owners = new Map(panel.owners.map((o) => [o.id, o]));
  const out: SubscriptionDiagnosis[] = [];
  // Grouped once: filtering every table per subscription was quadratic at 10,000 subscriptions.
  const domainsBySub = groupBy(panel.domains, (d) => d.subscriptionId);
  const mailboxesBySub = groupBy(panel.mailboxes, (m) => m.subscriptionId);
  const statTotals = new Map(panel.stats.subscription.totals.map((t) => [t.objectId, t]));
  const peaks = {
    subscription: groupBy(panel.peaks.subscription, (r) => r.objectId),
    domain: groupBy(panel.peaks.domain, (r) => r.objectId),
    mailbox: groupBy(panel.peaks.mailbox, (r) => r.objectId),
  };
  for (const sub of panel.subscriptions) {
    if (input.only && sub.name !== input.only) continue;
    const domainIds = new Set((domainsBySub.get(sub.id) ?? []).map((d) => d.id));
    domainIds.add(sub.domainId);
    const mailboxIds = (mailboxesBySub.get(sub.id) ?? []).map((m) => m.id);
    const ev = input.evidence.get(sub.id);
    const omc = readOmc({
      subscription: sub,
      stats: { total: statTotals.get(sub.id) ?? null },
      peaks: {
        subscription: peaks.subscription.get(sub.id) ?? [],
        domain: [...domainIds].flatMap((id) => peaks.domain.get(id) ?? []),
        mailbox: mailboxIds.flatMap((id) => peaks.mailbox.get(id) ?? []),
      },
      logRejectsHourly: ev?.logRejectsHourly ?? new Map(), logPassedHourly: ev?.logPassedHourly ?? new Map(), now,
    });
    const findings = ev ? attributeSubscription(ev.attribution) : [];
    const top = findings.find((f) => f.confidence >= 0.5) ?? null;
    const leakFinding = top?.leak ? top : findings.find((f) => f.leak && f.confidence >= 0.5) ?? null;
    const leak = leakFinding?.leak
      ? { since: leakFinding.leak.since, perHour: leakFinding.leak.perHour, source: sourceLabel(leakFinding), oldestData: input.oldestData !== null && leakFinding.leak.since <= input.oldestData + HOUR }
      : null;
    let messages24h = 0;
    for (const [h, c] of ev?.logPassedHourly ?? []) if (h >= now - DAY && h < now) messages24h += c;
    const cause = top ? top.kind : omc.status === 'not-sending' || omc.rejectedLastDay ? 'unknown' : 'none';
    const owner = owners.get(sub.ownerId);
    const risk = Math.min(100, Math.round(Math.max(
      omc.status === 'not-sending' ? 95 : 0,
      omc.blockedLevel ? 70 : 0,
      top ? 50 + 40 * top.confidence : 0,
      cause === 'unknown' ? 60 : 0,
    ) + (leak ? 10 : 0)));
    out.push({
      id: sub.id,
      name: sub.name,
      owner: { login: owner?.login ?? 'unknown', type: owner?.type ?? 'client' },
      status: omc.status,
      blockedSince: iso(omc.blockedSince),
      lastHour: { passed: omc.lastHour.passed, rejected: omc.lastHour.rejected, limit: omc.lastHour.limit },
      cause,
      explanation: explain({ name: sub.name, omc, limits: sub.limits, top, leak, messages24h, now, zone }),
      sources: findings.map((f) => toSource(f, iso)),
      leak: leak ? { since: iso(leak.since)!, perHour: Math.round(leak.perHour), source: leak.source } : null,
      risk,
      blockedLevel: omc.status === 'not-sending' ? omc.blockedLevel ?? 'subscription' : omc.blockedLevel,
      rejectedTotal: omc.rejectedTotal,
      limits: { subscription: sub.limits.subscription, domain: sub.limits.domain, mailbox: sub.limits.mailbox },
      verification: [],
    });
  }
  // A blocked subscription is the emergency, whatever else scores high.
  const blocked = (d: SubscriptionDiagnosis) => (d.status === 'not-sending' ? 1 : 0);
  out.sort((a, b) => blocked(b) - blocked(a) || b.risk - a.risk || a.name.localeCompare(b.name));
  return { now: formatIso(now, zone), warnings: input.warnings, subscriptions: out };
}

function sourceLabel(f: Finding): string {
  return f.path ?? f.address ?? f.login ?? `uid ${f.uid}`;
}

function toSource(f: Finding, iso: (ms: number | null) => string | null): Source {
  const active = [...f.hourly.values()].filter((v) => v > 0);
  const s: Source = {
    kind: f.kind,
    messages: f.messages,
    firstSeen: iso(f.firstSeen),
    lastSeen: iso(f.lastSeen),
    confidence: f.confidence,
    evidence: f.evidence,
    rejected: f.rejected,
  };
  if (f.path !== undefined) s.path = f.path;
  if (f.address !== undefined) s.address = f.address;
  if (f.login !== undefined) s.login = f.login;
  if (f.uid !== undefined) s.uid = f.uid;
  if (f.leak) s.perHour = Math.round(f.leak.perHour);
  else if (active.length) s.perHour = Math.round(median(active));
  if (f.file?.sha256) s.file = { sha256: f.file.sha256, size: f.file.size, mtime: iso(f.file.mtime)!, uid: f.file.uid, mode: (f.file.mode & 0o7777).toString(8).padStart(4, '0') };
  return s;
}
