// Reading Plesk's Outgoing Mail Control for one subscription: is it blocked,
// at which level, since when, and what the last hour looked like
// (reference/plesk.md §1.3–1.6; a Peaks row with endDate NULL = still over
// the limit is [I], the statuses "Sending mail"/"Not Sending" are [V]).
import type { Level, PeakRow, StatRow, StatTotal, Subscription } from '../sources/panel-data.ts';
import { DAY, HOUR } from '../time.ts';

/** Plesk writes an hour's row after the hour (cron at :20, [V]); a newer row than this is the last hour's. */
export const LAST_HOUR_MAX_AGE = 2 * HOUR;

export type OmcInput = {
  subscription: Subscription;
  /**
   * The subscription's own statistics up to `now`: the totals of its hourly
   * rows, its newest hour with rejects, and its newest row when younger than
   * LAST_HOUR_MAX_AGE (readPanel's newestSince; an older one changes nothing).
   */
  stats: { total: StatTotal | null };
  peaks: Record<Level, PeakRow[]>;   // already narrowed to this subscription's objects
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
  /** Any hour of the last day with rejects (the panel's hours, else the log's). */
  rejectedLastDay: boolean;
};

const isOpen = (p: PeakRow, now: number) => p.begin <= now && (p.end === null || p.end > now);

export function readOmc(input: OmcInput): OmcReading {
  const { now, subscription } = input;
  const openPeaks: OmcReading['openPeaks'] = [];
  for (const level of ['subscription', 'domain', 'mailbox'] as const) {
    for (const p of input.peaks[level]) if (isOpen(p, now)) openPeaks.push({ level, objectId: p.objectId, begin: p.begin });
  }
  const subPeak = openPeaks.filter((p) => p.level === 'subscription').sort((a, b) => a.begin - b.begin)[0];

  // Totals over the window: the panel's when it has any row, else the log's hours.
  const total = input.stats.total;
  let rejectedTotal = 0;
  let passedTotal = 0;
  let rejectedLastDay = false;
  if (total && total.rows > 0) {
    rejectedTotal = total.rejected;
    passedTotal = total.passed;
    rejectedLastDay = total.lastRejected !== null && total.lastRejected >= now - DAY && total.lastRejected <= now;
  } else {
    for (const [h, c] of input.logPassedHourly) if (h < now) passedTotal += c;
    for (const [h, c] of input.logRejectsHourly) {
      if (h >= now) continue;
      rejectedTotal += c;
      if (h >= now - DAY && c > 0) rejectedLastDay = true;
    }
  }

  // The last full hour. A row older than LAST_HOUR_MAX_AGE is stale, and the log speaks instead.
  const lastFull = Math.floor(now / HOUR) * HOUR - HOUR;
  const latest: StatRow | null = total && total.newest && total.newest.hour <= now ? total.newest : null;
  let lastHour: OmcReading['lastHour'];
  if (latest && now - latest.hour <= LAST_HOUR_MAX_AGE) {
    lastHour = { passed: latest.passed, rejected: latest.rejected, limit: latest.limit >= 0 ? latest.limit : (subscription.limits.subscription ?? null), from: 'panel' };
  } else if (input.logPassedHourly.size || input.logRejectsHourly.size) {
    lastHour = { passed: input.logPassedHourly.get(lastFull) ?? 0, rejected: input.logRejectsHourly.get(lastFull) ?? 0, limit: subscription.limits.subscription, from: 'log' };
  } else {
    lastHour = { passed: 0, rejected: 0, limit: subscription.limits.subscription, from: 'none' };
  }
  if (lastHour.limit !== null && lastHour.limit < 0) lastHour.limit = null;

  const totals = { rejectedTotal, passedTotal, rejectedLastDay };
  if (subPeak) return { status: 'not-sending', blockedSince: subPeak.begin, blockedLevel: 'subscription', openPeaks, lastHour, ...totals };

  // Before Plesk's hourly statistics catch up, the log's limit rejects tell:
  // rejections in the last hour mean the subscription is being refused now.
  const recentRejects = (input.logRejectsHourly.get(lastFull + HOUR) ?? 0) + (input.logRejectsHourly.get(lastFull) ?? 0);
  if (recentRejects > 0) {
    let since = lastFull + HOUR;
    if (!input.logRejectsHourly.get(since)) since = lastFull;
    while ((input.logRejectsHourly.get(since - HOUR) ?? 0) > 0) since -= HOUR;
    return { status: 'not-sending', blockedSince: since, blockedLevel: null, openPeaks, lastHour, ...totals };
  }
  const other = openPeaks.find((p) => p.level !== 'subscription');
  return { status: 'sending', blockedSince: null, blockedLevel: other?.level ?? null, openPeaks, lastHour, ...totals };
}
