// Maillog events as two flat arrays, so a worker thread that parses part of
// the log can hand its events to the thread that accumulates them without a
// structured clone per event: numbers (kind, flags, time, queue keys, field
// lengths) in a Float64Array, text fields as raw bytes, both over shared
// memory, posted and then handed back for reuse (no allocation per batch once
// the pool is warm). Shared, not transferred: transferring an ArrayBuffer
// detaches it, and the first detach in a thread makes V8's optimized code
// check every typed array access for one from then on: the parser, which reads
// the log's bytes through typed arrays, ran ~15-18 % slower in both threads
// (docs/decisions/020). decodeEvents() refills one reused event object, as
// the parser does.
//
// The text fields the accumulator keeps as strings (envelope senders, client
// IPs, SASL names, header values) carry, besides their bytes, a slot of a table the writer and
// the reader keep in step (TextSlots): the worker's WebAssembly writer files
// each short value in a direct-mapped table as TextCache would, and says either
// "the value in slot s" (the reading thread takes its string from its own copy
// of the table: no hashing, no comparing, no decoding on the busier thread) or
// "a new value for slot s" (the reader decodes it once and keeps it there).
// EventBatchWriter (TypeScript) marks its values uncached: the reader's
// accumulator decodes them through its TextCache, as before.
import { DELIVERY_STATUSES, EVENT_KINDS, FIELD_CAP, type MaillogEvent, type MaillogEventFields } from './maillog-event.ts';
import { NO_QUEUE, QUEUE_ID_MAX, type QueueKey } from './queue-key.ts';

export type EventBatch = { count: number; numsLen: number; bytesLen: number; nums: Float64Array<SharedArrayBuffer>; bytes: Uint8Array<SharedArrayBuffer> };

const MILTER = 16;
const COMMAND = 32;
const LIMIT = 64;
const STATUS_SHIFT = 8;
export const NUMS_PER_EVENT = 8;                           // at most 8 are used (a client line: ip and sasl with their slots)

/** Slots of the text table (maillog-line.as valueOut): as many as TextCache has, values up to its width. */
export const TEXT_SLOTS = 1 << 15;
export const TEXT_WIDTH = 48;
/** A value's slot number: s ≥ 0 the value in slot s; UNCACHED none; ≤ -2 a new value for slot -(n + 2). */
export const UNCACHED = -1;
const BYTES_PER_EVENT = 2 * FIELD_CAP + 2 * QUEUE_ID_MAX;   // two capped texts and two text keys

type Latin1 = { latin1Slice(s: number, e: number): string; latin1Write(text: string, at: number): number };

function statusIndex(s: MaillogEventFields['status']): number {
  switch (s) {
    case 'sent': return 0;
    case 'deferred': return 1;
    case 'bounced': return 2;
    case 'expired': return 3;
    default: return 4;
  }
}

/** Empty arrays for a batch of at most `maxEvents` events and `byteCapacity` text bytes, in shared memory. */
export function freshBatch(maxEvents: number, byteCapacity: number): Pick<EventBatch, 'nums' | 'bytes'> {
  return {
    nums: new Float64Array(new SharedArrayBuffer(maxEvents * NUMS_PER_EVENT * Float64Array.BYTES_PER_ELEMENT)),
    bytes: new Uint8Array(new SharedArrayBuffer(byteCapacity)),
  };
}

export class EventBatchWriter {
  count = 0;
  private nums: Float64Array<SharedArrayBuffer>;
  private bytes: Uint8Array<SharedArrayBuffer>;
  private n = 0;
  private b = 0;

  /**
   * A writer over arrays that are not its own, from position (n, b): the WebAssembly writer's, for
   * an event that comes back to JavaScript (maillog-wasm.ts); `position` says where it got to. No take().
   */
  static over(nums: Float64Array, bytes: Uint8Array, n: number, b: number): EventBatchWriter {
    const w = new EventBatchWriter(0, 0);
    // Typed as shared for the writer's fields only: take() (the one use of the type) is not for this writer.
    w.nums = nums as Float64Array<SharedArrayBuffer>;
    w.bytes = bytes as Uint8Array<SharedArrayBuffer>;
    w.n = n;
    w.b = b;
    return w;
  }

  /** Where the writer got to in its arrays. */
  get position(): { n: number; b: number } {
    return { n: this.n, b: this.b };
  }

  /** `reuse` hands back arrays of an earlier batch, or null. */
  constructor(private readonly maxEvents: number, private readonly byteCapacity: number, private readonly reuse: () => EventBatch | null = () => null) {
    ({ nums: this.nums, bytes: this.bytes } = this.fresh());
  }

  /** Whether the batch must be taken before the next write. */
  get full(): boolean {
    return this.count >= this.maxEvents || this.b > this.byteCapacity - BYTES_PER_EVENT;
  }

  write(e: MaillogEventFields): void {
    const nums = this.nums;
    const head = this.n;
    nums[this.n + 1] = e.ts;
    this.n += 2;
    this.key(e.qkey);
    let kind: number;
    switch (e.kind) {
      case 'pickup': kind = 0; nums[this.n++] = e.uid; this.value(e.buf, e.fromS, e.fromE); break;
      case 'client': kind = 1; this.value(e.buf, e.ipS, e.ipE); this.value(e.buf, e.saslS, e.saslE); this.key(e.origKey); break;
      case 'queued': kind = 2; nums[this.n++] = e.size; nums[this.n++] = e.nrcpt; this.value(e.buf, e.fromS, e.fromE); break;
      case 'expired': kind = 3; this.value(e.buf, e.fromS, e.fromE); break;
      case 'delivery': kind = 4; this.key(e.queuedAsKey); break;
      case 'removed': kind = 5; break;
      case 'reject': kind = 6; this.value(e.buf, e.fromS, e.fromE); break;
      case 'header': kind = 7; this.text(e.buf, e.nameS, e.nameE); this.value(e.buf, e.valueS, e.valueE); break;
      case 'handler': kind = 8; this.text(e.buf, e.nameS, e.nameE); this.text(e.buf, e.valueS, e.valueE); break;
    }
    nums[head] = kind | (e.milter ? MILTER : 0) | (e.commandLevel ? COMMAND : 0) | (e.limit ? LIMIT : 0) | (statusIndex(e.status) << STATUS_SHIFT);
    this.count++;
  }

  /** The batch so far (its arrays, not a copy); the writer goes on with other arrays. */
  take(): EventBatch {
    const batch: EventBatch = { count: this.count, numsLen: this.n, bytesLen: this.b, nums: this.nums, bytes: this.bytes };
    ({ nums: this.nums, bytes: this.bytes } = this.reuse() ?? this.fresh());
    this.count = this.n = this.b = 0;
    return batch;
  }

  private fresh() {
    return freshBatch(this.maxEvents, this.byteCapacity);
  }

  // A numeric key as itself (≥ 1), a text key (rare: long IDs) as -(length + 1) and its bytes.
  private key(k: QueueKey): void {
    if (typeof k === 'number') {
      this.nums[this.n++] = k;
      return;
    }
    const len = Math.min(k.length, QUEUE_ID_MAX);
    this.nums[this.n++] = -(len + 1);
    for (let i = 0; i < len; i++) this.bytes[this.b++] = k.charCodeAt(i);
  }

  /** A value kept as a string by the accumulator: as text(), then its slot (this writer keeps no table). */
  private value(buf: Uint8Array, s: number, e: number): void {
    this.text(buf, s, e);
    this.nums[this.n++] = UNCACHED;
  }

  private text(buf: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.nums[this.n++] = n;
    const bytes = this.bytes;
    let b = this.b;
    for (let i = s; i < e; i++) bytes[b++] = buf[i]!;
    this.b = b;
  }
}

/** The reading thread's copy of the writer's text table: one per worker, every batch of it decoded in order. */
export class TextSlots {
  readonly texts: string[] = new Array<string>(TEXT_SLOTS).fill('');
}

/**
 * Calls onEvent for each event of the batch, in order, with `e` refilled (fromText, ipText and
 * saslText: the value's string, or null for an uncached one). Every batch of a worker must be read,
 * in the order it was written, with the same `slots`: a batch that is not used is still read
 * (with a no-op onEvent), or the table would fall out of step.
 */
export function decodeEvents(batch: EventBatch, e: MaillogEvent, onEvent: (e: MaillogEvent) => void, slots: TextSlots): void {
  new EventReader(batch, slots.texts).each(e, onEvent);
}

// Positions are kept as int32 (`| 0`): numbers read from a Float64Array are
// doubles, and storing doubles into the event's integer fields would make V8
// box every one of them.
class EventReader {
  private n = 0;
  private b = 0;
  private readonly nums: Float64Array;
  private readonly buf: Buffer;
  // The last value read: where its bytes are, and its string (null: uncached).
  private s = 0;
  private e = 0;
  private t: string | null = null;

  constructor(private readonly batch: EventBatch, private readonly texts: string[]) {
    this.nums = batch.nums;
    this.buf = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytesLen);
  }

  each(e: MaillogEvent, onEvent: (e: MaillogEvent) => void): void {
    const nums = this.nums;
    for (let i = 0; i < this.batch.count; i++) {
      const head = nums[this.n]! | 0;
      e.ts = nums[this.n + 1]!;
      this.n += 2;
      e.qkey = this.key();
      const kind = head & 15;
      e.kind = EVENT_KINDS[kind]!;
      e.milter = (head & MILTER) !== 0;
      e.commandLevel = (head & COMMAND) !== 0;
      e.limit = (head & LIMIT) !== 0;
      e.status = DELIVERY_STATUSES[head >> STATUS_SHIFT]!;
      e.buf = this.buf;
      e.uid = -1;
      e.nrcpt = -1;
      e.size = -1;
      e.origKey = NO_QUEUE;
      e.queuedAsKey = NO_QUEUE;
      const b = this.b;
      e.fromS = b; e.fromE = b; e.ipS = b; e.ipE = b; e.saslS = b; e.saslE = b; e.nameS = b; e.nameE = b; e.valueS = b; e.valueE = b;
      e.fromText = e.ipText = e.saslText = e.valueText = null;
      switch (kind) {
        case 0:
          e.uid = nums[this.n++]!;
          this.value(true);
          e.fromS = this.s; e.fromE = this.e; e.fromText = this.t;
          break;
        case 1:
          this.value(false);
          e.ipS = this.s; e.ipE = this.e; e.ipText = this.t;
          this.value(true);
          e.saslS = this.s; e.saslE = this.e; e.saslText = this.t;
          e.origKey = this.key();
          break;
        case 2:
          e.size = nums[this.n]!; e.nrcpt = nums[this.n + 1]!; this.n += 2;
          this.value(true);
          e.fromS = this.s; e.fromE = this.e; e.fromText = this.t;
          break;
        case 3: case 6:
          this.value(true);
          e.fromS = this.s; e.fromE = this.e; e.fromText = this.t;
          break;
        case 4: e.queuedAsKey = this.key(); break;
        case 7:
          e.nameE = this.text();
          this.value(true);
          e.valueS = this.s; e.valueE = this.e; e.valueText = this.t;
          break;
        case 8: e.nameE = this.text(); e.valueS = this.b; e.valueE = this.text(); break;
      }
      onEvent(e);
    }
  }

  /** A value (EventBatchWriter.value, maillog-line.as valueOut) into s, e and t; `utf8`: how the field decodes. */
  private value(utf8: boolean): void {
    const s = this.b;
    const e = (s + this.nums[this.n]!) | 0;
    const slot = this.nums[this.n + 1]! | 0;
    this.n += 2;
    this.b = e;
    this.s = s;
    this.e = e;
    if (slot >= 0) this.t = this.texts[slot]!;
    else if (slot === UNCACHED) this.t = null;
    else {
      const buf = this.buf as unknown as Latin1 & { utf8Slice(s: number, e: number): string };
      this.t = this.texts[-slot - 2] = utf8 ? buf.utf8Slice(s, e) : buf.latin1Slice(s, e);
    }
  }

  /** Skips a text field; returns its end. */
  private text(): number {
    this.b = (this.b + this.nums[this.n++]!) | 0;
    return this.b;
  }

  private key(): QueueKey {
    const v = this.nums[this.n++]!;
    if (v >= 0) return v;
    const start = this.b;
    this.b = (this.b - v - 1) | 0;
    return (this.buf as unknown as Latin1).latin1Slice(start, this.b);
  }
}
