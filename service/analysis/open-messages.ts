// The open messages of the mail flow by queue key: what a Map<QueueKey,
// FlowMessage> did, without its garbage. Every message of the log is added
// and deleted once (944 k on the 1 GB bench log) while a few thousand are
// open at a time; a Map that churns like that rebuilds its table every few
// thousand deletions, and a table of that size is a large object that only a
// full collection frees: 35 MB of garbage per GB of log, about a tenth of the
// pass's peak RSS (docs/decisions/017). Here the table is open addressing
// (linear probing, deletion by backward shift: no tombstones, so no rebuild),
// and the arrays grow only when more messages are open at once than ever
// before. Iteration is in insertion order, as a Map's (the oldest messages
// are evicted first, and finish() tallies in that order).
import type { QueueKey } from '../sources/queue-key.ts';

/** What the table needs of a message: its key, and a slot for its place in the insertion order. */
export type OpenEntry = { qkey: QueueKey; openAt: number };

const START_SLOTS = 2048;      // a table at most half full: 1,024 open messages before it grows

function hashNumber(k: number): number {
  // Keys are integers below 2^53 (queue-key.ts): both halves mixed.
  const lo = k >>> 0;
  const hi = (k / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) ^ (h >>> 16);
}

function hashString(k: string): number {
  let h = 0x811c9dc5 ^ k.length;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  return h ^ (h >>> 15);
}

export class OpenMessages<T extends OpenEntry> {
  // Slot i holds a message when vals[i] !== null; its key is nums[i] (strs[i] === null) or strs[i].
  private nums = new Float64Array(START_SLOTS);
  private strs: Array<string | null> = new Array<string | null>(START_SLOTS).fill(null);
  private vals: Array<T | null> = new Array<T | null>(START_SLOTS).fill(null);
  private mask = START_SLOTS - 1;
  private count = 0;
  // Insertion order: messages at [0, orderLen), null where one was deleted (its openAt said where).
  private order: Array<T | null> = new Array<T | null>(START_SLOTS / 2).fill(null);
  private orderLen = 0;

  get size(): number {
    return this.count;
  }

  get(key: QueueKey): T | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.vals[i]!;
  }

  /** Adds a message whose key is not in the table (the accumulator deletes a life before it starts the next). */
  add(m: T): void {
    if ((this.count + 1) * 2 > this.vals.length) this.grow();
    this.insert(m.qkey, m);
    this.count++;
    if (this.orderLen === this.order.length) this.compactOrder();
    m.openAt = this.orderLen;
    this.order[this.orderLen++] = m;
  }

  delete(key: QueueKey): boolean {
    let i = this.find(key);
    if (i < 0) return false;
    const m = this.vals[i]!;
    this.order[m.openAt] = null;
    m.openAt = -1;
    this.count--;
    // Backward shift: move up every following message of the run that may sit at i, so that no probe stops early.
    const mask = this.mask;
    for (let j = (i + 1) & mask; this.vals[j] !== null; j = (j + 1) & mask) {
      const k = this.strs[j] ?? this.nums[j]!;
      // The message at j may move to i if i lies cyclically in [home, j).
      if (((j - this.home(k)) & mask) >= ((j - i) & mask)) {
        this.put(i, k, this.vals[j]!);
        i = j;
      }
    }
    this.vals[i] = null;
    this.strs[i] = null;
    this.nums[i] = 0;
    return true;
  }

  /** The open messages, oldest first; the table must not change while this runs (take a copy to change it). */
  *values(): IterableIterator<T> {
    for (let i = 0; i < this.orderLen; i++) {
      const m = this.order[i]!;
      if (m !== null) yield m;
    }
  }

  /** The open messages, oldest first, as an array (safe to delete them while walking it). */
  oldest(n: number): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.orderLen && out.length < n; i++) {
      const m = this.order[i]!;
      if (m !== null) out.push(m);
    }
    return out;
  }

  clear(): void {
    for (let i = 0; i < this.orderLen; i++) {
      const m = this.order[i];
      if (m) m.openAt = -1;
    }
    this.vals.fill(null);
    this.strs.fill(null);
    this.nums.fill(0);
    this.order.fill(null);
    this.count = 0;
    this.orderLen = 0;
  }

  /** The slot a key's probe starts at. */
  private home(key: QueueKey): number {
    return (typeof key === 'number' ? hashNumber(key) : hashString(key)) & this.mask;
  }

  private holds(i: number, key: QueueKey): boolean {
    return typeof key === 'number' ? this.nums[i] === key && this.strs[i] === null : this.strs[i] === key;
  }

  private find(key: QueueKey): number {
    for (let i = this.home(key); this.vals[i] !== null; i = (i + 1) & this.mask) if (this.holds(i, key)) return i;
    return -1;
  }

  /** Puts m in the first free slot of its key's run (which is where the key would be if it were there). */
  private insert(key: QueueKey, m: T): void {
    let i = this.home(key);
    for (; this.vals[i] !== null; i = (i + 1) & this.mask) {
      if (this.holds(i, key)) throw new Error(`internal: queue key ${String(key)} is open already`);
    }
    this.put(i, key, m);
  }

  private put(i: number, key: QueueKey, m: T): void {
    if (typeof key === 'number') {
      this.nums[i] = key;
      this.strs[i] = null;
    } else {
      this.nums[i] = 0;
      this.strs[i] = key;
    }
    this.vals[i] = m;
  }

  /** Drops the deleted places from the insertion order, in place; doubles it when it is more than half full of open messages. */
  private compactOrder(): void {
    let w = 0;
    for (let r = 0; r < this.orderLen; r++) {
      const m = this.order[r]!;
      if (m === null) continue;
      m.openAt = w;
      this.order[w++] = m;
    }
    this.order.fill(null, w, this.orderLen);
    this.orderLen = w;
    if (w * 2 > this.order.length) {
      const bigger = new Array<T | null>(this.order.length * 2).fill(null);
      for (let i = 0; i < w; i++) bigger[i] = this.order[i]!;
      this.order = bigger;
    }
  }

  private grow(): void {
    const { nums, strs, vals } = this;
    const c = vals.length * 2;
    this.nums = new Float64Array(c);
    this.strs = new Array<string | null>(c).fill(null);
    this.vals = new Array<T | null>(c).fill(null);
    this.mask = c - 1;
    for (let i = 0; i < vals.length; i++) {
      const m = vals[i]!;
      if (m !== null) this.insert(strs[i] ?? nums[i]!, m);
    }
  }
}
