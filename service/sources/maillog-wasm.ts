// The maillog pass's line reader on WebAssembly (docs/decisions/021): the
// lines of a unit are found and parsed by maillog-line.as (the parser of
// maillog-line.ts, compiled), in its own memory, and only the lines that yield
// an event or do not parse come back to JavaScript. It is LineSplitter plus
// MaillogLineParser.parse, with the same lines, counts and events: readUnit
// (maillog-unit-read.ts) uses it where WebAssembly runs, and the TypeScript
// pair elsewhere; test/sources/maillog-wasm.test.ts holds the two to the same.
//
// Memory (fixed; the module's memory never grows, so its buffer is never detached):
//   [0, 64 KiB)               the module's own (its tables, the event slots)
//   [IN, IN + IN_BYTES)       chunks to scan: a plain file is read straight into it, other text copied in
//   [CARRY, + CARRY_BYTES)    a line that spans two chunks, completed here
//   the rest                  slack: the parser may look a few bytes past a line's end
import MAILLOG_LINE_WASM from './maillog-line.as';
import { latin1 } from './bytes.ts';
import { DELIVERY_STATUSES, EVENT_KINDS, LINE, resetMaillogEvent, type LineResult, type MaillogEventFields } from './maillog-event.ts';
import { NO_QUEUE, type QueueKey } from './queue-key.ts';

const IN = 64 * 1024;
const IN_BYTES = 2 * 1024 * 1024;
const CARRY = IN + IN_BYTES + 64 * 1024;
const CARRY_BYTES = 1024 * 1024;
const MEMORY_BYTES = 64 * 64 * 1024;      // ASC_FLAGS in build/assemblyscript.mjs: 64 pages
const HEAD_BYTES = 256;                   // LineSplitter's overlong head

// scan()'s codes beyond LINE's.
const OVERLONG = 4;
const END = 5;

// The event slots (maillog-line.as).
const SLOT = {
  kind: 0, qkey: 1, uid: 4, nrcpt: 5, size: 6, status: 7, milter: 8, command: 9, limit: 10, orig: 11, queuedAs: 14,
  from: 17, ip: 19, sasl: 21, name: 23, value: 25,
  rfc: 27, y: 28, mo: 29, d: 30, h: 31, mi: 32, s: 33, ms: 34, offset: 35,
  lineStart: 40, lineEnd: 41, next: 42, passed: 43,
} as const;

type Exports = {
  memory: WebAssembly.Memory;
  slots(): number;
  freeFrom(): number;
  parse(start: number, end: number): number;
  scan(pos: number, end: number, maxLine: number): number;
};

/** The timestamp of the line just parsed, as the module read it (MaillogLineParser computes the instant). */
export type WasmTimestamp = { rfc: boolean; y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number; offsetMin: number };

/** This thread's instance of the module. */
export class MaillogWasm {
  readonly mem: Buffer;
  readonly slots: Float64Array;
  readonly parse: Exports['parse'];
  readonly scan: Exports['scan'];
  /** Where a reader may put a chunk (readUnit reads a plain file straight into it). */
  readonly input: Buffer;
  inUse = false;

  constructor(ex: Exports) {
    if (ex.memory.buffer.byteLength !== MEMORY_BYTES || ex.freeFrom() > IN) throw new Error('maillog-line.as: unexpected memory layout');
    this.mem = Buffer.from(ex.memory.buffer);
    this.slots = new Float64Array(ex.memory.buffer, ex.slots(), 48);
    this.parse = ex.parse;
    this.scan = ex.scan;
    this.input = this.mem.subarray(IN, IN + IN_BYTES);
  }

  /** Fills `out` from the slots of the line just parsed (EVENT); `ts` is left to the caller. */
  event(out: MaillogEventFields, time: WasmTimestamp): void {
    const f = this.slots;
    const mem = this.mem;
    resetMaillogEvent(out, EVENT_KINDS[f[SLOT.kind]!]!, mem, this.key(SLOT.qkey));
    out.uid = f[SLOT.uid]!;
    out.nrcpt = f[SLOT.nrcpt]!;
    out.size = f[SLOT.size]!;
    out.status = DELIVERY_STATUSES[f[SLOT.status]!]!;
    out.milter = f[SLOT.milter] === 1;
    out.commandLevel = f[SLOT.command] === 1;
    out.limit = f[SLOT.limit] === 1;
    out.origKey = this.key(SLOT.orig);
    out.queuedAsKey = this.key(SLOT.queuedAs);
    out.fromS = f[SLOT.from]!;
    out.fromE = f[SLOT.from + 1]!;
    out.ipS = f[SLOT.ip]!;
    out.ipE = f[SLOT.ip + 1]!;
    out.saslS = f[SLOT.sasl]!;
    out.saslE = f[SLOT.sasl + 1]!;
    out.nameS = f[SLOT.name]!;
    out.nameE = f[SLOT.name + 1]!;
    out.valueS = f[SLOT.value]!;
    out.valueE = f[SLOT.value + 1]!;
    time.rfc = f[SLOT.rfc] === 1;
    time.y = f[SLOT.y]!;
    time.mo = f[SLOT.mo]!;
    time.d = f[SLOT.d]!;
    time.h = f[SLOT.h]!;
    time.mi = f[SLOT.mi]!;
    time.s = f[SLOT.s]!;
    time.ms = f[SLOT.ms]!;
    time.offsetMin = f[SLOT.offset]!;
  }

  private key(slot: number): QueueKey {
    const v = this.slots[slot]!;
    if (v >= 0) return v;
    return v === -1 ? latin1(this.mem, this.slots[slot + 1]!, this.slots[slot + 2]!) : NO_QUEUE;
  }
}

let instance: MaillogWasm | null | undefined;
let failure: string | null = null;

/** This thread's module, or null where WebAssembly does not run (then `wasmFailure` says why). */
export function maillogWasm(): MaillogWasm | null {
  if (instance === undefined) {
    try {
      const module = new WebAssembly.Module(Buffer.from(MAILLOG_LINE_WASM, 'base64'));
      instance = new MaillogWasm(new WebAssembly.Instance(module, {}).exports as unknown as Exports);
    } catch (err) {
      instance = null;
      failure = err instanceof Error ? err.message : String(err);
    }
  }
  return instance;
}

export function wasmFailure(): string | null {
  return failure;
}

/** What the reader hands on: lines that say nothing (counted), a line with an event or that did not parse, an overlong line's head. */
export type LineHandlers = {
  lines(n: number): void;
  /** `r`: LINE.event (the event is filled) or LINE.unparsed; the line's bytes are buf[start, end). */
  line(r: LineResult, buf: Buffer, start: number, end: number): void;
  overlong(head: Buffer): void;
};

/** What the parser needs to fill an event: MaillogLineParser.fromWasm. */
export type WasmEventSink = (w: MaillogWasm) => void;

/**
 * LineSplitter's interface (push, skipLine, midLine, end) over the module. The first `skip` lines
 * (overlong ones included) are passed over unparsed and uncounted, as readUnit does when it
 * resumes the worker's unit. One reader at a time per thread (the memory is the thread's): the
 * caller takes the module with `inUse`.
 */
export class WasmLineReader {
  private carryLen = 0;
  private skipping = false;
  private skipLeft: number;

  constructor(
    private readonly w: MaillogWasm,
    private readonly maxLine: number,
    skip: number,
    private readonly fill: WasmEventSink,
    private readonly on: LineHandlers,
  ) {
    if (maxLine + 1 > CARRY_BYTES) throw new Error(`a line limit of ${maxLine} bytes is over the WebAssembly reader's ${CARRY_BYTES - 1}`);
    this.skipLeft = skip;
  }

  /** Whether a reader with this line limit fits the module's memory. */
  static fits(maxLine: number): boolean {
    return maxLine + 1 <= CARRY_BYTES;
  }

  /** Feeds chunk[0, len): scanned where it is when it lies in the module's input area, else copied there first. */
  push(chunk: Buffer, len: number): void {
    const mem = this.w.mem;
    if (chunk.buffer === mem.buffer && chunk.byteOffset >= IN && chunk.byteOffset + len <= IN + IN_BYTES) {
      this.pushAt(chunk.byteOffset, len);
      return;
    }
    for (let off = 0; off < len; off += IN_BYTES) {
      const n = Math.min(IN_BYTES, len - off);
      mem.set(chunk.subarray(off, off + n), IN);
      this.pushAt(IN, n);
    }
  }

  skipLine(): void {
    this.carryLen = 0;
    this.skipping = true;
  }

  get midLine(): boolean {
    return this.carryLen > 0 || this.skipping;
  }

  end(): void {
    if (this.carryLen > 0) this.emit(CARRY, CARRY + this.carryLen);
    this.carryLen = 0;
    this.skipping = false;
  }

  /** LineSplitter.push over mem[base, base + len). */
  private pushAt(base: number, len: number): void {
    const { mem, slots } = this.w;
    const max = this.maxLine;
    const end = base + len;
    let pos = base;
    if (this.skipping || this.carryLen > 0) {
      const nl = newlineIn(mem, pos, end);
      const found = nl >= 0;
      const stop = found ? nl : end;
      if (this.skipping) {
        if (!found) return;
        this.skipping = false;
      } else if (this.carryLen + stop - pos > max) {
        this.overlongCarry(pos, stop);
        this.carryLen = 0;
        this.skipping = !found;
      } else {
        mem.copyWithin(CARRY + this.carryLen, pos, stop);
        this.carryLen += stop - pos;
        if (!found) return;
        this.emit(CARRY, CARRY + this.carryLen);
        this.carryLen = 0;
      }
      pos = stop + 1;
    }
    while (pos < end) {
      if (this.skipLeft > 0) {
        // Passing over the lines another reader took: one at a time, as LineSplitter finds them.
        const nl = newlineIn(mem, pos, end);
        if (nl < 0) break;
        if (nl - pos > max) this.overlong(pos, nl);
        else this.emit(pos, nl);
        pos = nl + 1;
        continue;
      }
      const code = this.w.scan(pos, end, max);
      const passed = slots[SLOT.passed]!;
      if (passed > 0) this.on.lines(passed);
      const s = slots[SLOT.lineStart]!;
      const e = slots[SLOT.lineEnd]!;
      pos = slots[SLOT.next]!;
      if (code === END) break;
      if (code === OVERLONG) this.overlong(s, e);
      else this.result(code as LineResult, s, e);
    }
    const rest = end - pos;
    if (rest <= 0) return;
    if (rest > max) {
      this.overlong(pos, end);
      this.skipping = true;
    } else {
      mem.copyWithin(CARRY, pos, end);
      this.carryLen = rest;
    }
  }

  /** A line found in JavaScript (from the carry, or while skipping): a CR before its newline left out. */
  private emit(start: number, nl: number): void {
    if (this.skipLeft > 0) {
      this.skipLeft--;
      return;
    }
    const end = nl > start && this.w.mem[nl - 1] === 13 ? nl - 1 : nl;
    const r = this.w.parse(start, end);
    if (r === LINE.event || r === LINE.unparsed) this.result(r as LineResult, start, end);
    else this.on.lines(1);
  }

  private result(r: LineResult, start: number, end: number): void {
    if (r === LINE.event) this.fill(this.w);
    this.on.line(r, this.w.mem, start, end);
  }

  private overlong(start: number, end: number): void {
    if (this.skipLeft > 0) {
      this.skipLeft--;
      return;
    }
    this.on.overlong(Buffer.from(this.w.mem.subarray(start, Math.min(end, start + HEAD_BYTES))));
  }

  /** The head of an overlong line that began in the carry: the same bytes wherever the chunks were cut. */
  private overlongCarry(pos: number, stop: number): void {
    if (this.skipLeft > 0) {
      this.skipLeft--;
      return;
    }
    const mem = this.w.mem;
    const fromCarry = Math.min(this.carryLen, HEAD_BYTES);
    const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, this.carryLen + stop - pos));
    mem.copy(head, 0, CARRY, CARRY + fromCarry);
    mem.copy(head, fromCarry, pos, pos + head.length - fromCarry);
    this.on.overlong(head);
  }
}

/** The first newline in mem[from, to), or -1. */
function newlineIn(mem: Buffer, from: number, to: number): number {
  const nl = mem.indexOf(10, from);
  return nl >= 0 && nl < to ? nl : -1;
}
