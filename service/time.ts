// Wall-clock ↔ instant conversions for log timestamps and psa DATETIME values,
// which carry no zone of their own (CONTRACT.md `timezone`).

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, number>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = offsetFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23',
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    offsetFormatters.set(zone, f);
  }
  return f;
}

/** Offset of `zone` from UTC at instant `ms`, in ms (e.g. +9h for Asia/Tokyo). */
export function zoneOffset(zone: string, ms: number): number {
  // Offsets change only on quarter hours, so one lookup per 15 minutes is enough.
  const key = `${zone}|${Math.floor(ms / 900_000)}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const parts = formatterFor(zone).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = asUtc - Math.floor(ms / 1000) * 1000;
  if (offsetCache.size > 100_000) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

/** The instant of a wall-clock time in `zone`. In a DST gap or overlap the earlier reading wins. */
export function zonedToEpoch(zone: string, y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi, s);
  const first = guess - zoneOffset(zone, guess);
  const second = guess - zoneOffset(zone, first);
  return Math.min(first, second);
}

export function isValidZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    // RangeError is the only thing Intl throws for an unknown zone.
    return false;
  }
}

export function systemZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ISO 8601 with the zone's offset, e.g. 2022-02-03T23:30:00+09:00. */
export function formatIso(ms: number, zone: string): string {
  const off = zoneOffset(zone, ms);
  const t = new Date(ms + off);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off) / 60_000;
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** Wall-clock parts of an instant in a zone (for explanations: "since 15:00"). */
export function wallClock(ms: number, zone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const t = new Date(ms + zoneOffset(zone, ms));
  return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds() };
}

/** psa DATETIME 'YYYY-MM-DD HH:MM:SS' (server local time) → instant. */
export function parseSqlDatetime(text: string, zone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return null;
  return zonedToEpoch(zone, +m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/** Instant → psa DATETIME text in the zone, for SQL bounds. */
export function formatSqlDatetime(ms: number, zone: string): string {
  const w = wallClock(ms, zone);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)} ${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}`;
}

/** Strict ISO-8601 instant parse for --now/--since; a missing offset means the zone. */
export function parseIsoInstant(text: string, zone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h = '0', mi = '0', s = '0'] = [m[1]!, m[2]!, m[3]!, m[4], m[5], m[6]];
  if (+mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +s > 59) return null;
  if (!m[7]) return zonedToEpoch(zone, +y, +mo, +d, +h, +mi, +s);
  const utc = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (m[7] === 'Z') return utc;
  const sign = m[7][0] === '-' ? -1 : 1;
  const digits = m[7].slice(1).replace(':', '');
  return utc - sign * (Number(digits.slice(0, 2)) * 3600_000 + Number(digits.slice(2)) * 60_000);
}

export const HOUR = 3600_000;
export const MINUTE = 60_000;
export const DAY = 24 * HOUR;
