// One line of a web access log (Apache `combined`/Plesk's `plesklog`, nginx
// `combined`) → a record:
//   IP - USER [03/Feb/2022:22:15:01 +0900] "POST /mail.php HTTP/1.1" 200 123 "referer" "user agent"
// Everything but the IP and the time is chosen by the client: it is cut to a
// length, escapes are decoded only to printable text (control bytes stay
// visible as \xHH, so a crafted user agent cannot drive a terminal), and
// nothing is interpreted beyond splitting the request line.
import { basename } from 'node:path';
import { z } from 'zod';

const CAP = { path: 1024, query: 1024, referrer: 1024, userAgent: 512, user: 128, request: 200 } as const;

export const AccessRecordSchema = z.object({
  ts: z.number().int(),                         // epoch ms (the line carries its own offset)
  ip: z.string().min(1).max(64),
  user: z.string().max(CAP.user * 4).nullable(),
  method: z.string().max(16).nullable(),        // null: not an HTTP request line (TLS bytes on the plain port, junk)
  path: z.string().max(CAP.path * 4).nullable(), // decoded, without the query string; null with method null
  query: z.string().max(CAP.query * 4).nullable(),
  request: z.string().max(CAP.request * 4).nullable(), // the raw request line, kept only when it did not parse
  status: z.number().int().min(0).max(999),
  bytes: z.number().int().nonnegative().nullable(),
  referrer: z.string().max(CAP.referrer * 4).nullable(),
  userAgent: z.string().max(CAP.userAgent * 4).nullable(),
  vhost: z.string().max(253).nullable(),
});
export type AccessRecord = z.infer<typeof AccessRecordSchema>;

/** The vhost of a Plesk log file: `…/system/<domain>/logs/…` (or `…/vhosts/<domain>/logs/…`, or the older `…/<domain>/statistics/logs/…`). */
export function vhostFromLogPath(file: string): string | null {
  const m = /\/system\/([^/]{1,253})\/logs\/[^/]*$/.exec(file)
    ?? /\/([^/]{1,253})\/statistics\/logs\/[^/]*$/.exec(file)
    ?? /\/vhosts\/([^/]{1,253})\/logs\/[^/]*$/.exec(file);      // `<vhosts>/<domain>/logs`: hard links to the system folder
  return m ? m[1]! : null;
}

/** Plesk's nginx writes `proxy_*` logs; Apache behind it writes the same requests again without the prefix. */
export function isProxyLog(file: string): boolean {
  return basename(file).startsWith('proxy_');
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const TIME = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\] "/;
const IP = /^[0-9A-Za-z:._%-]{1,64}$/;

function hex2(n: number): string {
  return `\\x${n.toString(16).padStart(2, '0')}`;
}

/** Decoded text of a logged field, with control characters (C0, DEL, C1) shown as \xHH. */
export function showableText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => hex2(c.charCodeAt(0)));
}

/** Apache (`\"`, `\\`, `\xhh`, `\n`…) and nginx (`\xHH`) log escapes → text. */
export function unescapeLogField(raw: string): string {
  if (!raw.includes('\\')) return showableText(raw);
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x5c && i + 1 < raw.length) {
      const n = raw[i + 1]!;
      const h = n === 'x' ? raw.slice(i + 2, i + 4) : '';
      if (h.length === 2 && /^[0-9A-Fa-f]{2}$/.test(h)) { bytes.push(parseInt(h, 16)); i += 3; continue; }
      const simple = ({ '"': 0x22, '\\': 0x5c, n: 0x0a, t: 0x09, r: 0x0d, v: 0x0b } as Record<string, number>)[n];
      if (simple !== undefined) { bytes.push(simple); i += 1; continue; }
    }
    if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(raw[i]!, 'utf8')) bytes.push(b);
  }
  return showableText(decodeBytes(Buffer.from(bytes)));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text, or — when the bytes are not valid UTF-8 — ASCII with every other byte shown as \xHH. */
function decodeBytes(buf: Buffer): string {
  try {
    return strictUtf8.decode(buf);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    let out = '';
    for (const b of buf) out += b < 0x80 ? String.fromCharCode(b) : hex2(b);
    return out;
  }
}

/** Index of the closing quote of a quoted field starting at `open` (a `"`), honouring backslash escapes; -1 if none. */
function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return -1;
}

function decodePath(raw: string): string {
  // Most paths need no work: nothing escaped, no dot segments, no doubled slashes.
  if (!raw.includes('%') && !raw.includes('/.') && !raw.includes('//')) return showableText(raw).slice(0, CAP.path);
  let p = raw;
  if (p.includes('%')) {
    try {
      p = decodeURIComponent(p);
    } catch (err) {
      // A malformed escape (URIError) is kept as sent; nothing else can be thrown here.
      if (!(err instanceof URIError)) throw err;
    }
  }
  // Resolve `.`/`..` and `//` the way the web server maps the URL to a file.
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const trailing = p.endsWith('/') && out.length ? '/' : '';
  return showableText(`/${out.join('/')}${trailing}`).slice(0, CAP.path);
}

type Request = { method: string | null; path: string | null; query: string | null; request: string | null };

function splitRequest(raw: string): Request {
  const line = unescapeLogField(raw.slice(0, 4 * CAP.path));
  const garbage = { method: null, path: null, query: null, request: line.slice(0, CAP.request) };
  const first = line.indexOf(' ');
  const last = line.lastIndexOf(' ');
  if (first <= 0) return garbage;
  const method = line.slice(0, first);
  if (!/^[A-Z][A-Z0-9_-]{0,15}$/.test(method)) return garbage;
  const hasProto = last > first && line.slice(last + 1).startsWith('HTTP/');
  let target = hasProto ? line.slice(first + 1, last) : line.slice(first + 1);
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]{0,15}:\/\/[^/?#]*/.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  if (!target.startsWith('/')) return { method, path: null, query: null, request: line.slice(0, CAP.request) };
  const q = target.indexOf('?');
  return {
    method,
    path: decodePath(q === -1 ? target : target.slice(0, q)),
    query: q === -1 ? null : target.slice(q + 1, q + 1 + CAP.query),
    request: null,
  };
}

function quotedOrNull(text: string, at: number, cap: number): { value: string | null; end: number } | null {
  if (text[at] !== '"') return null;
  const end = closingQuote(text, at);
  if (end === -1) return null;
  const raw = text.slice(at + 1, end);
  return { value: raw === '-' || raw === '' ? null : unescapeLogField(raw.slice(0, cap * 4)).slice(0, cap), end };
}

/** Parses one access-log line (first 16 KB); null when it is not a combined/common line. */
export function parseAccessLogLine(input: string | Buffer, vhost: string | null): AccessRecord | null {
  const text = typeof input === 'string' ? input.slice(0, 16384) : input.toString('utf8', 0, Math.min(input.length, 16384));
  const sp = text.indexOf(' ');
  if (sp <= 0 || !IP.test(text.slice(0, sp))) return null;
  // The user name is the client's to choose and may hold spaces or brackets:
  // the timestamp is the first ` [` followed by a well-formed time.
  let b = sp;
  let t: RegExpExecArray | null = null;
  for (let tries = 0; tries < 8 && !t; tries++) {
    b = text.indexOf(' [', b + 1);
    if (b === -1 || b > 1024) return null;
    t = TIME.exec(text.slice(b + 2, b + 2 + 30));
  }
  if (!t) return null;
  const month = MONTHS[t[2]!];
  if (month === undefined) return null;
  const offset = (Number(t[8]) * 60 + Number(t[9])) * (t[7] === '-' ? -1 : 1);
  const ts = Date.UTC(+t[3]!, month, +t[1]!, +t[4]!, +t[5]!, +t[6]!) - offset * 60_000;
  const ids = text.slice(sp + 1, b);
  const userRaw = ids.slice(ids.indexOf(' ') + 1);
  const reqStart = b + 2 + t[0].length - 1;
  const reqEnd = closingQuote(text, reqStart);
  if (reqEnd === -1) return null;
  const tail = /^ (\d{3}) (\d{1,15}|-)(?: |$)/.exec(text.slice(reqEnd + 1, reqEnd + 40));
  if (!tail) return null;
  const request = splitRequest(text.slice(reqStart + 1, reqEnd));
  const at = reqEnd + 1 + tail[0].length;
  const ref = quotedOrNull(text, at, CAP.referrer);
  const ua = ref ? quotedOrNull(text, ref.end + 2, CAP.userAgent) : null;
  return {
    ts, ip: text.slice(0, sp),
    user: ids.includes(' ') && userRaw !== '-' && userRaw !== '' ? unescapeLogField(userRaw.slice(0, CAP.user)) : null,
    ...request,
    status: Number(tail[1]),
    bytes: tail[2] === '-' ? null : Number(tail[2]),
    referrer: ref?.value ?? null,
    userAgent: ua?.value ?? null,
    vhost,
  };
}
