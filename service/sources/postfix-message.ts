// The message part of a Postfix log line (after `postfix/qmgr[123]: `), read
// by keyword on the bytes. Dispatch is on the text, not on the daemon name:
// `syslog_name` makes names like `postfix/submission` or `postfix-out/smtp`
// that say nothing reliable about the daemon. A recognised keyword whose
// fields do not parse is `unparsed`; any other message (connect, TLS,
// warnings, statistics…) is an informational line of Postfix.
// Ported to maillog-line.as (decision 021): a change here must be made there too (the comparison
// tests in test/sources/maillog-wasm.test.ts fail until it is).
import { ascii, findByte, findBytes, findLastBytes, hasAt, readUint } from './bytes.ts';
import { FIELD_CAP, LINE, OMC_LIMIT_TEXT, resetMaillogEvent, type LineResult, type MaillogEventFields as Event } from './maillog-event.ts';
import { NO_QUEUE, QUEUE_ID_MAX, queueKeyAt, type QueueKey } from './queue-key.ts';

const K = {
  noqueue: ascii('NOQUEUE: '), client: ascii('client='), uid: ascii('uid='), fromLt: ascii('from=<'), toLt: ascii('to=<'),
  removed: ascii('removed'), reject: ascii('reject: '), milterReject: ascii('milter-reject: '), warningHeader: ascii('warning: header '),
  infoHeader: ascii('info: header '), spaceFromLt: ascii(' from=<'), gtComma: ascii('>, '), size: ascii('size='), nrcpt: ascii(', nrcpt='),
  status: ascii('status='), commaStatus: ascii(', status='), queuedAs: ascii('queued as '), sasl: ascii(', sasl_username='),
  origQid: ascii(', orig_queue_id='), commaSpace: ascii(', '), semiFromLt: ascii('; from=<'), spaceFrom: ascii(' from '),
  limit: ascii(OMC_LIMIT_TEXT), sent: ascii('sent'), deferred: ascii('deferred'), bounced: ascii('bounced'), expired: ascii('expired'),
  forceExpired: ascii('force-expired'),
};
const COMMAND_WORDS = ['RCPT ', 'MAIL ', 'CONNECT ', 'HELO ', 'EHLO ', 'VRFY ', 'ETRN ', 'AUTH '].map(ascii);
const end_ = { at: 0 };

/** Character classes of queue IDs: short = upper-case hex; long = base-52 without vowels, with a `z` separator. */
const SHORT = new Uint8Array(256);
const LONG = new Uint8Array(256);
const ALNUM = new Uint8Array(256);
for (const c of '0123456789ABCDEF') SHORT[c.charCodeAt(0)] = 1;
for (const c of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz') ALNUM[c.charCodeAt(0)] = 1;
for (const c of '0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz') LONG[c.charCodeAt(0)] = 1;

/** End of a queue ID at `at` (index of its ':' followed by a space), or -1. */
function queueIdEnd(buf: Buffer, at: number, end: number): number {
  let short = true;
  let long = true;
  let z = false;
  let i = at;
  for (; i < end && i - at <= 20; i++) {
    const c = buf[i]!;
    if (c === 58) break;
    short = short && SHORT[c] === 1;
    long = long && LONG[c] === 1;
    if (c === 122) z = true;
    if (!short && !long) return -1;
  }
  const n = i - at;
  if (n < 5 || n > 20 || buf[i] !== 58 || buf[i + 1] !== 32) return -1;
  return short || (long && z) ? i : -1;
}

const cap = (s: number, e: number) => Math.min(e, s + FIELD_CAP);

export function parsePostfixMessage(buf: Buffer, m: number, end: number, out: Event): LineResult {
  if (m >= end) return LINE.unparsed;
  if (hasAt(buf, m, end, K.noqueue)) {
    const k = m + K.noqueue.length;
    if (hasAt(buf, k, end, K.reject) || hasAt(buf, k, end, K.milterReject)) return parseReject(buf, k, end, out, NO_QUEUE);
    return LINE.info;
  }
  const qe = queueIdEnd(buf, m, end);
  if (qe < 0) return LINE.info;
  const k = qe + 2;
  switch (buf[k]) {
    case 99: // c
      return hasAt(buf, k, end, K.client) ? parseClient(buf, k + K.client.length, end, out, queueKeyAt(buf, m, qe)) : LINE.info;
    case 117: // u
      return hasAt(buf, k, end, K.uid) ? parsePickup(buf, k + K.uid.length, end, out, queueKeyAt(buf, m, qe)) : LINE.info;
    case 102: // f
      return hasAt(buf, k, end, K.fromLt) ? parseQmgr(buf, k + K.fromLt.length, end, out, queueKeyAt(buf, m, qe)) : LINE.info;
    case 116: // t
      return hasAt(buf, k, end, K.toLt) ? parseDelivery(buf, k, end, out, queueKeyAt(buf, m, qe)) : LINE.info;
    case 114: // r
      if (hasAt(buf, k, end, K.removed) && k + K.removed.length === end) {
        resetMaillogEvent(out, 'removed', buf, queueKeyAt(buf, m, qe));
        return LINE.event;
      }
      return hasAt(buf, k, end, K.reject) ? parseReject(buf, k, end, out, queueKeyAt(buf, m, qe)) : LINE.info;
    case 109: // m
      return hasAt(buf, k, end, K.milterReject) ? parseReject(buf, k, end, out, queueKeyAt(buf, m, qe)) : LINE.info;
    case 119: // w
      return hasAt(buf, k, end, K.warningHeader) ? parseHeader(buf, k + K.warningHeader.length, end, out, queueKeyAt(buf, m, qe)) : LINE.info;
    case 105: // i
      return hasAt(buf, k, end, K.infoHeader) ? parseHeader(buf, k + K.infoHeader.length, end, out, queueKeyAt(buf, m, qe)) : LINE.info;
    default:
      return LINE.info;
  }
}

/** `client=host[ip]` with optional `, sasl_method=…, sasl_username=…` and `, orig_queue_id=…`. */
function parseClient(buf: Buffer, p: number, end: number, out: Event, qid: QueueKey): LineResult {
  const open = findByte(buf, p, end, 91);
  const close = open < 0 ? -1 : findByte(buf, open + 1, end, 93);
  if (close < 0 || close - open < 2 || close - open > 64) return LINE.unparsed;
  resetMaillogEvent(out, 'client', buf, qid);
  out.ipS = open + 1;
  out.ipE = close;
  if (close + 1 < end) {
    const s = findBytes(buf, close + 1, end, K.sasl);
    if (s >= 0) {
      const v = s + K.sasl.length;
      const ve = findBytes(buf, v, end, K.commaSpace);
      out.saslS = v;
      out.saslE = cap(v, ve < 0 ? end : ve);
    }
    const o = findBytes(buf, close + 1, end, K.origQid);
    if (o >= 0) {
      const v = o + K.origQid.length;
      const ve = findBytes(buf, v, end, K.commaSpace);
      out.origKey = queueKeyAt(buf, v, Math.min(ve < 0 ? end : ve, v + QUEUE_ID_MAX));
    }
  }
  return LINE.event;
}

/** `uid=N from=<addr>` (pickup). */
function parsePickup(buf: Buffer, p: number, end: number, out: Event, qid: QueueKey): LineResult {
  const uid = readUint(buf, p, end, end_);
  if (uid < 0 || !hasAt(buf, end_.at, end, K.spaceFromLt) || buf[end - 1] !== 62) return LINE.unparsed;
  resetMaillogEvent(out, 'pickup', buf, qid);
  out.uid = uid;
  out.fromS = end_.at + K.spaceFromLt.length;
  out.fromE = cap(out.fromS, end - 1);
  return LINE.event;
}

/** `from=<addr>, size=N, nrcpt=N (queue active)` or `from=<addr>, status=expired, returned to sender` (qmgr). */
function parseQmgr(buf: Buffer, p: number, end: number, out: Event, qid: QueueKey): LineResult {
  const gt = findBytes(buf, p, end, K.gtComma);
  if (gt < 0) return LINE.unparsed;
  const r = gt + K.gtComma.length;
  if (hasAt(buf, r, end, K.size)) {
    const size = readUint(buf, r + K.size.length, end, end_);
    if (size < 0 || !hasAt(buf, end_.at, end, K.nrcpt)) return LINE.unparsed;
    const nrcpt = readUint(buf, end_.at + K.nrcpt.length, end, end_);
    if (nrcpt < 0) return LINE.unparsed;
    resetMaillogEvent(out, 'queued', buf, qid);
    out.size = size;
    out.nrcpt = nrcpt;
  } else if (hasAt(buf, r, end, K.status)) {
    const w = r + K.status.length;
    if (!hasAt(buf, w, end, K.expired) && !hasAt(buf, w, end, K.forceExpired)) return LINE.unparsed;
    resetMaillogEvent(out, 'expired', buf, qid);
  } else {
    return LINE.unparsed;
  }
  out.fromS = p;
  out.fromE = cap(p, gt);
  return LINE.event;
}

/** `to=<addr>, … status=sent (… queued as NEWQID)` from any delivery agent. */
function parseDelivery(buf: Buffer, k: number, end: number, out: Event, qid: QueueKey): LineResult {
  const st = findBytes(buf, k, end, K.commaStatus);
  if (st < 0) return LINE.unparsed;
  const w = st + K.commaStatus.length;
  resetMaillogEvent(out, 'delivery', buf, qid);
  if (hasAt(buf, w, end, K.sent)) {
    out.status = 'sent';
    const q = findBytes(buf, w, end, K.queuedAs);
    if (q >= 0) {
      const v = q + K.queuedAs.length;
      let e = v;
      // Any server's ID may follow (a remote MX says `queued as` too); the accumulator decides whether it is ours.
      while (e < end && e - v < QUEUE_ID_MAX && ALNUM[buf[e]!] === 1) e++;
      if (e - v >= 5) out.queuedAsKey = queueKeyAt(buf, v, e);
    }
  } else if (hasAt(buf, w, end, K.deferred)) out.status = 'deferred';
  else if (hasAt(buf, w, end, K.bounced)) out.status = 'bounced';
  else if (hasAt(buf, w, end, K.expired)) out.status = 'expired';
  return LINE.event;
}

/** `reject: …` / `milter-reject: …` (smtpd, cleanup), with or without a queue ID. */
function parseReject(buf: Buffer, k: number, end: number, out: Event, qid: QueueKey): LineResult {
  const milter = buf[k] === 109;
  const r = k + (milter ? K.milterReject.length : K.reject.length);
  if (r >= end) return LINE.unparsed;
  resetMaillogEvent(out, 'reject', buf, qid);
  out.milter = milter;
  for (const w of COMMAND_WORDS) if (hasAt(buf, r, end, w)) out.commandLevel = true;
  out.limit = findBytes(buf, r, end, K.limit) >= 0;
  const f = findBytes(buf, r, end, K.semiFromLt);
  if (f >= 0) {
    const v = f + K.semiFromLt.length;
    const ve = findByte(buf, v, end, 62);
    if (ve >= 0) {
      out.fromS = v;
      out.fromE = cap(v, ve);
    }
  }
  return LINE.event;
}

/** `warning: header NAME: VALUE from local; from=<…> to=<…>` as written by header_checks WARN/INFO. */
function parseHeader(buf: Buffer, p: number, end: number, out: Event, qid: QueueKey): LineResult {
  const colon = findByte(buf, p, Math.min(end, p + 128), 58);
  if (colon <= p || buf[colon + 1] !== 32) return LINE.unparsed;
  const v = colon + 2;
  const semi = findBytes(buf, v, end, K.semiFromLt);
  const ve = semi < 0 ? end : findLastBytes(buf, v, semi, K.spaceFrom);
  resetMaillogEvent(out, 'header', buf, qid);
  out.nameS = p;
  out.nameE = colon;
  out.valueS = v;
  out.valueE = cap(v, ve < 0 ? semi : ve);
  return LINE.event;
}
