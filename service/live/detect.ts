// Live detection (pure: counters, directory, settings and `now` in; incidents
// and their transitions out). Thresholds and why: docs/decisions/010-live-thresholds.md.
//
// - burst: a source's rate (last ~2 minutes) is ≥ burstPerMinute AND ≥
//   burstFactor × its own baseline (its busiest hour of the 8 days before
//   the current hour); or the subscription will reach its OMC limit within 30
//   minutes at this rate (the time is said) while the source runs ≥ 3× its
//   baseline; or a script exceeds the subscription's own scriptPerHour setting.
// - block: limit-out rejects of a subscription in the log (minutes before
//   Plesk's hourly statistics show them).
// - slow-leak: a script or system user sending steadily through the night for
//   a day or more (analysis/leak.ts's rule, run on the hourly counters).
// - probing: ≥ probe404PerMinute 404s on .php of one vhost: context for the rest.
import { detectLeak } from '../analysis/leak.ts';
import { HOUR, MINUTE } from '../time.ts';
import type { LiveCounters, LiveSource } from './counters.ts';
import type { LiveDirectory } from './directory.ts';
import type { Incident, IncidentKind, Transition } from './incident.ts';
import { reasonOf } from './incident-text.ts';
import type { Settings } from '../http/contract.ts';

export type DetectOptions = {
  burstPerMinute: number;        // absolute floor of a burst
  burstFactor: number;           // × the source's own baseline
  projectMinutes: number;        // "reaches the limit within" (30)
  probe404PerMinute: number;
  quietMinutes: number;          // burst/probing resolved after this long below threshold
  blockQuietMinutes: number;     // block resolved after this long without a reject
  escalateEveryMinutes: number;  // at most one escalation per incident in this time
};

export const DEFAULT_DETECT: DetectOptions = { burstPerMinute: 30, burstFactor: 10, projectMinutes: 30, probe404PerMinute: 10, quietMinutes: 10, blockQuietMinutes: 30, escalateEveryMinutes: 5 };

export type DetectInput = {
  now: number;
  zone: string;
  counters: LiveCounters;
  directory: LiveDirectory;
  settingsOf: (subscriptionId: number) => Settings;
  /** Open incidents (and recently resolved ones, untouched). Not modified: changed copies come back. */
  incidents: Map<string, Incident>;
  /** Sources and subscriptions to look at (counters.takeDirty()); open incidents are always looked at. */
  dirty: { sources: string[]; subscriptions: number[] };
  /** Also run the hourly checks (slow leak) over every script and system-user source. */
  hourly: boolean;
  options?: Partial<DetectOptions>;
};

// Attribution × abnormality, as docs/decisions/004-confidence.md: PHP mail.log names the file (0.97);
// a UID or an SMTP-AUTH mailbox is certain (1). Abnormal: a burst 0.9, limit rejects 0.8, a slow leak 0.7.
const ATTRIBUTION = { script: 0.97, 'system-user': 1, mailbox: 1, vhost: 1 } as const;
function confidence(kind: LiveSource['kind'], signals: number[]): number {
  const abnormal = 1 - signals.reduce((p, w) => p * (1 - w), 1);
  return Math.round(ATTRIBUTION[kind] * (0.4 + 0.6 * abnormal) * 100) / 100;
}

export function sourceLabel(s: Pick<LiveSource, 'kind' | 'id'>, dir: LiveDirectory): string {
  if (s.kind !== 'system-user') return s.id;
  const sub = [...dir.subscriptions.values()].find((x) => x.uid === Number(s.id));
  return sub ? `uid ${s.id} (system user of ${sub.name})` : `uid ${s.id}`;
}

/** Messages per minute over the current and the previous minute (a partial minute counts for its elapsed part). */
export function rateNow(s: LiveSource['messages'], now: number): number {
  const from = (Math.floor(now / MINUTE) - 1) * MINUTE;
  const span = Math.max(now - from, MINUTE) / MINUTE;
  return s.sumMinutes(from, now + 1) / span;
}

/**
 * The source's own normal: its busiest hour of the 8 days before the hour of `before`, per minute (0
 * when it is new). A peak rather than a mean, so that a weekly newsletter's hour is its normal next
 * week. `before` is an hour ago (the burst being measured is not its own normal), or the opening of
 * the incident while one is open (a long burst does not become normal by lasting).
 */
export function baselineOf(s: LiveSource['messages'], before: number): number {
  const end = Math.floor(before / HOUR) * HOUR;
  let peak = 0;
  for (const c of s.hourly(end - 8 * 24 * HOUR, end).values()) if (c > peak) peak = c;
  return peak / 60;
}

export type DetectResult = { incidents: Map<string, Incident>; transitions: Transition[] };

export function detect(input: DetectInput): DetectResult {
  const o = { ...DEFAULT_DETECT, ...input.options };
  const { now, counters, directory: dir } = input;
  const incidents = new Map(input.incidents);
  const transitions: Transition[] = [];
  const openByKey = new Map<string, Incident>();
  for (const i of incidents.values()) if (i.state === 'open') openByKey.set(i.key, i);

  const nameOf = (id: number | null) => (id === null ? null : dir.subscriptions.get(id)?.name ?? null);
  const probingContext = (subId: number | null): string[] => [...openByKey.values()]
    .filter((i) => i.kind === 'probing' && i.subscriptionId === subId && subId !== null)
    .map((i) => `probing: ${Math.round(i.figures.perMinute)} requests/min for missing .php files on ${i.source?.id}`);

  /** Opens, escalates or keeps an incident for `key` (active now). */
  const active = (kind: IncidentKind, key: string, base: Pick<Incident, 'subscriptionId' | 'source' | 'figures' | 'confidence'>, escalate: (open: Incident) => string | null, activeAt: number) => {
    const open = openByKey.get(key);
    if (!open) {
      const inc: Incident = {
        id: `${kind}-${now.toString(36)}-${hash(key)}`, kind, key, subscriptionId: base.subscriptionId, subscription: nameOf(base.subscriptionId),
        source: base.source, state: 'open', level: 1, openedAt: now, updatedAt: now, resolvedAt: null, lastActiveAt: activeAt,
        figures: base.figures, reason: { en: '', ja: '' }, confidence: base.confidence, context: kind === 'probing' ? [] : probingContext(base.subscriptionId),
        history: [{ at: now, event: 'opened', note: '' }],
      };
      inc.reason = reasonOf(inc, now, input.zone);
      inc.history[0]!.note = inc.reason.en;
      incidents.set(inc.id, inc);
      openByKey.set(key, inc);
      transitions.push({ type: 'opened', incident: inc });
      return;
    }
    // At most one escalation per escalateEveryMinutes: a rate estimate still ramping up is not "worse".
    const why = now - open.updatedAt >= o.escalateEveryMinutes * MINUTE ? escalate(open) : null;
    const next: Incident = { ...open, lastActiveAt: Math.max(open.lastActiveAt, activeAt), confidence: Math.max(open.confidence ?? 0, base.confidence ?? 0) || open.confidence };
    if (why) {
      Object.assign(next, { level: open.level + 1, updatedAt: now, figures: base.figures });
      next.reason = reasonOf(next, now, input.zone);
      next.history = [...open.history, { at: now, event: 'escalated', note: why }];
      transitions.push({ type: 'escalated', incident: next });
    }
    incidents.set(next.id, next);
    openByKey.set(key, next);
  };

  const resolveIfQuiet = (inc: Incident, quiet: boolean, note: string) => {
    if (!quiet) return;
    const done: Incident = { ...inc, state: 'resolved', resolvedAt: now, updatedAt: now, history: [...inc.history, { at: now, event: 'resolved', note }] };
    done.reason = reasonOf(done, now, input.zone);
    incidents.set(done.id, done);
    openByKey.delete(inc.key);
    transitions.push({ type: 'resolved', incident: done });
  };

  // ---- probing first: it is context for the others ----
  const looked = new Set(input.dirty.sources);
  for (const i of openByKey.values()) if (i.source) looked.add(`${i.source.kind === 'system-user' ? 'uid' : i.source.kind === 'mailbox' ? 'sasl' : i.source.kind}:${i.source.id}`);
  const order = { script: 0, mailbox: 1, 'system-user': 2, vhost: 3 } as const;
  const sources = [...looked].map((k) => counters.sources.get(k)).filter((s): s is LiveSource => s !== undefined).sort((a, b) => order[a.kind] - order[b.kind]);
  // A script's mail is also its UID's pickups: once the script is flagged, the UID says nothing more.
  const flagged = new Set<string>();
  const coveredByScript = (kind: IncidentKind, s: LiveSource) => s.kind === 'system-user' && s.subscriptionId !== null && flagged.has(`${kind}|${s.subscriptionId}`);
  for (const s of sources.filter((x) => x.kind === 'vhost')) {
    const rate = s.messages.sumMinutes(now - 5 * MINUTE, now + 1) / 5;
    const key = `probing|${s.key}`;
    if (rate >= o.probe404PerMinute) {
      active('probing', key, { subscriptionId: s.subscriptionId, source: { kind: 'vhost', id: s.id, label: s.id }, confidence: null, figures: figures({ perMinute: rate, count: s.messages.sumMinutes(now - HOUR, now + 1) }) },
        (open) => (rate >= open.figures.perMinute * 4 && open.level < 4 ? `now ${Math.round(rate)} requests/min` : null), s.messages.last);
    }
  }

  // ---- bursts, per source ----
  for (const s of sources) {
    if (s.kind === 'vhost') continue;
    const key = `burst|${s.subscriptionId ?? '-'}|${s.key}`;
    const rate = rateNow(s.messages, now);
    const open = openByKey.get(key);
    const baseline = baselineOf(s.messages, Math.min(now - HOUR, open?.openedAt ?? Infinity));
    const sub = s.subscriptionId === null ? undefined : dir.subscriptions.get(s.subscriptionId);
    const settings = s.subscriptionId === null ? null : input.settingsOf(s.subscriptionId);
    const subCounts = s.subscriptionId === null ? undefined : counters.subscriptions.get(s.subscriptionId);
    let reach: number | null = null;
    if (sub && sub.limit !== null && sub.limit > 0 && subCounts) {
      // OMC's window is "messages per hour" [V plesk.md §1.1]; whether it slides or follows the clock is not
      // documented: the last 60 minutes are the cautious reading.
      const lastHour = subCounts.messages.sumMinutes(now - HOUR, now + 1);
      const subRate = rateNow(subCounts.messages, now);
      if (lastHour >= sub.limit) reach = now;
      else if (subRate > 0) reach = now + ((sub.limit - lastHour) / subRate) * MINUTE;
    }
    const far = rate >= o.burstPerMinute && rate >= o.burstFactor * baseline;
    const projected = reach !== null && reach - now <= o.projectMinutes * MINUTE && rate >= 3 * baseline && rate >= 1;
    const overSetting = s.kind === 'script' && settings?.thresholds.scriptPerHour != null && rate * 60 >= settings.thresholds.scriptPerHour;
    if ((far || projected || overSetting) && !(coveredByScript('burst', s) && !open)) {
      if (s.kind === 'script') flagged.add(`burst|${s.subscriptionId}`);
      const rejects = s.rejects?.sumMinutes(now - 10 * MINUTE, now + 1) ?? 0;
      const f = figures({ perMinute: rate, baselinePerMinute: baseline, count: s.messages.sumMinutes(open ? open.openedAt - MINUTE : now - 2 * MINUTE, now + 1), limit: sub?.limit ?? null, reachesLimitAt: reach });
      active('burst', key, { subscriptionId: s.subscriptionId, source: { kind: s.kind as 'script', id: s.id, label: sourceLabel(s, dir) }, confidence: confidence(s.kind, rejects > 0 ? [0.9, 0.8] : [0.9]), figures: f },
        (inc) => (rate >= inc.figures.perMinute * 2 && inc.level < 4 ? `rate doubled: ${Math.round(rate)}/min (was ${Math.round(inc.figures.perMinute)}/min)` : null), s.messages.last);
    } else if (open) {
      const recent = s.messages.sumMinutes(now - o.quietMinutes * MINUTE, now + 1) / o.quietMinutes;
      resolveIfQuiet(open, recent < Math.max(o.burstPerMinute / 3, 3 * baseline) && now - open.openedAt >= o.quietMinutes * MINUTE, `back to ${recent.toFixed(1)}/min over the last ${o.quietMinutes} minutes`);
    }
  }

  // ---- blocks, per subscription ----
  const subs = new Set(input.dirty.subscriptions);
  for (const i of openByKey.values()) if (i.kind === 'block' && i.subscriptionId !== null) subs.add(i.subscriptionId);
  for (const id of subs) {
    const c = counters.subscriptions.get(id);
    if (!c) continue;
    const key = `block|${id}`;
    const recent = c.rejects.sumMinutes(now - 5 * MINUTE, now + 1);
    const open = openByKey.get(key);
    if (recent > 0) {
      const lastHour = c.rejects.sumMinutes(now - HOUR, now + 1);
      const since = open ? c.rejects.sumMinutes(open.openedAt, now + 1) : recent;
      const top = topSender(counters, id, now);
      active('block', key, { subscriptionId: id, source: top ? { kind: top.kind as 'script', id: top.id, label: sourceLabel(top, dir) } : null, confidence: null,
        figures: figures({ perMinute: recent / 5, perHour: lastHour, count: since, limit: dir.subscriptions.get(id)?.limit ?? null }) },
      (inc) => (since >= Math.max(100, inc.figures.count * 10) && inc.level < 5 ? `${since} messages refused since it began` : null), c.rejects.last);
    } else if (open) {
      resolveIfQuiet(open, now - c.rejects.last >= o.blockQuietMinutes * MINUTE, `no refusal for ${o.blockQuietMinutes} minutes`);
    }
  }

  // ---- slow leaks, hourly, per script or system user ----
  if (input.hourly) {
    const candidates = [...counters.sources.values()].filter((x) => x.kind === 'script' || x.kind === 'system-user').sort((a, b) => order[a.kind] - order[b.kind]);
    for (const s of candidates) {
      const key = `slow-leak|${s.subscriptionId ?? '-'}|${s.key}`;
      const open = openByKey.get(key);
      if (!open && now - s.messages.last > 3 * HOUR) continue;
      const minPerHour = s.subscriptionId === null ? 10 : input.settingsOf(s.subscriptionId).thresholds.leakPerHour ?? null;
      const leak = minPerHour === null ? null : detectLeak(s.messages.hourly(now - 35 * 24 * HOUR, now), { now, zone: input.zone, minPerHour });
      if (leak && !(coveredByScript('slow-leak', s) && !open)) {
        if (s.kind === 'script') flagged.add(`slow-leak|${s.subscriptionId}`);
        active('slow-leak', key, { subscriptionId: s.subscriptionId, source: { kind: s.kind, id: s.id, label: sourceLabel(s, dir) }, confidence: confidence(s.kind, [0.7]),
          figures: figures({ perMinute: leak.perHour / 60, perHour: leak.perHour, count: Math.round(leak.perHour * leak.hours), since: leak.since, limit: s.subscriptionId === null ? null : dir.subscriptions.get(s.subscriptionId)?.limit ?? null }) },
        (inc) => (leak.perHour >= (inc.figures.perHour ?? Infinity) * 2 && inc.level < 4 ? `steady rate doubled: ${Math.round(leak.perHour)}/hour` : null), s.messages.last);
      } else if (open) {
        resolveIfQuiet(open, true, 'no longer sending round the clock');
      }
    }
  }

  // ---- open incidents whose source went quiet and was not looked at above ----
  for (const inc of [...openByKey.values()]) {
    if (inc.kind === 'probing') {
      const s = inc.source ? counters.sources.get(`vhost:${inc.source.id}`) : undefined;
      const rate = s ? s.messages.sumMinutes(now - o.quietMinutes * MINUTE, now + 1) / o.quietMinutes : 0;
      resolveIfQuiet(inc, rate < o.probe404PerMinute / 2 && now - inc.lastActiveAt >= MINUTE, `below ${o.probe404PerMinute / 2} requests/min`);
    } else if (inc.kind === 'burst' && !counters.sources.has(keyOfSource(inc))) {
      resolveIfQuiet(inc, now - inc.lastActiveAt >= o.quietMinutes * MINUTE, 'the source is no longer tracked and was quiet');
    }
  }
  return { incidents, transitions };
}

function keyOfSource(inc: Incident): string {
  const k = inc.source?.kind;
  return `${k === 'system-user' ? 'uid' : k === 'mailbox' ? 'sasl' : k}:${inc.source?.id}`;
}

/** The subscription's busiest script (else UID or mailbox) over the last 10 minutes. */
function topSender(counters: LiveCounters, subId: number, now: number): LiveSource | null {
  let best: LiveSource | null = null;
  let bestN = 0;
  for (const s of counters.sources.values()) {
    if (s.subscriptionId !== subId || s.kind === 'vhost') continue;
    const n = s.messages.sumMinutes(now - 10 * MINUTE, now + 1) * (s.kind === 'script' ? 2 : 1);
    if (n > bestN) [best, bestN] = [s, n];
  }
  return best;
}

function figures(f: Partial<Incident['figures']> & { perMinute: number; count: number }): Incident['figures'] {
  return { baselinePerMinute: null, perHour: null, limit: null, reachesLimitAt: null, since: null, ...f };
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}
