// Messages and formats in the user's language; dates in the SERVER's time zone
// (the mail log, Plesk's statistics and the customer's "since 22:15" all speak
// the server's clock). Formatters are built once: the overview formats
// thousands of cells.
import { en, type MessageKey, type Messages } from './en.ts';
import { ja } from './ja.ts';
import type { Lang } from '../bootstrap.ts';

export type { MessageKey };
export type Vars = Record<string, string | number>;

const CATALOGUES: Record<Lang, Messages> = { en, ja };

/** Replaces `{name}` with vars[name]; an unknown placeholder stays visible rather than vanishing. */
export function interpolate(text: string, vars: Vars = {}): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export type I18n = ReturnType<typeof createI18n>;

export function createI18n(locale: string, lang: Lang, zone: string) {
  const messages = CATALOGUES[lang];
  const number = new Intl.NumberFormat(locale);
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
  const time = new Intl.DateTimeFormat(locale, { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const dayTime = new Intl.DateTimeFormat(locale, { timeZone: zone, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const fullTime = new Intl.DateTimeFormat(locale, { timeZone: zone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const day = new Intl.DateTimeFormat(locale, { timeZone: zone, month: 'short', day: 'numeric' });
  const ymd = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const toMs = (v: string | number) => (typeof v === 'number' ? v : Date.parse(v));
  const ok = (ms: number) => Number.isFinite(ms);

  const i18n = {
    lang,
    locale,
    zone,
    t: (key: MessageKey, vars?: Vars) => interpolate(messages[key] ?? en[key] ?? key, vars),
    /** The two halves of an error message: what happened | what to do. */
    pair: (key: MessageKey): [string, string] => {
      const [what, todo] = (messages[key] ?? en[key]).split('|');
      return [what ?? '', todo ?? ''];
    },
    num: (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? '—' : number.format(n)),
    pct: (x: number) => percent.format(x),
    /** The server's calendar day of an instant, as YYYY-MM-DD. */
    dayKey: (v: string | number) => (ok(toMs(v)) ? ymd.format(toMs(v)) : ''),
    time: (v: string | number) => (ok(toMs(v)) ? time.format(toMs(v)) : '—'),
    day: (v: string | number) => (ok(toMs(v)) ? day.format(toMs(v)) : '—'),
    dateTime: (v: string | number) => (ok(toMs(v)) ? fullTime.format(toMs(v)) : '—'),
    /** "15:00" when the instant is on the same server day as `now`, else "Feb 2, 15:00". */
    when: (v: string | number, now: string | number | null) => {
      const ms = toMs(v);
      if (!ok(ms)) return '—';
      if (now !== null && ok(toMs(now)) && ymd.format(ms) === ymd.format(toMs(now))) return time.format(ms);
      return dayTime.format(ms);
    },
  };
  return i18n;
}
