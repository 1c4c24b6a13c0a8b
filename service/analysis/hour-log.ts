// Every sender's messages per hour, counted for all senders in one place.
// On a 1 GB log ~10,000 senders send in ~775,000 (sender, hour) pairs: kept
// as a list of counts in each sender, every message went through its
// sender's counters, out of the CPU cache (docs/decisions/019). Here a
// message is one increment in a small matrix: a row per sender, a column
// per hour of the last few (`WIDTH`), each column holding one hour at a time.
// When a column is taken for a newer hour, its counts are written out as
// (sender, hour, count) entries, in one list for all senders; a message
// tallied late (its hour's column already holds a newer one) becomes an
// entry of its own. At the end the entries are grouped by sender and summed
// by hour: the same counts, whatever the order the messages came in.
import { BucketCounts } from './counters.ts';

const WIDTH = 8;              // hours held in the matrix (a power of two); messages are tallied minutes after their hour, retried ones days later
const EMPTY = -Infinity;      // the hour of a column that holds none yet

export class HourLog {
  private rows = 0;                                     // senders the matrix has room for
  private cells = new Int32Array(0);                    // [sender * WIDTH + column]
  private readonly columnHour = new Float64Array(WIDTH).fill(EMPTY);
  // Per column, the senders whose cell is not 0 (so that writing a column out costs its senders, not all).
  private readonly touched = Array.from({ length: WIDTH }, () => new Int32Array(64));
  private readonly touchedLen = new Int32Array(WIDTH);
  // The entries written out: sender, hour, count.
  private sender = new Int32Array(1024);
  private hour = new Float64Array(1024);
  private count = new Int32Array(1024);
  private n = 0;
  private ended = false;

  /**
   * Counts `n` messages of sender number `s` (0, 1, 2… in order of creation) in hour `hour`
   * (floor(ms / HOUR)). `hour & (WIDTH - 1)` picks the column: the same one for the same hour
   * (a column is only a place, checked against the hour it holds), and consecutive hours go to
   * different columns for any hour a log line can give (years 0000–9999 are within ±2^27).
   */
  add(s: number, hour: number, n = 1): void {
    if (this.ended) throw new Error('internal: hour log already ended');
    if (n <= 0) return;
    if (s >= this.rows) this.growRows(s + 1);
    const c = hour & (WIDTH - 1);
    const held = this.columnHour[c]!;
    if (held !== hour) {
      if (held > hour) {
        this.entry(s, hour, n);               // late: its column holds a newer hour
        return;
      }
      this.writeOut(c);
      this.columnHour[c] = hour;
    }
    const i = s * WIDTH + c;
    if (this.cells[i] === 0) this.touch(c, s);
    this.cells[i]! += n;
  }

  /**
   * Each sender's counts, by sender number (`senders` of them; a sender with none gets empty counts).
   * Ends the log: call once, after the last add.
   */
  bySender(senders: number, unit: number): BucketCounts[] {
    if (this.ended) throw new Error('internal: hour log already ended');
    this.ended = true;
    for (let c = 0; c < WIDTH; c++) this.writeOut(c);
    const n = this.n;
    // A stable counting sort by sender: each sender's entries in the order they were written,
    // as [hour, count, …] in one array that every sender's counts then view (no array each).
    const start = new Int32Array(senders + 1);
    for (let i = 0; i < n; i++) start[this.sender[i]! + 1]!++;
    for (let s = 0; s < senders; s++) start[s + 1]! += start[s]!;
    const pairs = new Float64Array(2 * n);
    placeBySender(pairs, start.slice(0, senders), this.sender, this.hour, this.count, n);
    const out = new Array<BucketCounts>(senders);
    for (let s = 0; s < senders; s++) {
      const from = start[s]!;
      const used = sortAndSum(pairs, from, start[s + 1]!);
      out[s] = BucketCounts.fromPairs(unit, pairs.subarray(2 * from, 2 * (from + used)), used);
    }
    // The counts now live in `pairs` (viewed by the senders' counts): the log's own arrays go.
    this.sender = new Int32Array(0);
    this.hour = new Float64Array(0);
    this.count = new Int32Array(0);
    this.cells = new Int32Array(0);
    this.n = this.rows = 0;
    return out;
  }

  private touch(c: number, s: number): void {
    let list = this.touched[c]!;
    const len = this.touchedLen[c]!;
    if (len === list.length) {
      const grown = new Int32Array(list.length * 2);
      grown.set(list);
      this.touched[c] = list = grown;
    }
    list[len] = s;
    this.touchedLen[c] = len + 1;
  }

  /** Writes column c's counts out as entries and empties it. */
  private writeOut(c: number): void {
    const hour = this.columnHour[c]!;
    const list = this.touched[c]!;
    const len = this.touchedLen[c]!;
    for (let k = 0; k < len; k++) {
      const s = list[k]!;
      const i = s * WIDTH + c;
      this.entry(s, hour, this.cells[i]!);
      this.cells[i] = 0;
    }
    this.touchedLen[c] = 0;
  }

  private entry(s: number, hour: number, n: number): void {
    if (this.n === this.sender.length) {
      const size = this.n * 2;
      const sender = new Int32Array(size);
      const hours = new Float64Array(size);
      const count = new Int32Array(size);
      sender.set(this.sender);
      hours.set(this.hour);
      count.set(this.count);
      this.sender = sender;
      this.hour = hours;
      this.count = count;
    }
    this.sender[this.n] = s;
    this.hour[this.n] = hour;
    this.count[this.n] = n;
    this.n++;
  }

  private growRows(atLeast: number): void {
    let rows = Math.max(64, this.rows);
    while (rows < atLeast) rows *= 2;
    const cells = new Int32Array(rows * WIDTH);
    cells.set(this.cells);
    this.cells = cells;
    this.rows = rows;
  }
}

function placeBySender(pairs: Float64Array, at: Int32Array, sender: Int32Array, hour: Float64Array, count: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const k = at[sender[i]!]!++;
    pairs[2 * k] = hour[i]!;
    pairs[2 * k + 1] = count[i]!;
  }
}

/**
 * Sorts the pairs [from, to) of `pairs` by hour and sums equal hours (an hour written out, then
 * counted again late); returns how many pairs remain, from `from` on. The pairs are nearly sorted
 * (late messages are few): an insertion sort.
 */
function sortAndSum(pairs: Float64Array, from: number, to: number): number {
  for (let j = from + 1; j < to; j++) {
    const hour = pairs[2 * j]!;
    const count = pairs[2 * j + 1]!;
    let k = j;
    for (; k > from && pairs[2 * k - 2]! > hour; k--) {
      pairs[2 * k] = pairs[2 * k - 2]!;
      pairs[2 * k + 1] = pairs[2 * k - 1]!;
    }
    pairs[2 * k] = hour;
    pairs[2 * k + 1] = count;
  }
  let w = from;
  for (let j = from; j < to; j++) {
    if (w > from && pairs[2 * w - 2] === pairs[2 * j]) pairs[2 * w - 1]! += pairs[2 * j + 1]!;
    else {
      pairs[2 * w] = pairs[2 * j]!;
      pairs[2 * w + 1] = pairs[2 * j + 1]!;
      w++;
    }
  }
  return w - from;
}
