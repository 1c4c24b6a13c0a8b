// Syslog timestamps → instants. The classic form (`Feb  3 22:15:01`) has no
// year and no zone: the zone is the configured one, the year is inferred per
// file. The RFC 3339 form (`2022-02-03T22:15:01.123456+09:00`) carries both.
import { wallClock, zonedToEpoch } from '../time.ts';

/** Year inference state, and the first classic line since startFile() with the year it got. */
export type ClockState = { year: number; month: number; firstMonth: number; firstYear: number };

export class SyslogClock {
  private refYear = 1970;
  private refMonth = 1;
  private year = 0;                 // year of the current month while reading forward; 0 = no line yet
  private month = 0;
  private lastSecondKey = -1;
  private lastSecondEpoch = 0;
  private lastHourKey = -1;
  private lastHourEpoch = 0;
  // The first classic line since startFile() and the year it was given: a
  // reader that started mid-file is checked against the state before it.
  private firstMonth = 0;
  private firstYear = 0;

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
    this.firstMonth = 0;
    this.firstYear = 0;
  }

  /** Whether a classic line was read since startFile(). */
  get started(): boolean {
    return this.firstMonth !== 0;
  }

  /** Year inference state: the year and month reached while reading forward (year 0: no classic line yet). */
  get state(): ClockState {
    return { year: this.year, month: this.month, firstMonth: this.firstMonth, firstYear: this.firstYear };
  }

  /** Continues from a state reached by another reader of the same file. */
  resume(state: ClockState): void {
    this.year = state.year;
    this.month = state.month;
  }

  /**
   * Whether a reader that started this file's reading over (startFile) at a
   * later line, and ended in `later`, read those lines exactly as this clock
   * would have from its current state: then resume(later) continues as if
   * this clock had read them. Only its first classic line can differ.
   */
  agreesWith(later: ClockState): boolean {
    if (later.firstMonth === 0) return later.year === 0;
    const saved = { year: this.year, month: this.month };
    const y = this.yearOf(later.firstMonth);
    const same = y === later.firstYear && this.year === later.firstYear && this.month === later.firstMonth;
    this.year = saved.year;
    this.month = saved.month;
    return same;
  }

  /** The year of a line of month `mo`, moving the state forward. */
  private yearOf(mo: number): number {
    if (this.year === 0) {
      this.year = mo > this.refMonth ? this.refYear - 1 : this.refYear;
      this.month = mo;
      return this.year;
    }
    if (mo < this.month && this.month - mo >= 6) {
      // Dec → Jan while reading forward: a new year.
      this.year++;
      this.month = mo;
      return this.year;
    }
    // A late line from before New Year (Jan, then a stray Dec): the year before; the state stays.
    if (mo > this.month && mo - this.month >= 6) return this.year - 1;
    if (mo > this.month) this.month = mo;
    return this.year;
  }

  /** Instant of a classic timestamp (month 1-12) read in file order. */
  classic(mo: number, d: number, h: number, mi: number, s: number): number {
    const first = this.year === 0;
    const y = this.yearOf(mo);
    if (first && this.firstMonth === 0) {
      this.firstMonth = mo;
      this.firstYear = y;
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
