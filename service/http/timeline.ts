// GET /api/subscriptions/:id/timeline: passed/rejected per step plus events.
// Pure: the snapshot, the audit records and the query in, the response out.
// Honest about its sources: hours come from psa's OMC statistics (hours not
// collected yet are null, not 0); minutes exist only where the mail log was
// read per minute (the last 48 h), and there psa has no passed/rejected split,
// so a minute step says how many messages the subscription's system user
// handed to sendmail and leaves passed/rejected null.
import { createError } from '../errors.ts';
import { DAY, formatIso, HOUR, MINUTE, parseIsoInstant, zoneOffset } from '../time.ts';
import type { AuditEntry, Step, TimelineEvent, TimelinePoint, TimelineResponse } from './contract.ts';
import type { HourlySeries, SnapshotData } from './cache/snapshot.ts';
import { minuteCursor } from './cache/minute-counts.ts';

const DEFAULT_SPAN: Record<Step, number> = { hour: 7 * 24 * HOUR, minute: 2 * HOUR };

const floorTo = (t: number, step: Step, zone: string) => {
  if (step === 'minute') return Math.floor(t / MINUTE) * MINUTE;
  const off = zoneOffset(zone, t);   // local hours (a +05:30 zone's hours start at :30 UTC)
  return Math.floor((t + off) / HOUR) * HOUR - off;
};

/** First index whose value is >= t. */
function lowerBound(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/**
 * formatIso's output for the many steps of one range, cheaply: the offset is
 * looked up once when it cannot change inside the range (a range of at most
 * 35 days holds at most one DST change, which then shows at its ends), and
 * the date text once per day.
 */
function isoFormatter(zone: string, from: number, to: number): (t: number) => string {
  const fixed = zoneOffset(zone, from) === zoneOffset(zone, to) ? zoneOffset(zone, from) : null;
  let offset = Number.NaN;
  let suffix = '';
  let day = Number.NaN;
  let date = '';
  return (t) => {
    const off = fixed ?? zoneOffset(zone, t);
    if (off !== offset) {
      offset = off;
      const a = Math.abs(off) / 60_000;
      suffix = `${off < 0 ? '-' : '+'}${TWO[Math.floor(a / 60)]}:${TWO[a % 60]}`;
    }
    const local = t + off;
    const d = Math.floor(local / DAY);
    if (d !== day) {
      day = d;
      date = new Date(d * DAY).toISOString().slice(0, 11);
    }
    const sec = Math.floor((local - d * DAY) / 1000);
    return `${date}${TWO[Math.floor(sec / 3600)]}:${TWO[Math.floor(sec / 60) % 60]}:${TWO[sec % 60]}${suffix}`;
  };
}

function instant(text: string | undefined, name: string, zone: string): number | undefined {
  if (text === undefined) return undefined;
  const t = parseIsoInstant(text, zone);
  if (t === null) throw createError('SENDTRACE_ERR_INVALID_REQUEST', `query.${name}: not an ISO-8601 instant (e.g. 2022-02-03T21:00:00+09:00)`);
  return t;
}

export type TimelineInput = {
  subscriptionId: number;
  snapshot: Pick<SnapshotData, 'now' | 'zone' | 'peaks' | 'stats' | 'minute'>;
  /** The subscription's hourly statistics (hourly-source.ts); null: not read. */
  series: HourlySeries | null;
  audit: AuditEntry[];      // this subscription's records
  query: { from?: string; to?: string; step: Step };
};

export function buildTimeline(input: TimelineInput): TimelineResponse {
  const { snapshot: s, query } = input;
  const zone = s.zone;
  const step = query.step;
  const available = {
    hour: s.stats ? { from: floorTo(s.stats.from, 'hour', zone), to: s.now } : null,
    minute: s.minute ? { from: s.minute.from, to: s.minute.to } : null,
  };
  const range = available[step];
  const iso = (t: number) => formatIso(t, zone);
  if (!range) {
    const why = step === 'minute' ? 'the mail log has no lines from the last 48 hours, or could not be read' : 'psa statistics could not be read';
    throw createError('SENDTRACE_ERR_INVALID_REQUEST', `query.step: ${step} steps are not available (${why})${available.hour && step === 'minute' ? '; use step=hour' : ''}`);
  }
  const to = instant(query.to, 'to', zone) ?? range.to;
  const from = instant(query.from, 'from', zone) ?? Math.max(range.from, to - DEFAULT_SPAN[step]);
  if (from >= to) throw createError('SENDTRACE_ERR_INVALID_REQUEST', 'query.from: must be before query.to');
  if (from < range.from || to > range.to) {
    throw createError('SENDTRACE_ERR_INVALID_REQUEST', `query.from/to: ${step} steps are available from ${iso(range.from)} to ${iso(range.to)}`);
  }

  const points: TimelinePoint[] = [];
  const notes: string[] = [];
  const fast = isoFormatter(zone, from, to);
  if (step === 'hour') {
    const series = input.series;
    const hours = series?.hours;
    const last = s.stats?.lastCollected ?? null;
    const start = floorTo(from, 'hour', zone);
    // Rows are sorted by hour: walk them beside the steps (a row counts in the step it falls in).
    let i = hours ? lowerBound(hours, start) : 0;
    for (let t = start; t < to; t += HOUR) {
      while (hours && i < hours.length && hours[i]! < t) i++;
      const hit = series && hours && i < hours.length && hours[i]! < t + HOUR;
      const collected = last !== null && t <= last;
      points.push(hit
        ? { t: fast(t), passed: series.passed[i]!, rejected: series.rejected[i]!, limit: series.limit[i]!, submitted: null }
        : { t: fast(t), passed: collected ? 0 : null, rejected: collected ? 0 : null, limit: null, submitted: null });
    }
    notes.push(`Hourly counts are Plesk's Outgoing Mail Control statistics (psa), collected once an hour${last !== null ? `; the last collected hour starts ${iso(last)}` : ''}. Later hours are null until Plesk collects them.`);
  } else {
    const series = minuteCursor(s.minute?.bySubscription.get(input.subscriptionId));
    for (let t = floorTo(from, 'minute', zone); t < to; t += MINUTE) points.push({ t: fast(t), passed: null, rejected: null, limit: null, submitted: series.at(t) });
    notes.push('Minute steps come from the mail log: messages the subscription\'s system user handed to sendmail (scripts), refused ones included. Mail sent by mailboxes over SMTP and the passed/refused split exist only per hour (step=hour).');
  }
  return {
    subscriptionId: input.subscriptionId, step, from: iso(from), to: iso(to), zone,
    source: step === 'hour' ? 'psa-hourly-statistics' : 'maillog-pickups',
    points,
    events: eventsOf(input, from, to).sort((a, b) => a.ms - b.ms).map(({ ms: _ms, ...e }) => e),
    available: { hour: available.hour && { from: iso(available.hour.from), to: iso(available.hour.to) }, minute: available.minute && { from: iso(available.minute.from), to: iso(available.minute.to) } },
    notes,
  };
}

function eventsOf(input: TimelineInput, from: number, to: number): Array<TimelineEvent & { ms: number }> {
  const { snapshot: s } = input;
  const iso = (t: number) => formatIso(t, s.zone);
  const inRange = (t: number) => t >= from && t < to;
  const out: Array<TimelineEvent & { ms: number }> = [];
  const series = input.series;
  if (series) {
    // A limit hit: the first hour of each run of hours with refused messages.
    for (let i = 0; i < series.hours.length; i++) {
      if (series.rejected[i]! === 0 || (i > 0 && series.rejected[i - 1]! > 0 && series.hours[i]! - series.hours[i - 1]! === HOUR)) continue;
      let refused = 0;
      let j = i;
      for (; j < series.hours.length && series.rejected[j]! > 0 && (j === i || series.hours[j]! - series.hours[j - 1]! === HOUR); j++) refused += series.rejected[j]!;
      const t = series.hours[i]!;
      if (inRange(t)) out.push({ ms: t, at: iso(t), kind: 'limit-hit', level: 'subscription', detail: `${refused} message(s) refused over ${j - i} hour(s) (limit ${series.limit[i]! < 0 ? 'unlimited' : `${series.limit[i]}/hour`})` });
    }
  }
  for (const p of s.peaks.get(input.subscriptionId) ?? []) {
    if (inRange(p.begin)) out.push({ ms: p.begin, at: iso(p.begin), kind: 'peak-begin', level: p.level, detail: `over the ${p.level} limit: ${p.object}` });
    if (p.end !== null && inRange(p.end)) out.push({ ms: p.end, at: iso(p.end), kind: 'peak-end', level: p.level, detail: `back under the ${p.level} limit: ${p.object} (${p.rejected} refused during the peak)` });
  }
  for (const r of input.audit) {
    if (!inRange(r.at)) continue;
    out.push({
      ms: r.at, at: iso(r.at), kind: 'action', level: null, detail: `${r.action}${r.dryRun ? ' (dry run)' : ''}: ${r.result}`,
      action: { name: r.action, result: r.result, dryRun: r.dryRun, actor: r.actor, target: r.target },
    });
  }
  return out;
}
