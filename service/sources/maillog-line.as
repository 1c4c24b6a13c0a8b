// AssemblyScript: the maillog line parser of maillog-line.ts and
// postfix-message.ts, compiled to WebAssembly (docs/decisions/021). It reads
// the same bytes and decides the same way, line for line; the TypeScript
// parser stays the reference (test/sources/maillog-wasm.test.ts compares the
// two on every fixture log and on mutated lines) and the fallback.
//
// The JavaScript side (maillog-wasm.ts) owns the layout of this module's
// memory: it reads the log into it, calls scan() over a chunk and takes each
// line that yields an event (or does not parse) from the event slots. Memory
// never grows: a grown memory detaches its ArrayBuffer, and one detach makes
// V8 check every typed array access of the thread (decision 020).
//
// Functions keep the names and the order of decisions of their TypeScript
// twins; a change to one must be made to the other (the comparison test fails
// otherwise).

// What the parser made of a line (LINE in maillog-event.ts), and scan()'s own codes.
const OTHER: i32 = 0;
const INFO: i32 = 1;
const EVENT: i32 = 2;
const UNPARSED: i32 = 3;
const OVERLONG: i32 = 4;
const END: i32 = 5;

// Event kinds, in the order of EVENT_KINDS (maillog-event.ts).
const PICKUP: f64 = 0; const CLIENT: f64 = 1; const QUEUED: f64 = 2; const EXPIRED: f64 = 3; const DELIVERY: f64 = 4;
const REMOVED: f64 = 5; const REJECT_: f64 = 6; const HEADER: f64 = 7; const HANDLER: f64 = 8;
// Delivery statuses, in the order of DELIVERY_STATUSES.
const ST_SENT: f64 = 0; const ST_DEFERRED: f64 = 1; const ST_BOUNCED: f64 = 2; const ST_EXPIRED: f64 = 3; const ST_OTHER: f64 = 4;

// The event slots (f64 each; SLOT in maillog-wasm.ts names them). A queue key is three slots:
// the number of a short hex ID, or -1 and the ID's [start, end) (a text key), or -2 (none).
const SLOTS: usize = memory.data(64 * 8, 8);
const S_KIND = 0; const S_Q = 1; const S_UID = 4; const S_NRCPT = 5; const S_SIZE = 6; const S_STATUS = 7;
const S_MILTER = 8; const S_COMMAND = 9; const S_LIMIT = 10; const S_ORIG = 11; const S_QUEUED_AS = 14;
const S_FROM = 17; const S_IP = 19; const S_SASL = 21; const S_NAME = 23; const S_VALUE = 25;
const S_RFC = 27; const S_Y = 28; const S_MO = 29; const S_D = 30; const S_H = 31; const S_MI = 32; const S_S = 33; const S_MS = 34; const S_OFFSET = 35;
// scan()'s results: the line's [start, end), where the next line starts, lines passed over before it.
const S_LINE_START = 40; const S_LINE_END = 41; const S_NEXT = 42; const S_PASSED = 43;
const NO_KEY: f64 = -2;
const TEXT_KEY: f64 = -1;

const FIELD_CAP: i32 = 512;
const QUEUE_ID_MAX: i32 = 24;
const MAX_HEX: i32 = 12;

/** Where the slots are (maillog-wasm.ts reads them through a Float64Array). */
export function slots(): usize {
  return SLOTS;
}

/** The first byte the JavaScript side may use: everything before it is this module's own. */
export function freeFrom(): usize {
  return __heap_base;
}

@inline function set(slot: i32, v: f64): void {
  store<f64>(SLOTS + (<usize>slot << 3), v);
}

@inline function at(i: i32): i32 {
  return <i32>load<u8>(<usize>i);
}

@inline function isDigit(c: i32): bool {
  return c >= 48 && c <= 57;
}

@inline function d2(i: i32): i32 {
  return (at(i) - 48) * 10 + (at(i + 1) - 48);
}

// Byte-class tables (postfix-message.ts, queue-key.ts), filled when the module starts.
const SHORT: usize = memory.data(256);
const LONG: usize = memory.data(256);
const ALNUM: usize = memory.data(256);
const HEX: usize = memory.data(256);
const MONTH_DAYS: usize = memory.data<u8>([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);

function fillClass(table: usize, chars: string): void {
  for (let i = 0; i < chars.length; i++) store<u8>(table + <usize>chars.charCodeAt(i), 1);
}

fillClass(SHORT, '0123456789ABCDEF');
fillClass(ALNUM, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
fillClass(LONG, '0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz');
memory.fill(HEX, 255, 256);
for (let i = 0; i < 16; i++) store<u8>(HEX + <usize>'0123456789ABCDEF'.charCodeAt(i), <u8>i);

// The keywords, as in postfix-message.ts's K (ASCII; compared with the UTF-16 units of the literal).
const POSTFIX = 'postfix';
const PSA_PC_REMOTE = 'psa-pc-remote';
const PLESK_SENDMAIL = 'plesk-sendmail';
const DURING_CALL = " during call '";
const HANDLER_END = "' handler";
// OMC_LIMIT_TEXT (maillog-event.ts); the comparison test fails if the two differ.
const LIMIT = 'The limit on the number of allowed outgoing messages was exceeded';

// ---- bytes.ts

// Keywords are compared eight characters at a time: eight bytes of the line, zero-extended to
// 16 bits, against eight UTF-16 units of the literal. Loads may reach past the line's end or the
// literal's (within this memory); only the lanes inside both are compared.
function hasAt(p: i32, to: i32, needle: string): bool {
  const n = needle.length;
  if (p < 0 || p + n > to) return false;
  const s = changetype<usize>(needle);
  for (let i = 0; i < n; i += 8) {
    const same = i16x8.bitmask(i16x8.eq(v128.load8x8_u(<usize>(p + i)), v128.load(s + (<usize>i << 1))));
    const want = (1 << min(n - i, 8)) - 1;
    if ((same & want) != want) return false;
  }
  return true;
}

/** The first index of `needle` in [from, to), or -1: candidates (its first byte) found sixteen bytes at a time. */
function findBytes(from: i32, to: i32, needle: string): i32 {
  const n = needle.length;
  if (n == 0) return from;
  const first = <i32>load<u16>(changetype<usize>(needle));
  const last = to - n;
  const f = i8x16.splat(<i8>first);
  let i = from;
  for (; i + 15 <= last; i += 16) {
    let hits = i8x16.bitmask(i8x16.eq(v128.load(<usize>i), f));
    while (hits != 0) {
      const j = i + ctz(hits);
      if (hasAt(j, to, needle)) return j;
      hits &= hits - 1;
    }
  }
  for (; i <= last; i++) if (at(i) == first && hasAt(i, to, needle)) return i;
  return -1;
}

function findLastBytes(from: i32, to: i32, needle: string): i32 {
  for (let i = to - needle.length; i >= from; i--) if (hasAt(i, to, needle)) return i;
  return -1;
}

/** The first index of byte `b` in [from, to), or -1: sixteen bytes at a time. */
function findByte(from: i32, to: i32, b: i32): i32 {
  const v = i8x16.splat(<i8>b);
  let i = from;
  for (; i + 16 <= to; i += 16) {
    const hits = i8x16.bitmask(i8x16.eq(v128.load(<usize>i), v));
    if (hits != 0) return i + ctz(hits);
  }
  for (; i < to; i++) if (at(i) == b) return i;
  return -1;
}

let uintEnd: i32 = 0;

function readUint(p: i32, to: i32): f64 {
  let v: f64 = 0;
  let i = p;
  while (i < to && i - p < 15) {
    const c = at(i);
    if (c < 48 || c > 57) break;
    v = v * 10 + <f64>(c - 48);
    i++;
  }
  uintEnd = i;
  return i == p ? -1 : v;
}

// ---- queue-key.ts: queueKeyAt, into three slots from `slot`

function keyAt(slot: i32, start: i32, end: i32): void {
  const n = end - start;
  if (n > 0 && n <= MAX_HEX) {
    // At most 12 hex digits and the length: 52 bits, exact in an f64.
    let v: u64 = 0;
    let i = start;
    for (; i < end; i++) {
      const d = <u64>load<u8>(HEX + <usize>at(i));
      if (d == 255) break;
      v = (v << 4) | d;
    }
    if (i == end) {
      set(slot, <f64>((v << 4) | <u64>n));
      return;
    }
  }
  set(slot, TEXT_KEY);
  set(slot + 1, <f64>start);
  set(slot + 2, <f64>end);
}

// ---- maillog-event.ts: resetMaillogEvent (the timestamp slots are written for events only)

function reset(kind: f64): void {
  set(S_KIND, kind);
  set(S_Q, NO_KEY);
  set(S_UID, -1);
  set(S_NRCPT, -1);
  set(S_SIZE, -1);
  set(S_STATUS, ST_OTHER);
  set(S_MILTER, 0);
  set(S_COMMAND, 0);
  set(S_LIMIT, 0);
  set(S_ORIG, NO_KEY);
  set(S_QUEUED_AS, NO_KEY);
  for (let i = S_FROM; i < S_VALUE + 2; i++) set(i, 0);
}

function range(slot: i32, start: i32, end: i32): void {
  set(slot, <f64>start);
  set(slot + 1, <f64>end);
}

@inline function cap(s: i32, e: i32): i32 {
  return min(e, s + FIELD_CAP);
}

// ---- maillog-line.ts

function monthOf(a: i32, b: i32, c: i32): i32 {
  switch (a) {
    case 74: return b == 97 && c == 110 ? 1 : b == 117 ? (c == 110 ? 6 : c == 108 ? 7 : 0) : 0;
    case 70: return b == 101 && c == 98 ? 2 : 0;
    case 77: return b == 97 ? (c == 114 ? 3 : c == 121 ? 5 : 0) : 0;
    case 65: return b == 112 && c == 114 ? 4 : b == 117 && c == 103 ? 8 : 0;
    case 83: return b == 101 && c == 112 ? 9 : 0;
    case 79: return b == 99 && c == 116 ? 10 : 0;
    case 78: return b == 111 && c == 118 ? 11 : 0;
    case 68: return b == 101 && c == 99 ? 12 : 0;
    default: return 0;
  }
}

let rfc = 0; let mo = 0; let d = 0; let h = 0; let mi = 0; let s = 0;
let y = 0; let ms: f64 = 0; let offsetMin = 0;

function readClock(p: i32, end: i32): i32 {
  if (p + 8 > end || at(p + 2) != 58 || at(p + 5) != 58) return -1;
  if (!isDigit(at(p)) || !isDigit(at(p + 1)) || !isDigit(at(p + 3)) || !isDigit(at(p + 4))) return -1;
  if (!isDigit(at(p + 6)) || !isDigit(at(p + 7))) return -1;
  h = d2(p);
  mi = d2(p + 3);
  s = d2(p + 6);
  return h > 23 || mi > 59 || s > 60 ? -1 : p + 8;
}

// The timestamp of the last line that had one, as bytes up to the host (the space after it
// included): most lines share their second with the line before (a message logs several lines at
// once). Its fields are still in the globals above; a line that starts with the same bytes has the
// same fields and the host at the same place, so those bytes are compared instead of parsed again.
const LAST_TIMESTAMP: usize = memory.data(64 + 16, 16);
let lastLength = 0;        // 0: none (a failed read may have left the globals half written)

function readTimestamp(start: i32, end: i32): i32 {
  if (end - start < 20) return -1;
  const n = lastLength;
  if (n > 0 && start + n <= end && sameBytes(start, LAST_TIMESTAMP, n)) return start + n;
  const host = parseTimestamp(start, end);
  lastLength = host > 0 && host - start <= 64 ? host - start : 0;
  if (lastLength > 0) memory.copy(LAST_TIMESTAMP, <usize>start, <usize>lastLength);
  return host;
}

function sameBytes(a: i32, b: usize, n: i32): bool {
  for (let i = 0; i < n; i += 16) {
    const same = i8x16.bitmask(i8x16.eq(v128.load(<usize>(a + i)), v128.load(b + <usize>i)));
    const want = n - i >= 16 ? 0xffff : (1 << (n - i)) - 1;
    if ((same & want) != want) return false;
  }
  return true;
}

function parseTimestamp(start: i32, end: i32): i32 {
  const c0 = at(start);
  let p: i32;
  if (isDigit(c0)) {
    if (at(start + 4) != 45 || at(start + 7) != 45 || (at(start + 10) != 84 && at(start + 10) != 32)) return -1;
    if (!isDigit(at(start)) || !isDigit(at(start + 1)) || !isDigit(at(start + 2)) || !isDigit(at(start + 3))) return -1;
    if (!isDigit(at(start + 5)) || !isDigit(at(start + 6)) || !isDigit(at(start + 8)) || !isDigit(at(start + 9))) return -1;
    y = d2(start) * 100 + d2(start + 2);
    mo = d2(start + 5);
    d = d2(start + 8);
    p = readClock(start + 11, end);
    if (p < 0) return -1;
    ms = 0;
    if (at(p) == 46) {
      let q = p + 1;
      let scale: f64 = 100;
      while (q < end && isDigit(at(q))) {
        if (scale >= 1) ms += <f64>(at(q) - 48) * scale;
        scale /= 10;
        q++;
      }
      ms = Math.floor(ms);
      p = q;
    }
    if (at(p) == 90) {
      offsetMin = 0;
      p++;
    } else if (at(p) == 43 || at(p) == 45) {
      const sign = at(p) == 45 ? -1 : 1;
      if (!isDigit(at(p + 1)) || !isDigit(at(p + 2))) return -1;
      const colon = at(p + 3) == 58 ? 1 : 0;
      if (!isDigit(at(p + 3 + colon)) || !isDigit(at(p + 4 + colon))) return -1;
      offsetMin = sign * (d2(p + 1) * 60 + d2(p + 3 + colon));
      p += 5 + colon;
    } else {
      return -1;
    }
    rfc = 1;
  } else {
    mo = monthOf(c0, at(start + 1), at(start + 2));
    if (mo == 0 || at(start + 3) != 32) return -1;
    p = start + 4;
    if (at(p) == 32) p++;
    if (!isDigit(at(p))) return -1;
    d = at(p) - 48;
    p++;
    if (isDigit(at(p))) d = d * 10 + at(p++) - 48;
    if (at(p) != 32) return -1;
    p = readClock(p + 1, end);
    if (p < 0) return -1;
    // TypeScript reads on past the line's end here; the bytes there cannot change the outcome (it is
    // UNPARSED either way), and this memory has no newline to stop at in its carry area: bounded.
    if (at(p) == 46) {
      p++;
      while (p < end && isDigit(at(p))) p++;
    }
    rfc = 0;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > <i32>load<u8>(MONTH_DAYS + <usize>mo) || at(p) != 32) return -1;
  return p + 1;
}

function endsWith(from: i32, to: i32, needle: string): bool {
  return to - from >= needle.length && hasAt(to - needle.length, to, needle);
}

/** maillog-line.ts parseHandler. */
function parseHandler(msg: i32, end: i32): i32 {
  const sp = findByte(msg, min(end, msg + 8), 32);
  if (sp < 0 || !hasAt(sp, end, DURING_CALL)) return INFO;
  // VERDICTS, searched from the last as the TypeScript loop does: PASS SKIP REJECT DEFER STOP.
  const n = sp - msg;
  let v = -1;
  if (n == 4 && hasAt(msg, sp, 'STOP')) v = 4;
  else if (n == 5 && hasAt(msg, sp, 'DEFER')) v = 3;
  else if (n == 6 && hasAt(msg, sp, 'REJECT')) v = 2;
  else if (n == 4 && hasAt(msg, sp, 'SKIP')) v = 1;
  else if (n == 4 && hasAt(msg, sp, 'PASS')) v = 0;
  const nameStart = sp + DURING_CALL.length;
  const nameEnd = findByte(nameStart, min(end, nameStart + 64), 39);
  if (v < 0 || nameEnd <= nameStart || !hasAt(nameEnd, end, HANDLER_END)) return UNPARSED;
  if (v < 2) return INFO;
  reset(HANDLER);
  range(S_VALUE, msg, sp);
  range(S_NAME, nameStart, nameEnd);
  return EVENT;
}

/** maillog-line.ts parseSendmail. */
function parseSendmail(msg: i32, end: i32): i32 {
  if (findBytes(msg, end, LIMIT) >= 0) {
    reset(REJECT_);
    set(S_LIMIT, 1);
    return EVENT;
  }
  return parseHandler(msg, end);
}

// ---- postfix-message.ts

function queueIdEnd(p: i32, end: i32): i32 {
  let short = true;
  let long = true;
  let z = false;
  let i = p;
  for (; i < end && i - p <= 20; i++) {
    const c = at(i);
    if (c == 58) break;
    short = short && load<u8>(SHORT + <usize>c) == 1;
    long = long && load<u8>(LONG + <usize>c) == 1;
    if (c == 122) z = true;
    if (!short && !long) return -1;
  }
  const n = i - p;
  if (n < 5 || n > 20 || at(i) != 58 || at(i + 1) != 32) return -1;
  return short || (long && z) ? i : -1;
}

/** The queue key of the line, [m, qe), or none (qe < 0). */
function queueKey(m: i32, qe: i32): void {
  if (qe < 0) set(S_Q, NO_KEY);
  else keyAt(S_Q, m, qe);
}

function parsePostfixMessage(m: i32, end: i32): i32 {
  if (m >= end) return UNPARSED;
  if (hasAt(m, end, 'NOQUEUE: ')) {
    const k = m + 9;
    if (hasAt(k, end, 'reject: ') || hasAt(k, end, 'milter-reject: ')) return parseReject(k, end, m, -1);
    return INFO;
  }
  const qe = queueIdEnd(m, end);
  if (qe < 0) return INFO;
  const k = qe + 2;
  switch (at(k)) {
    case 99: // c
      return hasAt(k, end, 'client=') ? parseClient(k + 7, end, m, qe) : INFO;
    case 117: // u
      return hasAt(k, end, 'uid=') ? parsePickup(k + 4, end, m, qe) : INFO;
    case 102: // f
      return hasAt(k, end, 'from=<') ? parseQmgr(k + 6, end, m, qe) : INFO;
    case 116: // t
      return hasAt(k, end, 'to=<') ? parseDelivery(k, end, m, qe) : INFO;
    case 114: // r
      if (hasAt(k, end, 'removed') && k + 7 == end) {
        reset(REMOVED);
        queueKey(m, qe);
        return EVENT;
      }
      return hasAt(k, end, 'reject: ') ? parseReject(k, end, m, qe) : INFO;
    case 109: // m
      return hasAt(k, end, 'milter-reject: ') ? parseReject(k, end, m, qe) : INFO;
    case 119: // w
      return hasAt(k, end, 'warning: header ') ? parseHeader(k + 16, end, m, qe) : INFO;
    case 105: // i
      return hasAt(k, end, 'info: header ') ? parseHeader(k + 13, end, m, qe) : INFO;
    default:
      return INFO;
  }
}

function parseClient(p: i32, end: i32, m: i32, qe: i32): i32 {
  const open = findByte(p, end, 91);
  const close = open < 0 ? -1 : findByte(open + 1, end, 93);
  if (close < 0 || close - open < 2 || close - open > 64) return UNPARSED;
  reset(CLIENT);
  queueKey(m, qe);
  range(S_IP, open + 1, close);
  if (close + 1 < end) {
    const sasl = findBytes(close + 1, end, ', sasl_username=');
    if (sasl >= 0) {
      const v = sasl + 16;
      const ve = findBytes(v, end, ', ');
      range(S_SASL, v, cap(v, ve < 0 ? end : ve));
    }
    const o = findBytes(close + 1, end, ', orig_queue_id=');
    if (o >= 0) {
      const v = o + 16;
      const ve = findBytes(v, end, ', ');
      keyAt(S_ORIG, v, min(ve < 0 ? end : ve, v + QUEUE_ID_MAX));
    }
  }
  return EVENT;
}

function parsePickup(p: i32, end: i32, m: i32, qe: i32): i32 {
  const uid = readUint(p, end);
  if (uid < 0 || !hasAt(uintEnd, end, ' from=<') || at(end - 1) != 62) return UNPARSED;
  reset(PICKUP);
  queueKey(m, qe);
  set(S_UID, uid);
  const from = uintEnd + 7;
  range(S_FROM, from, cap(from, end - 1));
  return EVENT;
}

function parseQmgr(p: i32, end: i32, m: i32, qe: i32): i32 {
  const gt = findBytes(p, end, '>, ');
  if (gt < 0) return UNPARSED;
  const r = gt + 3;
  if (hasAt(r, end, 'size=')) {
    const size = readUint(r + 5, end);
    if (size < 0 || !hasAt(uintEnd, end, ', nrcpt=')) return UNPARSED;
    const nrcpt = readUint(uintEnd + 8, end);
    if (nrcpt < 0) return UNPARSED;
    reset(QUEUED);
    queueKey(m, qe);
    set(S_SIZE, size);
    set(S_NRCPT, nrcpt);
  } else if (hasAt(r, end, 'status=')) {
    const w = r + 7;
    if (!hasAt(w, end, 'expired') && !hasAt(w, end, 'force-expired')) return UNPARSED;
    reset(EXPIRED);
    queueKey(m, qe);
  } else {
    return UNPARSED;
  }
  range(S_FROM, p, cap(p, gt));
  return EVENT;
}

function parseDelivery(k: i32, end: i32, m: i32, qe: i32): i32 {
  const st = findBytes(k, end, ', status=');
  if (st < 0) return UNPARSED;
  const w = st + 9;
  reset(DELIVERY);
  queueKey(m, qe);
  if (hasAt(w, end, 'sent')) {
    set(S_STATUS, ST_SENT);
    const q = findBytes(w, end, 'queued as ');
    if (q >= 0) {
      const v = q + 10;
      let e = v;
      while (e < end && e - v < QUEUE_ID_MAX && load<u8>(ALNUM + <usize>at(e)) == 1) e++;
      if (e - v >= 5) keyAt(S_QUEUED_AS, v, e);
    }
  } else if (hasAt(w, end, 'deferred')) set(S_STATUS, ST_DEFERRED);
  else if (hasAt(w, end, 'bounced')) set(S_STATUS, ST_BOUNCED);
  else if (hasAt(w, end, 'expired')) set(S_STATUS, ST_EXPIRED);
  return EVENT;
}

function parseReject(k: i32, end: i32, m: i32, qe: i32): i32 {
  const milter = at(k) == 109;
  const r = k + (milter ? 15 : 8);
  if (r >= end) return UNPARSED;
  reset(REJECT_);
  queueKey(m, qe);
  set(S_MILTER, milter ? 1 : 0);
  if (hasAt(r, end, 'RCPT ') || hasAt(r, end, 'MAIL ') || hasAt(r, end, 'CONNECT ') || hasAt(r, end, 'HELO ')
    || hasAt(r, end, 'EHLO ') || hasAt(r, end, 'VRFY ') || hasAt(r, end, 'ETRN ') || hasAt(r, end, 'AUTH ')) set(S_COMMAND, 1);
  set(S_LIMIT, findBytes(r, end, LIMIT) >= 0 ? 1 : 0);
  const f = findBytes(r, end, '; from=<');
  if (f >= 0) {
    const v = f + 8;
    const ve = findByte(v, end, 62);
    if (ve >= 0) range(S_FROM, v, cap(v, ve));
  }
  return EVENT;
}

function parseHeader(p: i32, end: i32, m: i32, qe: i32): i32 {
  const colon = findByte(p, min(end, p + 128), 58);
  if (colon <= p || at(colon + 1) != 32) return UNPARSED;
  const v = colon + 2;
  const semi = findBytes(v, end, '; from=<');
  const ve = semi < 0 ? end : findLastBytes(v, semi, ' from ');
  reset(HEADER);
  queueKey(m, qe);
  range(S_NAME, p, colon);
  range(S_VALUE, v, cap(v, ve < 0 ? semi : ve));
  return EVENT;
}

// ---- the line, and the chunk

/** The end of the program name at `p`: the first '[', ':' or ' ' (or `end`), sixteen bytes at a time. */
function programEnd(p: i32, end: i32): i32 {
  const open = i8x16.splat(91);
  const colon = i8x16.splat(58);
  const space = i8x16.splat(32);
  let i = p;
  for (; i + 16 <= end; i += 16) {
    const v = v128.load(<usize>i);
    const hits = i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, open), i8x16.eq(v, colon)), i8x16.eq(v, space)));
    if (hits != 0) return i + ctz(hits);
  }
  for (; i < end; i++) {
    const c = at(i);
    if (c == 91 || c == 58 || c == 32) return i;
  }
  return end;
}

/** MaillogLineParser.parse for the line at [start, end) of this memory. */
export function parse(start: i32, end: i32): i32 {
  if (end == start) return OTHER;
  let p = readTimestamp(start, end);
  if (p < 0) return UNPARSED;
  const hostEnd = findByte(p, end, 32);
  if (hostEnd <= p) return UNPARSED;
  const prog = hostEnd + 1;
  p = programEnd(prog, end);
  const progEnd = p;
  let msg = -1;
  if (at(p) == 91) {
    const close = findByte(p + 1, min(end, p + 24), 93);
    if (close > 0 && at(close + 1) == 58) msg = close + 2;
  } else if (at(p) == 58) {
    msg = p + 1;
  }
  const postfix = hasAt(prog, progEnd, POSTFIX) && (progEnd == prog + 7 || at(prog + 7) == 47 || at(prog + 7) == 45);
  if (msg < 0) return postfix ? UNPARSED : OTHER;
  if (at(msg) == 32) msg++;
  let r: i32;
  if (postfix) r = parsePostfixMessage(msg, end);
  else if (endsWith(prog, progEnd, PSA_PC_REMOTE)) r = parseHandler(msg, end);
  else if (endsWith(prog, progEnd, PLESK_SENDMAIL)) r = parseSendmail(msg, end);
  else return OTHER;
  if (r == EVENT) {
    set(S_RFC, rfc);
    set(S_Y, y);
    set(S_MO, mo);
    set(S_D, d);
    set(S_H, h);
    set(S_MI, mi);
    set(S_S, s);
    set(S_MS, ms);
    set(S_OFFSET, offsetMin);
  }
  return r;
}

/** The first newline in [from, to), or -1: sixteen bytes at a time. */
function newline(from: i32, to: i32): i32 {
  let i = from;
  const nl = i8x16.splat(10);
  while (i + 16 <= to) {
    const hits = i8x16.bitmask(i8x16.eq(v128.load(<usize>i), nl));
    if (hits != 0) return i + ctz(hits);
    i += 16;
  }
  while (i < to) {
    if (at(i) == 10) return i;
    i++;
  }
  return -1;
}

/**
 * The lines that start in [pos, end), as LineSplitter.push and readUnit see them: lines that say
 * nothing (OTHER, INFO; empty lines too) are only counted (S_PASSED); scan stops at the first line
 * that yields an event or does not parse (its bytes at S_LINE_START/END, a CR before the newline
 * left out), at one longer than `maxLine` (OVERLONG, its bytes to the newline), or at a line with
 * no newline before `end` (END). S_NEXT: where the next line starts (END: where the unfinished one does).
 */
export function scan(pos: i32, end: i32, maxLine: i32): i32 {
  let passed = 0;
  let start = pos;
  while (true) {
    const nl = newline(start, end);
    if (nl < 0) {
      set(S_NEXT, start);
      set(S_PASSED, passed);
      return END;
    }
    set(S_NEXT, nl + 1);
    if (nl - start > maxLine) {
      range(S_LINE_START, start, nl);
      set(S_PASSED, passed);
      return OVERLONG;
    }
    const e = nl > start && at(nl - 1) == 13 ? nl - 1 : nl;
    const r = parse(start, e);
    if (r == EVENT || r == UNPARSED) {
      range(S_LINE_START, start, e);
      set(S_PASSED, passed);
      return r;
    }
    passed++;
    start = nl + 1;
  }
  return END;   // not reached: the loop returns
}

// ---- the worker's batches (maillog-event-codec.ts's format, written here)

// EventBatchWriter.write's encoding of an event, into arrays in this memory that maillog-wasm.ts
// (WasmEventWriter) places, fills in turn with JavaScript-written events, and copies out. The time
// of each event is left to JavaScript (the year inference and the zone are there): a record per
// event says where its time goes and the timestamp's fields, or that they are the previous record's.
// Where the batch's numbers (f64), text bytes, time records (i32) and text table are (batchInit),
// its limits, and how far it is written.
let batchNums = 0; let batchBytes = 0; let batchTimes = 0; let batchTexts = 0; let maxEvents = 0; let byteCap = 0;
let numsWritten = 0; let bytesWritten = 0; let events = 0;
// The text table (maillog-event-codec.ts TextSlots): per slot the value's bytes (TEXT_WIDTH at most),
// then per slot its length (-1: empty) and its decoding (1 UTF-8, 0 Latin-1).
const TEXT_SLOTS: i32 = 1 << 15;
const TEXT_WIDTH: i32 = 48;
const UNCACHED: f64 = -1;
const TIME_INTS = 10;                       // per record: nums index, rfc (-1: as the record before), y mo d h mi s ms offset
const BYTES_PER_EVENT: i32 = 2 * FIELD_CAP + 2 * QUEUE_ID_MAX;    // maillog-event-codec.ts
// Flags of the head number (maillog-event-codec.ts).
const MILTER: i32 = 16; const COMMAND: i32 = 32; const LIMIT_FLAG: i32 = 64; const STATUS_SHIFT: i32 = 8;

/** Where the batch's numbers (f64), bytes, time records (i32) and text table go, and the batch's limits. */
export function batchInit(nums: i32, bytes: i32, times: i32, texts: i32, events_: i32, bytes_: i32): void {
  batchNums = nums;
  batchBytes = bytes;
  batchTimes = times;
  batchTexts = texts;
  maxEvents = events_;
  byteCap = bytes_;
  // An empty table, as the reader's copy starts.
  memory.fill(<usize>texts + <usize>(TEXT_SLOTS * TEXT_WIDTH), 0xff, <usize>(TEXT_SLOTS * 4));
  batchStart();
}

/** The batch as JavaScript left it after writing an event itself (numbers, bytes, events written). */
export function batchSet(n: i32, b: i32, count: i32): void {
  numsWritten = n;
  bytesWritten = b;
  events = count;
}

export function batchNumbers(): i32 {
  return numsWritten;
}

export function batchByteCount(): i32 {
  return bytesWritten;
}

export function batchEvents(): i32 {
  return events;
}

/** Time records written (one per event the module wrote). */
export function batchRecords(): i32 {
  return records;
}

let records = 0;
let lastTime = false;       // a record was written since batchStart (the next may say "as before")

/** A new batch: no events, no records. */
export function batchStart(): void {
  batchSet(0, 0, 0);
  records = 0;
  lastTime = false;
}

@inline function num(v: f64): void {
  store<f64>(<usize>batchNums + (<usize>numsWritten << 3), v);
  numsWritten++;
}

function copyOut(start: i32, end: i32): void {
  memory.copy(<usize>(batchBytes + bytesWritten), <usize>start, <usize>(end - start));
  bytesWritten += end - start;
}

/** A text field: its length, then its bytes. */
function textOut(slot: i32): void {
  const s = <i32>load<f64>(SLOTS + (<usize>slot << 3));
  const e = <i32>load<f64>(SLOTS + (<usize>(slot + 1) << 3));
  num(<f64>(e - s));
  copyOut(s, e);
}

/**
 * A value the reader keeps as a string (envelope sender, client IP, SASL name): as textOut, then its
 * slot in the text table: the slot that holds it already, a new value for a slot (-(slot + 2)), or
 * UNCACHED for one longer than the table's width. TextCache's hash and slot (text-cache.ts).
 */
function valueOut(slot: i32, utf8: i32): void {
  const s = <i32>load<f64>(SLOTS + (<usize>slot << 3));
  const e = <i32>load<f64>(SLOTS + (<usize>(slot + 1) << 3));
  const n = e - s;
  num(<f64>n);
  copyOut(s, e);
  if (n == 0 || n > TEXT_WIDTH) {
    num(UNCACHED);
    return;
  }
  let h: i32 = 0x811c9dc5 ^ n;
  for (let i = s; i < e; i++) h = (h ^ at(i)) * 0x01000193;
  const k = (h ^ <i32>(<u32>h >> 15)) & (TEXT_SLOTS - 1);
  const texts = <usize>batchTexts;
  const row = texts + <usize>(k * TEXT_WIDTH);
  const meta = texts + <usize>(TEXT_SLOTS * TEXT_WIDTH) + (<usize>k << 2);
  const tag = n | (utf8 << 8);       // length and decoding: -1 (all ones) for an empty slot
  if (load<i32>(meta) == tag && memory.compare(row, <usize>s, <usize>n) == 0) {
    num(<f64>k);
    return;
  }
  store<i32>(meta, tag);
  memory.copy(row, <usize>s, <usize>n);
  num(<f64>-(k + 2));
}

/** A queue key: the number of a short hex ID, a text key as -(length + 1) and its bytes (24 at most). */
function keyOut(slot: i32): void {
  const v = load<f64>(SLOTS + (<usize>slot << 3));
  if (v >= 0) {
    num(v);
    return;
  }
  if (v == NO_KEY) {
    num(-1);      // NO_QUEUE is the empty text key
    return;
  }
  const s = <i32>load<f64>(SLOTS + (<usize>(slot + 1) << 3));
  const e = min(<i32>load<f64>(SLOTS + (<usize>(slot + 2) << 3)), s + QUEUE_ID_MAX);
  num(<f64>-(e - s + 1));
  copyOut(s, e);
}

@inline function slot(i: i32): f64 {
  return load<f64>(SLOTS + (<usize>i << 3));
}

/** Writes the event in the slots (the line just parsed) to the batch: EventBatchWriter.write. */
export function encodeLast(): void {
  const head = numsWritten;
  const kind = <i32>slot(S_KIND);
  // The time: a record for JavaScript, and a place for it.
  const rec = <usize>batchTimes + (<usize>(records * TIME_INTS) << 2);
  store<i32>(rec, head + 1);
  const same = lastTime && rfc == lastRfc && y == lastY && mo == lastMo && d == lastD && h == lastH && mi == lastMi && s == lastS && ms == lastMs && offsetMin == lastOffset;
  store<i32>(rec + 4, same ? -1 : rfc);
  store<i32>(rec + 8, y);
  store<i32>(rec + 12, mo);
  store<i32>(rec + 16, d);
  store<i32>(rec + 20, h);
  store<i32>(rec + 24, mi);
  store<i32>(rec + 28, s);
  store<i32>(rec + 32, <i32>ms);
  store<i32>(rec + 36, offsetMin);
  records++;
  lastTime = true;
  lastRfc = rfc; lastY = y; lastMo = mo; lastD = d; lastH = h; lastMi = mi; lastS = s; lastMs = ms; lastOffset = offsetMin;
  numsWritten = head + 2;
  keyOut(S_Q);
  switch (kind) {
    case 0: num(slot(S_UID)); valueOut(S_FROM, 1); break;
    case 1: valueOut(S_IP, 0); valueOut(S_SASL, 1); keyOut(S_ORIG); break;
    case 2: num(slot(S_SIZE)); num(slot(S_NRCPT)); valueOut(S_FROM, 1); break;
    case 3: case 6: valueOut(S_FROM, 1); break;
    case 4: keyOut(S_QUEUED_AS); break;
    case 7: textOut(S_NAME); valueOut(S_VALUE, 1); break;
    case 8: textOut(S_NAME); textOut(S_VALUE); break;
    default: break;
  }
  const flags = kind | (slot(S_MILTER) == 1 ? MILTER : 0) | (slot(S_COMMAND) == 1 ? COMMAND : 0) | (slot(S_LIMIT) == 1 ? LIMIT_FLAG : 0)
    | (<i32>slot(S_STATUS) << STATUS_SHIFT);
  store<f64>(<usize>batchNums + (<usize>head << 3), <f64>flags);
  events++;
}

let lastRfc = 0; let lastY = 0; let lastMo = 0; let lastD = 0; let lastH = 0; let lastMi = 0; let lastS = 0; let lastMs: f64 = 0; let lastOffset = 0;

/** EventBatchWriter.full: the batch must be taken before the next event is written. */
export function batchFull(): bool {
  return events >= maxEvents || bytesWritten > byteCap - BYTES_PER_EVENT;
}

const FULL: i32 = 6;

/**
 * scan(), with the events written to the batch instead of handed back: S_PASSED counts every line
 * passed over, the written ones included. Returns as scan() does for lines that do not parse,
 * overlong lines and the end; FULL after the event that filled the batch (S_NEXT: the line after
 * it); with `stopAtClassic`, EVENT for the first event with a classic timestamp, not written (the
 * reader reports where the file's first classic line is before its event: maillog-unit-read.ts).
 */
export function encode(pos: i32, end: i32, maxLine: i32, stopAtClassic: i32): i32 {
  let passed = 0;
  let start = pos;
  while (true) {
    const nl = newline(start, end);
    if (nl < 0) {
      set(S_NEXT, start);
      set(S_PASSED, passed);
      return END;
    }
    set(S_NEXT, nl + 1);
    if (nl - start > maxLine) {
      range(S_LINE_START, start, nl);
      set(S_PASSED, passed);
      return OVERLONG;
    }
    const e = nl > start && at(nl - 1) == 13 ? nl - 1 : nl;
    const r = parse(start, e);
    if (r == UNPARSED || (r == EVENT && stopAtClassic != 0 && rfc == 0)) {
      range(S_LINE_START, start, e);
      set(S_PASSED, passed);
      return r;
    }
    passed++;
    start = nl + 1;
    if (r == EVENT) {
      encodeLast();
      if (batchFull()) {
        set(S_PASSED, passed);
        return FULL;
      }
    }
  }
  return END;   // not reached: the loop returns
}
