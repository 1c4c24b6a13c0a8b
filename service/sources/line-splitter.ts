// Splits a stream of chunks into lines on 0x0A without decoding anything. A
// line that spans two chunks is completed in a small carry buffer; a line
// longer than `maxLine` (a file without newlines, or a hostile one) is never
// held in memory: it is reported once as overlong and skipped to its newline.

export type LineCallback = (buf: Buffer, start: number, end: number) => void;
export type OverlongCallback = (head: Buffer) => void;

const HEAD_BYTES = 256;

export class LineSplitter {
  private readonly carry: Buffer;
  private carryLen = 0;
  private skipping = false;         // inside the tail of an overlong line

  constructor(
    private readonly maxLine: number,
    private readonly onLine: LineCallback,
    private readonly onOverlong: OverlongCallback,
  ) {
    this.carry = Buffer.allocUnsafe(maxLine + 1);
  }

  /** Feeds chunk[0, len). The chunk may be reused by the caller afterwards. */
  push(chunk: Buffer, len: number): void {
    let pos = 0;
    if (this.skipping || this.carryLen > 0) {
      const nl = chunk.indexOf(10);
      const found = nl !== -1 && nl < len;
      const stop = found ? nl : len;
      if (this.skipping) {
        if (!found) return;
        this.skipping = false;
      } else if (this.carryLen + stop > this.maxLine) {
        this.overlongCarry(chunk, stop);
        this.carryLen = 0;
        this.skipping = !found;
      } else {
        chunk.copy(this.carry, this.carryLen, 0, stop);
        this.carryLen += stop;
        if (!found) return;
        this.emit(this.carry, 0, this.carryLen);
        this.carryLen = 0;
      }
      pos = stop + 1;
    }
    const max = this.maxLine;
    const onLine = this.onLine;
    while (pos < len) {
      const nl = chunk.indexOf(10, pos);
      if (nl === -1 || nl >= len) break;
      if (nl - pos > max) this.overlong(chunk, pos, nl);
      else {
        const end = nl > pos && chunk[nl - 1] === 13 ? nl - 1 : nl;
        onLine(chunk, pos, end);
      }
      pos = nl + 1;
    }
    const rest = len - pos;
    if (rest <= 0) return;
    if (rest > max) {
      this.overlong(chunk, pos, len);
      this.skipping = true;
    } else {
      chunk.copy(this.carry, 0, pos, len);
      this.carryLen = rest;
    }
  }

  /** Skips the bytes up to and including the next newline (a reader starting inside a line). */
  skipLine(): void {
    this.carryLen = 0;
    this.skipping = true;
  }

  /** Whether the bytes pushed so far end inside a line. */
  get midLine(): boolean {
    return this.carryLen > 0 || this.skipping;
  }

  /** Emits a last line that had no newline. */
  end(): void {
    if (this.carryLen > 0) this.emit(this.carry, 0, this.carryLen);
    this.carryLen = 0;
    this.skipping = false;
  }

  private emit(buf: Buffer, start: number, end: number): void {
    this.onLine(buf, start, end > start && buf[end - 1] === 13 ? end - 1 : end);
  }

  /** The head of an overlong line that began in the carry: the same bytes wherever the chunks were cut. */
  private overlongCarry(chunk: Buffer, stop: number): void {
    const fromCarry = Math.min(this.carryLen, HEAD_BYTES);
    const head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, this.carryLen + stop));
    this.carry.copy(head, 0, 0, fromCarry);
    chunk.copy(head, fromCarry, 0, head.length - fromCarry);
    this.onOverlong(head);
  }

  private overlong(buf: Buffer, start: number, end: number): void {
    this.onOverlong(Buffer.from(buf.subarray(start, Math.min(end, start + HEAD_BYTES))));
  }
}
