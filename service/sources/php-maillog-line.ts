// One line of PHP's `mail.log` → a record. Format from php-src ext/standard/mail.c
// (reference/plesk.md §2 [V], and checked against PHP 8.2 here):
//   [03-Dec-2024 18:34:44 UTC] mail() on [/full/path.php:698]: To: … -- Headers: … -- Subject: …
// The "[date] " prefix is written only when logging to a file; its zone is
// PHP's default zone name (`e`), an identifier such as `UTC` or `Asia/Tokyo`.
// Everything after the path is chosen by whoever called mail() (a spammer):
// it is cut to a length, never interpreted beyond finding the separators.
import { z } from 'zod';
import { isValidZone, zonedToEpoch } from '../time.ts';

const MAX_FIELD = 2000;

export const OriginatingScriptSchema = z.object({
  uid: z.number().int().nonnegative(),
  file: z.string().min(1).max(255),
});
export type OriginatingScript = z.infer<typeof OriginatingScriptSchema>;

export const PhpMailRecordSchema = z.object({
  ts: z.number().int().nullable(),              // epoch ms; null when the line has no date prefix
  path: z.string().min(1).max(4096),            // the real file (see `dynamicCode`)
  line: z.number().int().nonnegative(),         // line of the mail() call (inside the dynamic code when `dynamicCode`)
  // mail() ran in eval()'d / runtime-created code; `line` of `path` is where that code was created.
  dynamicCode: z.object({ kind: z.string().max(64), line: z.number().int().nonnegative() }).nullable(),
  to: z.string().max(MAX_FIELD),
  headers: z.string().max(MAX_FIELD),
  subject: z.string().max(MAX_FIELD),
  originatingScript: OriginatingScriptSchema.optional(),
});
export type PhpMailRecord = z.infer<typeof PhpMailRecordSchema>;

const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

// Zone names PHP can print that Intl does not know, as fixed offsets in minutes.
// Ambiguous abbreviations (IST, CST, BST…) are left out on purpose: the
// configured zone is a better guess than a wrong continent.
const ABBREVIATIONS: Record<string, number> = {
  Z: 0, CEST: 120, EEST: 180, WEST: 60, MSK: 180, KST: 540, AEST: 600, AEDT: 660, ACST: 570, AWST: 480,
  NZST: 720, NZDT: 780, HKT: 480, SGT: 480, ICT: 420, EDT: -240, CDT: -300, MDT: -360, PDT: -420, AKST: -540, AKDT: -480,
};

export type ZoneNotes = { unknownZones: Map<string, number> };

const PREFIX = /^\[(\d{2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([A-Za-z0-9_/+:-]{1,64})\] /;
const MARK = 'mail() on [';
const AFTER_PATH = ']: To: ';
const HEADERS = ' -- Headers: ';
const SUBJECT = ' -- Subject: ';

type ZoneRule = { zone: string } | { offsetMinutes: number } | null;
const zoneRules = new Map<string, ZoneRule>();

/** How to read a zone name PHP printed: an IANA zone, a fixed offset, or unknown (null). */
function zoneRule(name: string): ZoneRule {
  let rule = zoneRules.get(name);
  if (rule !== undefined) return rule;
  const offset = /^([+-])(\d{2}):?(\d{2})$/.exec(name);
  const abbr = ABBREVIATIONS[name.toUpperCase()];
  if (offset) rule = { offsetMinutes: (Number(offset[2]) * 60 + Number(offset[3])) * (offset[1] === '-' ? -1 : 1) };
  else if (isValidZone(name)) rule = { zone: name };
  else rule = abbr === undefined ? null : { offsetMinutes: abbr };
  if (zoneRules.size > 1000) zoneRules.clear();     // zone names come from the file: keep the cache bounded
  zoneRules.set(name, rule);
  return rule;
}

/** The instant of a mail.log date prefix; an unknown zone name falls back to `fallbackZone` (and is noted). */
export function toEpoch(parts: number[], zoneName: string, fallbackZone: string, notes?: ZoneNotes): number {
  const [y, mo, d, h, mi, s] = parts as [number, number, number, number, number, number];
  const rule = zoneRule(zoneName);
  if (rule === null && notes) notes.unknownZones.set(zoneName, (notes.unknownZones.get(zoneName) ?? 0) + 1);
  if (rule && 'offsetMinutes' in rule) return Date.UTC(y, mo - 1, d, h, mi, s) - rule.offsetMinutes * 60_000;
  return zonedToEpoch(rule ? rule.zone : fallbackZone, y, mo, d, h, mi, s);
}

// Lines come in time order, so the instant of the last minute seen is reused:
// zone offsets only change on whole minutes.
let lastMinute = { key: '', ms: 0 };

/** `10001:mail.php` → { uid, file }; null when it is not that shape (the header can be forged by any script). */
export function parseOriginatingScript(value: string): OriginatingScript | null {
  const m = /^(\d{1,10}):([^\r\n]{1,255})$/.exec((value.length > 300 ? value.slice(0, 300) : value).trim());
  if (!m) return null;
  const uid = Number(m[1]);
  const file = m[2]!.trim();
  // PHP writes a basename, so a slash means it did not come from PHP.
  if (!Number.isSafeInteger(uid) || uid > 0xffffffff || file === '' || file.includes('/')) return null;
  return { uid, file };
}

/** Finds `X-PHP-Originating-Script:` in a header block whose CR/LF PHP turned into spaces. */
function findOriginatingScript(headers: string): OriginatingScript | null {
  const at = headers.toLowerCase().indexOf('x-php-originating-script:');
  if (at === -1) return null;
  const rest = headers.slice(at + 'x-php-originating-script:'.length, at + 300);
  // The next header starts after the two spaces that replaced its CRLF.
  const end = rest.search(/ {2}|\t/);
  return parseOriginatingScript(end === -1 ? rest : rest.slice(0, end));
}

const DYNAMIC = /^(.*)\((\d{1,9})\) : (eval\(\)'d code|runtime-created function|assert code|regexp code)$/;

function splitDynamic(file: string): { path: string; dynamicCode: PhpMailRecord['dynamicCode'] } {
  // Nested evals look like `/a.php(3) : eval()'d code(1) : eval()'d code`: peel to the real file.
  let path = file;
  let dynamicCode: PhpMailRecord['dynamicCode'] = null;
  for (let i = 0; i < 8; i++) {
    const m = DYNAMIC.exec(path);
    if (!m) break;
    path = m[1]!;
    dynamicCode = { kind: m[3]!, line: Number(m[2]) };
  }
  return { path, dynamicCode };
}

const cut = (s: string) => (s.length > MAX_FIELD ? s.slice(0, MAX_FIELD) : s);

/** Parses one mail.log line; null when it is not a mail() record. Reads at most the first 16 KB. */
export function parsePhpMailLogLine(input: string | Buffer, fallbackZone: string, notes?: ZoneNotes): PhpMailRecord | null {
  const text = typeof input === 'string' ? input.slice(0, 16384) : input.toString('utf8', 0, Math.min(input.length, 16384));
  let ts: number | null = null;
  let body = text;
  const p = PREFIX.exec(text);
  if (p) {
    const month = MONTHS[p[2]!];
    if (!month) return null;
    const key = `${p[3]}-${month}-${p[1]} ${p[4]}:${p[5]} ${p[7]} ${fallbackZone}`;
    if (key !== lastMinute.key) lastMinute = { key, ms: toEpoch([+p[3]!, month, +p[1]!, +p[4]!, +p[5]!, 0], p[7]!, fallbackZone) };
    if (notes && zoneRule(p[7]!) === null) notes.unknownZones.set(p[7]!, (notes.unknownZones.get(p[7]!) ?? 0) + 1);
    ts = lastMinute.ms + Number(p[6]) * 1000;
    body = text.slice(p[0].length);
  }
  // Without the prefix (e.g. via syslog) the record may follow another prefix.
  const mark = body.indexOf(MARK);
  if (mark === -1 || (p && mark !== 0)) return null;
  const afterMark = mark + MARK.length;
  const close = body.indexOf(AFTER_PATH, afterMark);
  if (close === -1) return null;
  const where = body.slice(afterMark, close);
  const colon = where.lastIndexOf(':');
  const lineText = where.slice(colon + 1);
  if (colon <= 0 || !/^\d{1,9}$/.test(lineText)) return null;
  const { path, dynamicCode } = splitDynamic(where.slice(0, colon));
  if (path === '') return null;
  const rest = body.slice(close + AFTER_PATH.length);
  // Separators could be forged inside To/Headers/Subject; the first occurrence wins.
  const h = rest.indexOf(HEADERS);
  const s = h === -1 ? -1 : rest.indexOf(SUBJECT, h + HEADERS.length);
  const to = h === -1 ? rest : rest.slice(0, h);
  const headers = h === -1 ? '' : rest.slice(h + HEADERS.length, s === -1 ? undefined : s);
  const subject = s === -1 ? '' : rest.slice(s + SUBJECT.length);
  const origin = findOriginatingScript(headers);
  return {
    ts, path: path.slice(0, 4096), line: Number(lineText), dynamicCode,
    to: cut(to), headers: cut(headers), subject: cut(subject),
    ...(origin ? { originatingScript: origin } : {}),
  };
}
