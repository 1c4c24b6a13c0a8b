// Syslog timestamps → instants. The classic form (`Feb  3 22:15:01`) has no
// year and no zone: the zone is the configured one, the year is inferred per
// file. The RFC 3339 form (`2022-02-03T22:15:01.123456+09:00`) carries both.
import { wallClock, zonedToEpoch } from '../time.ts';

export class SyslogClock {
  private refYear = 1970;
  private refMonth = 1;
  private year = 0;                 // year of the current month while reading forward; 0 = no line yet
  private month = 0;
  private lastSecondKey = -1;
  private lastSecondEpoch = 0;
  private lastHourKey = -1;
  private lastHourEpoch = 0;

  constructor(private readonly zone: string) {}

  /**
   * A new file: `referenceMs` is min(file mtime, until/now) — the file cannot
   * hold lines written after it, so a month later than the reference month
   * must be from the year before.
   */
  startFile(referenceMs: number): void {
    const w = wallClock(referenceMs, this.zone);
    this.refYear = w.y;
    this.refMonth = w.mo;
    this.year = 0;
    this.month = 0;
    this.lastSecondKey = -1;
  }

  /** Instant of a classic timestamp (month 1-12) read in file order. */
  classic(mo: number, d: number, h: number, mi: number, s: number): number {
    let y: number;
    if (this.year === 0) {
      y = mo > this.refMonth ? this.refYear - 1 : this.refYear;
      this.year = y;
      this.month = mo;
    } else if (mo < this.month && this.month - mo >= 6) {
      // Dec → Jan while reading forward: a new year.
      this.year++;
      this.month = mo;
      y = this.year;
    } else if (mo > this.month && mo - this.month >= 6) {
      // A late line from before New Year (Jan, then a stray Dec): the year before; the state stays.
      y = this.year - 1;
    } else {
      if (mo > this.month) this.month = mo;
      y = this.year;
    }
    const secondKey = ((((y * 13 + mo) * 32 + d) * 24 + h) * 60 + mi) * 60 + s;
    if (secondKey === this.lastSecondKey) return this.lastSecondEpoch;
    const hourKey = ((y * 13 + mo) * 32 + d) * 24 + h;
    if (hourKey !== this.lastHourKey) {
      // One zone lookup per wall-clock hour: offsets change on the hour in
      // practice (a zone shifting at :30 would be off by those minutes for one hour).
      this.lastHourEpoch = zonedToEpoch(this.zone, y, mo, d, h, 0, 0);
      this.lastHourKey = hourKey;
    }
    this.lastSecondKey = secondKey;
    this.lastSecondEpoch = this.lastHourEpoch + (mi * 60 + s) * 1000;
    return this.lastSecondEpoch;
  }
}

/** Instant of an RFC 3339 timestamp; offsetMin is the stated offset in minutes (0 for Z). */
export function rfc3339Epoch(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offsetMin: number): number {
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMin * 60_000;
}
