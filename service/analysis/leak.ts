// A slow leak: a sender active hour after hour, through the night, for a day or
// more (DESIGN.md §1: ~300/hour for months, under every limit). A human-driven
// form or mailbox goes quiet at night; a weekly newsletter is one busy hour.
import { HOUR, wallClock } from '../time.ts';

export type Leak = { since: number; until: number; perHour: number; hours: number; nightActiveShare: number };

export type LeakOptions = {
  now: number;
  zone: string;
  minHours?: number;        // how long the run must be
  maxGapHours?: number;     // quiet hours tolerated inside a run
  minPerHour?: number;      // below this median rate, hourly cron notices are not a leak
  minNightShare?: number;   // share of night hours (00–05 local) that must be active
};

export function median(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The most recent steady run in an hourly series, if it is a leak. */
export function detectLeak(hourly: ReadonlyMap<number, number>, options: LeakOptions): Leak | null {
  const { now, zone } = options;
  const minHours = options.minHours ?? 24;
  const maxGap = options.maxGapHours ?? 2;
  const minPerHour = options.minPerHour ?? 10;
  const minNightShare = options.minNightShare ?? 0.8;
  if (!hourly.size) return null;
  const hours = [...hourly.keys()].filter((h) => h < now).sort((a, b) => a - b);
  if (!hours.length) return null;
  const first = hours[0]!;
  // Walk back from the most recent active hour while gaps stay short.
  let end = hours[hours.length - 1]!;
  // A run that ended long before `now` is history, not an ongoing leak.
  if (now - end > (maxGap + 1) * HOUR) return null;
  let start = end;
  let gap = 0;
  for (let h = end - HOUR; h >= first; h -= HOUR) {
    if ((hourly.get(h) ?? 0) > 0) {
      start = h;
      gap = 0;
    } else if (++gap > maxGap) break;
  }
  const span = (end - start) / HOUR + 1;
  if (span < minHours) return null;
  const counts: number[] = [];
  let nightHours = 0;
  let nightActive = 0;
  for (let h = start; h <= end; h += HOUR) {
    const c = hourly.get(h) ?? 0;
    counts.push(c);
    const local = wallClock(h, zone).h;
    if (local < 6) {
      nightHours++;
      if (c > 0) nightActive++;
    }
  }
  const nightActiveShare = nightHours ? nightActive / nightHours : 0;
  if (nightHours < 6 || nightActiveShare < minNightShare) return null;
  // The rate of the steady part: a burst on top of a leak must not inflate it.
  const perHour = median(counts);
  if (perHour < minPerHour) return null;
  return { since: start, until: end + HOUR, perHour, hours: span, nightActiveShare };
}
