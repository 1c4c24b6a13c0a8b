// One Postfix/Plesk syslog line → an event. Works on the bytes of the line:
// on a 1 GB maillog the cost per line decides the speed (docs/decisions/001).
// Both timestamp styles: classic `Feb  3 22:15:01 host prog[pid]: …` (year
// inferred, zone from the config) and RFC 3339 `2022-02-03T22:15:01.123+09:00 host prog[pid]: …`.
// The mail-log pass runs its WebAssembly twin, maillog-line.as (decision 021): a change to how a
// line is read here must be made there too; test/sources/maillog-wasm.test.ts fails until it is.
import { ascii, findByte, findBytes, hasAt } from './bytes.ts';
import { LINE, OMC_LIMIT_TEXT, resetMaillogEvent, type LineResult, type MaillogEventFields as Event } from './maillog-event.ts';
import { NO_QUEUE } from './queue-key.ts';
import { parsePostfixMessage } from './postfix-message.ts';
import { SyslogClock, rfc3339Epoch } from './syslog-clock.ts';
import type { MaillogWasm, WasmTimestamp } from './maillog-wasm.ts';

export { createMaillogEvent, LINE, type LineResult, type MaillogEvent } from './maillog-event.ts';

const POSTFIX = ascii('postfix');
// Plesk's milter and sendmail wrapper [V] reference/plesk.md §1.7; the path of psa-pc-remote varies (/usr/lib64/plesk-9.0/…).
const PSA_PC_REMOTE = ascii('psa-pc-remote');
const PLESK_SENDMAIL = ascii('plesk-sendmail');
const DURING_CALL = ascii(" during call '");
const HANDLER_END = ascii("' handler");
const LIMIT = ascii(OMC_LIMIT_TEXT);
const VERDICTS = ['PASS', 'SKIP', 'REJECT', 'DEFER', 'STOP'] as const;
const VERDICT_BYTES = VERDICTS.map(ascii);

const MONTH_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isDigit = (c: number | undefined) => c !== undefined && c >= 48 && c <= 57;
const d2 = (buf: Buffer, i: number) => (buf[i]! - 48) * 10 + (buf[i + 1]! - 48);

function monthOf(a: number, b: number, c: number): number {
  // Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec, by their distinguishing letters.
  switch (a) {
    case 74: return b === 97 && c === 110 ? 1 : b === 117 ? (c === 110 ? 6 : c === 108 ? 7 : 0) : 0;
    case 70: return b === 101 && c === 98 ? 2 : 0;
    case 77: return b === 97 ? (c === 114 ? 3 : c === 121 ? 5 : 0) : 0;
    case 65: return b === 112 && c === 114 ? 4 : b === 117 && c === 103 ? 8 : 0;
    case 83: return b === 101 && c === 112 ? 9 : 0;
    case 79: return b === 99 && c === 116 ? 10 : 0;
    case 78: return b === 111 && c === 118 ? 11 : 0;
    case 68: return b === 101 && c === 99 ? 12 : 0;
    default: return 0;
  }
}

export class MaillogLineParser {
  /** Year inference for classic timestamps (readers of one file split between threads compare and hand it on). */
  readonly clock: SyslogClock;
  // Fields of the current line's timestamp; the instant is computed only for lines that yield an event.
  private rfc = false;
  private mo = 0; private d = 0; private h = 0; private mi = 0; private s = 0;
  private y = 0; private ms = 0; private offsetMin = 0;

  constructor(zone: string) {
    this.clock = new SyslogClock(zone);
  }

  /** Call before each file: min(file mtime, until/now), the anchor of year inference. */
  startFile(referenceMs: number): void {
    this.clock.startFile(referenceMs);
  }

  parse(buf: Buffer, start: number, end: number, out: Event): LineResult {
    if (end === start) return LINE.other;
    let p = this.readTimestamp(buf, start, end);
    if (p < 0) return LINE.unparsed;
    const hostEnd = findByte(buf, p, end, 32);
    if (hostEnd <= p) return LINE.unparsed;
    const prog = hostEnd + 1;
    p = prog;
    while (p < end) {
      const c = buf[p];
      if (c === 91 || c === 58 || c === 32) break;
      p++;
    }
    const progEnd = p;
    let msg = -1;
    if (buf[p] === 91) {
      const close = findByte(buf, p + 1, Math.min(end, p + 24), 93);
      if (close > 0 && buf[close + 1] === 58) msg = close + 2;
    } else if (buf[p] === 58) {
      msg = p + 1;
    }
    const postfix = hasAt(buf, prog, progEnd, POSTFIX) && (progEnd === prog + 7 || buf[prog + 7] === 47 || buf[prog + 7] === 45);
    // `last message repeated 3 times` and other program-less lines are syslog's own, not mail.
    if (msg < 0) return postfix ? LINE.unparsed : LINE.other;
    if (buf[msg] === 32) msg++;
    let r: LineResult;
    if (postfix) r = parsePostfixMessage(buf, msg, end, out);
    else if (endsWith(buf, prog, progEnd, PSA_PC_REMOTE)) r = parseHandler(buf, msg, end, out);
    else if (endsWith(buf, prog, progEnd, PLESK_SENDMAIL)) r = parseSendmail(buf, msg, end, out);
    else return LINE.other;
    if (r === LINE.event) out.ts = this.timestamp();
    return r;
  }

  private readonly wasmTime: WasmTimestamp = { rfc: false, y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0, ms: 0, offsetMin: 0 };

  /** The event of the line maillog-line.as has just parsed (maillog-wasm.ts), with its instant as parse gives it. */
  fromWasm(w: MaillogWasm, out: Event): void {
    const t = this.wasmTime;
    w.event(out, t);
    out.ts = this.instant(t);
  }

  /** The instant of a timestamp maillog-line.as read, in line order (classic ones move the year inference). */
  instant(t: WasmTimestamp): number {
    return t.rfc ? rfc3339Epoch(t.y, t.mo, t.d, t.h, t.mi, t.s, t.ms, t.offsetMin) : this.clock.classic(t.mo, t.d, t.h, t.mi, t.s);
  }

  private timestamp(): number {
    if (this.rfc) return rfc3339Epoch(this.y, this.mo, this.d, this.h, this.mi, this.s, this.ms, this.offsetMin);
    return this.clock.classic(this.mo, this.d, this.h, this.mi, this.s);
  }

  /** Reads the timestamp and the space after it; returns the index of the host, or -1. */
  private readTimestamp(buf: Buffer, start: number, end: number): number {
    if (end - start < 20) return -1;
    const c0 = buf[start]!;
    let p: number;
    if (isDigit(c0)) {
      // 2022-02-03T22:15:01[.frac](Z|±hh:mm)
      if (buf[start + 4] !== 45 || buf[start + 7] !== 45 || (buf[start + 10] !== 84 && buf[start + 10] !== 32)) return -1;
      if (!isDigit(buf[start]) || !isDigit(buf[start + 1]) || !isDigit(buf[start + 2]) || !isDigit(buf[start + 3])) return -1;
      if (!isDigit(buf[start + 5]) || !isDigit(buf[start + 6]) || !isDigit(buf[start + 8]) || !isDigit(buf[start + 9])) return -1;
      this.y = d2(buf, start) * 100 + d2(buf, start + 2);
      this.mo = d2(buf, start + 5);
      this.d = d2(buf, start + 8);
      p = this.readClock(buf, start + 11, end);
      if (p < 0) return -1;
      this.ms = 0;
      if (buf[p] === 46) {
        let q = p + 1;
        let scale = 100;
        while (q < end && isDigit(buf[q])) {
          if (scale >= 1) this.ms += (buf[q]! - 48) * scale;
          scale /= 10;
          q++;
        }
        this.ms = Math.floor(this.ms);
        p = q;
      }
      if (buf[p] === 90) {
        this.offsetMin = 0;
        p++;
      } else if (buf[p] === 43 || buf[p] === 45) {
        const sign = buf[p] === 45 ? -1 : 1;
        if (!isDigit(buf[p + 1]) || !isDigit(buf[p + 2])) return -1;
        const colon = buf[p + 3] === 58 ? 1 : 0;
        if (!isDigit(buf[p + 3 + colon]) || !isDigit(buf[p + 4 + colon])) return -1;
        this.offsetMin = sign * (d2(buf, p + 1) * 60 + d2(buf, p + 3 + colon));
        p += 5 + colon;
      } else {
        return -1;
      }
      this.rfc = true;
    } else {
      this.mo = monthOf(c0, buf[start + 1]!, buf[start + 2]!);
      if (this.mo === 0 || buf[start + 3] !== 32) return -1;
      p = start + 4;
      if (buf[p] === 32) p++;
      if (!isDigit(buf[p])) return -1;
      this.d = buf[p]! - 48;
      p++;
      if (isDigit(buf[p])) this.d = this.d * 10 + buf[p++]! - 48;
      if (buf[p] !== 32) return -1;
      p = this.readClock(buf, p + 1, end);
      if (p < 0) return -1;
      if (buf[p] === 46) while (isDigit(buf[++p]));
      this.rfc = false;
    }
    if (this.mo < 1 || this.mo > 12 || this.d < 1 || this.d > MONTH_DAYS[this.mo]! || buf[p] !== 32) return -1;
    return p + 1;
  }

  /** HH:MM:SS at `p`; returns the index after it, or -1. */
  private readClock(buf: Buffer, p: number, end: number): number {
    if (p + 8 > end || buf[p + 2] !== 58 || buf[p + 5] !== 58) return -1;
    if (!isDigit(buf[p]) || !isDigit(buf[p + 1]) || !isDigit(buf[p + 3]) || !isDigit(buf[p + 4])) return -1;
    if (!isDigit(buf[p + 6]) || !isDigit(buf[p + 7])) return -1;
    this.h = d2(buf, p);
    this.mi = d2(buf, p + 3);
    this.s = d2(buf, p + 6);
    return this.h > 23 || this.mi > 59 || this.s > 60 ? -1 : p + 8;
  }
}

function endsWith(buf: Buffer, from: number, to: number, needle: Uint8Array): boolean {
  return to - from >= needle.length && hasAt(buf, to - needle.length, to, needle);
}

/** `REJECT during call 'limit-out' handler` (psa-pc-remote; plesk-sendmail may log the same). */
function parseHandler(buf: Buffer, msg: number, end: number, out: Event): LineResult {
  const sp = findByte(buf, msg, Math.min(end, msg + 8), 32);
  if (sp < 0 || !hasAt(buf, sp, end, DURING_CALL)) return LINE.info;   // handlers_stderr: PASS, and other chatter
  let v = VERDICT_BYTES.length - 1;
  while (v >= 0 && !(VERDICT_BYTES[v]!.length === sp - msg && hasAt(buf, msg, sp, VERDICT_BYTES[v]!))) v--;
  const nameStart = sp + DURING_CALL.length;
  const nameEnd = findByte(buf, nameStart, Math.min(end, nameStart + 64), 39);
  if (v < 0 || nameEnd <= nameStart || !hasAt(buf, nameEnd, end, HANDLER_END)) return LINE.unparsed;
  // PASS and SKIP are most lines of a Plesk maillog and carry nothing we count: no event, no allocation.
  if (v < 2) return LINE.info;
  resetMaillogEvent(out, 'handler', buf, NO_QUEUE);
  out.valueS = msg;
  out.valueE = sp;
  out.nameS = nameStart;
  out.nameE = nameEnd;
  return LINE.event;
}

/** plesk-sendmail: the limit text (a refused script message; exact line unverified [I], plesk.md §7 q.6) or a handler verdict. */
function parseSendmail(buf: Buffer, msg: number, end: number, out: Event): LineResult {
  if (findBytes(buf, msg, end, LIMIT) >= 0) {
    resetMaillogEvent(out, 'reject', buf, NO_QUEUE);
    out.limit = true;
    return LINE.event;
  }
  return parseHandler(buf, msg, end, out);
}
