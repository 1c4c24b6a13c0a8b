// The maillog pass's line reader on WebAssembly (docs/decisions/021): the
// lines of a unit are found and parsed by maillog-line.as (the parser of
// maillog-line.ts, compiled), in its own memory, and only the lines that yield
// an event or do not parse come back to JavaScript. It is LineSplitter plus
// MaillogLineParser.parse, with the same lines, counts and events: readUnit
// (maillog-unit-read.ts) uses it where WebAssembly runs, and the TypeScript
// pair elsewhere; test/sources/maillog-wasm.test.ts holds the two to the same.
// In the worker, WasmEventWriter has the module write the batches too, and keep
// the text table the main thread mirrors (maillog-event-codec.ts TextSlots).
//
// Memory (fixed; the module's memory never grows, so its buffer is never detached):
//   [0, 64 KiB)               the module's own (its tables, the event slots)
//   [IN, IN + IN_BYTES)       chunks to scan: a plain file is read straight into it, other text copied in
//   [CARRY, + CARRY_BYTES)    a line that spans two chunks, completed here
//   [NUMS, BYTES, TIMES)      the worker's batch being written (WasmEventWriter): numbers, text bytes, time records
//   [TEXTS, + TEXTS_BYTES)    the worker's text table: each slot's value, then its length and decoding
//   64 KiB after each area    slack: the parser may look a few bytes past a line's end
import MAILLOG_LINE_WASM from './maillog-line.as';
import { latin1 } from './bytes.ts';
import { DELIVERY_STATUSES, EVENT_KINDS, LINE, resetMaillogEvent, type LineResult, type MaillogEventFields } from './maillog-event.ts';
import { NO_QUEUE, type QueueKey } from './queue-key.ts';
import { EventBatchWriter, freshBatch, NUMS_PER_EVENT, TEXT_SLOTS, TEXT_WIDTH, type EventBatch } from './maillog-event-codec.ts';

const IN = 64 * 1024;
const IN_BYTES = 2 * 1024 * 1024;
const CARRY = IN + IN_BYTES + 64 * 1024;
const CARRY_BYTES = 1024 * 1024;
const NUMS = CARRY + CARRY_BYTES + 64 * 1024;
const NUMS_BYTES = 1024 * 1024;
const BYTES = NUMS + NUMS_BYTES + 64 * 1024;
const BYTES_BYTES = 1024 * 1024;
const TIMES = BYTES + BYTES_BYTES + 64 * 1024;
const TIME_INTS = 10;                     // maillog-line.as: per event, where its time goes and its timestamp
const TIMES_BYTES = 16384 * TIME_INTS * 4;
const TEXTS = TIMES + TIMES_BYTES + 64 * 1024;
const TEXTS_BYTES = TEXT_SLOTS * (TEXT_WIDTH + 4);     // maillog-line.as valueOut: the rows, then each slot's length and decoding
const MEMORY_BYTES = 160 * 64 * 1024;     // ASC_FLAGS in build/assemblyscript.mjs: 160 pages
const HEAD_BYTES = 256;                   // LineSplitter's overlong head

// scan()'s and encode()'s codes beyond LINE's.
const OVERLONG = 4;
const END = 5;
const FULL = 6;

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
  encode(pos: number, end: number, maxLine: number, stopAtClassic: number): number;
  batchInit(nums: number, bytes: number, times: number, texts: number, maxEvents: number, byteCap: number): void;
  batchSet(n: number, b: number, count: number): void;
  batchNumbers(): number;
  batchByteCount(): number;
  batchEvents(): number;
  batchRecords(): number;
  batchStart(): void;
  batchFull(): number;
};

/** The timestamp of the line just parsed, as the module read it (MaillogLineParser computes the instant). */
export type WasmTimestamp = { rfc: boolean; y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number; offsetMin: number };

/** This thread's instance of the module. */
export class MaillogWasm {
  readonly mem: Buffer;
  readonly slots: Float64Array;
  /** The module's functions. */
  readonly ex: Exports;
  /** Where a reader may put a chunk (readUnit reads a plain file straight into it). */
  readonly input: Buffer;
  inUse = false;

  constructor(ex: Exports) {
    if (ex.memory.buffer.byteLength !== MEMORY_BYTES || ex.freeFrom() > IN || TEXTS + TEXTS_BYTES + 64 * 1024 > MEMORY_BYTES) throw new Error('maillog-line.as: unexpected memory layout');
    this.mem = Buffer.from(ex.memory.buffer);
    this.slots = new Float64Array(ex.memory.buffer, ex.slots(), 48);
    this.ex = ex;
    this.input = this.mem.subarray(IN, IN + IN_BYTES);
  }

  /**
   * Fills `out` from the slots of the line just parsed (EVENT); `ts` is left to the caller.
   * Positions and small counts are made int32 (`| 0`): a double from the Float64Array stored in
   * an integer field makes V8 allocate a heap number for it, every event.
   */
  event(out: MaillogEventFields, time: WasmTimestamp): void {
    const f = this.slots;
    resetMaillogEvent(out, EVENT_KINDS[f[SLOT.kind]! | 0]!, this.mem, this.key(SLOT.qkey));
    out.uid = whole(f[SLOT.uid]!);
    out.nrcpt = whole(f[SLOT.nrcpt]!);
    out.size = whole(f[SLOT.size]!);
    out.status = DELIVERY_STATUSES[f[SLOT.status]! | 0]!;
    out.milter = f[SLOT.milter] === 1;
    out.commandLevel = f[SLOT.command] === 1;
    out.limit = f[SLOT.limit] === 1;
    out.origKey = this.key(SLOT.orig);
    out.queuedAsKey = this.key(SLOT.queuedAs);
    out.fromS = f[SLOT.from]! | 0;
    out.fromE = f[SLOT.from + 1]! | 0;
    out.ipS = f[SLOT.ip]! | 0;
    out.ipE = f[SLOT.ip + 1]! | 0;
    out.saslS = f[SLOT.sasl]! | 0;
    out.saslE = f[SLOT.sasl + 1]! | 0;
    out.nameS = f[SLOT.name]! | 0;
    out.nameE = f[SLOT.name + 1]! | 0;
    out.valueS = f[SLOT.value]! | 0;
    out.valueE = f[SLOT.value + 1]! | 0;
    time.rfc = f[SLOT.rfc] === 1;
    time.y = f[SLOT.y]! | 0;
    time.mo = f[SLOT.mo]! | 0;
    time.d = f[SLOT.d]! | 0;
    time.h = f[SLOT.h]! | 0;
    time.mi = f[SLOT.mi]! | 0;
    time.s = f[SLOT.s]! | 0;
    time.ms = f[SLOT.ms]! | 0;
    time.offsetMin = f[SLOT.offset]! | 0;
  }

  private key(slot: number): QueueKey {
    const v = this.slots[slot]!;
    if (v >= 0) return v;
    return v === -1 ? latin1(this.mem, this.slots[slot + 1]! | 0, this.slots[slot + 2]! | 0) : NO_QUEUE;
  }
}

/** A whole number from the slots as an int32 where it is one (uids, sizes and counts may be larger). */
function whole(v: number): number {
  return v === (v | 0) ? v | 0 : v;
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
 * The worker's reading (maillog-worker.ts): events are written to the batch in the module
 * (WasmEventWriter) as the lines are parsed, without coming back to JavaScript one by one.
 * `watching`: whether the first event with a classic timestamp must still come back (readUnit
 * reports its line first); `settle`: called before any event does come back (times in line order);
 * `full`: the batch is full (the worker posts it).
 */
export type EncodeHooks = { watching(): boolean; settle(): void; full(): void };

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
    private readonly encode: EncodeHooks | null = null,
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
      const enc = this.encode;
      const code = enc ? this.w.ex.encode(pos, end, max, enc.watching() ? 1 : 0) : this.w.ex.scan(pos, end, max);
      const passed = slots[SLOT.passed]! | 0;
      if (passed > 0) this.on.lines(passed);
      const s = slots[SLOT.lineStart]! | 0;
      const e = slots[SLOT.lineEnd]! | 0;
      pos = slots[SLOT.next]! | 0;
      if (code === END) break;
      if (code === FULL) enc!.full();
      else if (code === OVERLONG) this.overlong(s, e);
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
    const r = this.w.ex.parse(start, end);
    if (r === LINE.event || r === LINE.unparsed) this.result(r as LineResult, start, end);
    else this.on.lines(1);
  }

  private result(r: LineResult, start: number, end: number): void {
    if (r === LINE.event) {
      this.encode?.settle();
      this.fill(this.w);
    }
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

/** Batches the module can write (WasmEventWriter): at most this many events and bytes. */
export function wasmBatchFits(maxEvents: number, byteCapacity: number): boolean {
  return maxEvents * NUMS_PER_EVENT * 8 <= NUMS_BYTES && byteCapacity <= BYTES_BYTES && maxEvents * TIME_INTS * 4 <= TIMES_BYTES;
}

/**
 * EventBatchWriter's batches, written by the module (maillog-line.as encodeLast) where the worker
 * reads with WasmLineReader's encode mode, and by EventBatchWriter's code for the events that come
 * back to JavaScript. The times are filled in here, in line order, from the module's records: the
 * year inference and the zone are the parser's (MaillogLineParser.instant). take() copies the batch
 * into shared arrays (decision 020) and starts the next.
 */
export class WasmEventWriter {
  private readonly nums: Float64Array;
  private readonly bytes: Uint8Array;
  private readonly times: Int32Array;
  private settled = 0;
  private last = 0;

  constructor(
    private readonly w: MaillogWasm,
    private readonly instant: (t: WasmTimestamp) => number,
    private readonly maxEvents: number,
    private readonly byteCapacity: number,
    private readonly reuse: () => EventBatch | null = () => null,
  ) {
    if (!wasmBatchFits(maxEvents, byteCapacity)) throw new Error(`batches of ${maxEvents} events and ${byteCapacity} bytes do not fit the WebAssembly writer`);
    const buf = w.mem.buffer;
    this.nums = new Float64Array(buf, NUMS, NUMS_BYTES / 8);
    this.bytes = new Uint8Array(buf, BYTES, BYTES_BYTES);
    this.times = new Int32Array(buf, TIMES, TIMES_BYTES / 4);
    w.ex.batchInit(NUMS, BYTES, TIMES, TEXTS, maxEvents, byteCapacity);
    w.ex.batchStart();
  }

  get count(): number {
    return this.w.ex.batchEvents();
  }

  get full(): boolean {
    return this.w.ex.batchFull() !== 0;
  }

  /** An event that came back to JavaScript (its time already known): after the module's ones. */
  write(e: MaillogEventFields): void {
    this.settle();
    const ex = this.w.ex;
    const at = EventBatchWriter.over(this.nums, this.bytes, ex.batchNumbers(), ex.batchByteCount());
    at.write(e);
    const { n, b } = at.position;
    ex.batchSet(n, b, ex.batchEvents() + 1);
  }

  /** The times of the events the module has written since the last call, in order. */
  settle(): void {
    const records = this.w.ex.batchRecords();
    const r = this.times;
    const t: WasmTimestamp = scratch;
    for (let i = this.settled; i < records; i++) {
      const o = i * TIME_INTS;
      const rfc = r[o + 1]!;
      if (rfc >= 0) {
        t.rfc = rfc === 1;
        t.y = r[o + 2]!;
        t.mo = r[o + 3]!;
        t.d = r[o + 4]!;
        t.h = r[o + 5]!;
        t.mi = r[o + 6]!;
        t.s = r[o + 7]!;
        t.ms = r[o + 8]!;
        t.offsetMin = r[o + 9]!;
        this.last = this.instant(t);
      }
      this.nums[r[o]!] = this.last;
    }
    this.settled = records;
  }

  take(): EventBatch {
    this.settle();
    const ex = this.w.ex;
    const n = ex.batchNumbers();
    const b = ex.batchByteCount();
    const count = ex.batchEvents();
    const out = this.reuse() ?? freshBatch(this.maxEvents, this.byteCapacity);
    out.nums.set(this.nums.subarray(0, n));
    out.bytes.set(this.bytes.subarray(0, b));
    ex.batchStart();
    this.settled = 0;
    return { count, numsLen: n, bytesLen: b, nums: out.nums, bytes: out.bytes };
  }
}

const scratch: WasmTimestamp = { rfc: false, y: 0, mo: 0, d: 0, h: 0, mi: 0, s: 0, ms: 0, offsetMin: 0 };
