// Reading Plesk's Outgoing Mail Control for one subscription: is it blocked,
// at which level, since when, and what the last hour looked like
// (reference/plesk.md §1.3–1.6; a Peaks row with endDate NULL = still over
// the limit is [I], the statuses "Sending mail"/"Not Sending" are [V]).
import type { Level, PeakRow, StatRow, Subscription } from '../sources/panel-data.ts';
import { HOUR } from '../time.ts';

export type OmcInput = {
  subscription: Subscription;
  stats: Record<Level, StatRow[]>;   // already narrowed to this subscription's objects
  peaks: Record<Level, PeakRow[]>;
  logRejectsHourly: ReadonlyMap<number, number>;  // limit rejects the log ties to this subscription
  logPassedHourly: ReadonlyMap<number, number>;   // messages the log ties to this subscription
  now: number;
};

export type OmcReading = {
  status: 'sending' | 'not-sending';
  blockedSince: number | null;
  blockedLevel: Level | null;
  openPeaks: Array<{ level: Level; objectId: number; begin: number }>;
  lastHour: { passed: number; rejected: number; limit: number | null; from: 'panel' | 'log' | 'none' };
  rejectedTotal: number;
  passedTotal: number;
  hourly: Map<number, { passed: number; rejected: number }>; // subscription level, panel first, else log
};

const isOpen = (p: PeakRow, now: number) => p.begin <= now && (p.end === null || p.end > now);

export function readOmc(input: OmcInput): OmcReading {
  const { now, subscription } = input;
  const openPeaks: OmcReading['openPeaks'] = [];
  for (const level of ['subscription', 'domain', 'mailbox'] as const) {
    for (const p of input.peaks[level]) if (isOpen(p, now)) openPeaks.push({ level, objectId: p.objectId, begin: p.begin });
  }
  const subPeak = openPeaks.filter((p) => p.level === 'subscription').sort((a, b) => a.begin - b.begin)[0];

  const hourly = new Map<number, { passed: number; rejected: number }>();
  for (const r of input.stats.subscription) if (r.hour <= now) hourly.set(r.hour, { passed: r.passed, rejected: r.rejected });
  const panelHasData = hourly.size > 0;
  if (!panelHasData) {
    const hours = new Set([...input.logPassedHourly.keys(), ...input.logRejectsHourly.keys()]);
    for (const h of hours) if (h < now) hourly.set(h, { passed: input.logPassedHourly.get(h) ?? 0, rejected: input.logRejectsHourly.get(h) ?? 0 });
  }
  let rejectedTotal = 0;
  let passedTotal = 0;
  for (const v of hourly.values()) {
    rejectedTotal += v.rejected;
    passedTotal += v.passed;
  }

  // The last full hour. Plesk writes its row after the hour (cron at :20, [V]);
  // a row older than two hours is stale, and the log speaks instead.
  const lastFull = Math.floor(now / HOUR) * HOUR - HOUR;
  const panelRows = input.stats.subscription.filter((r) => r.hour <= now).sort((a, b) => b.hour - a.hour);
  const latest = panelRows[0];
  let lastHour: OmcReading['lastHour'];
  if (latest && now - latest.hour <= 2 * HOUR) {
    lastHour = { passed: latest.passed, rejected: latest.rejected, limit: latest.limit >= 0 ? latest.limit : (subscription.limits.subscription ?? null), from: 'panel' };
  } else if (input.logPassedHourly.size || input.logRejectsHourly.size) {
    lastHour = { passed: input.logPassedHourly.get(lastFull) ?? 0, rejected: input.logRejectsHourly.get(lastFull) ?? 0, limit: subscription.limits.subscription, from: 'log' };
  } else {
    lastHour = { passed: 0, rejected: 0, limit: subscription.limits.subscription, from: 'none' };
  }
  if (lastHour.limit !== null && lastHour.limit < 0) lastHour.limit = null;

  if (subPeak) return { status: 'not-sending', blockedSince: subPeak.begin, blockedLevel: 'subscription', openPeaks, lastHour, rejectedTotal, passedTotal, hourly };

  // Before Plesk's hourly statistics catch up, the log's limit rejects tell:
  // rejections in the last hour mean the subscription is being refused now.
  const recentRejects = (input.logRejectsHourly.get(lastFull + HOUR) ?? 0) + (input.logRejectsHourly.get(lastFull) ?? 0);
  if (recentRejects > 0) {
    let since = lastFull + HOUR;
    if (!input.logRejectsHourly.get(since)) since = lastFull;
    while ((input.logRejectsHourly.get(since - HOUR) ?? 0) > 0) since -= HOUR;
    return { status: 'not-sending', blockedSince: since, blockedLevel: null, openPeaks, lastHour, rejectedTotal, passedTotal, hourly };
  }
  const other = openPeaks.find((p) => p.level !== 'subscription');
  return { status: 'sending', blockedSince: null, blockedLevel: other?.level ?? null, openPeaks, lastHour, rejectedTotal, passedTotal, hourly };
}
