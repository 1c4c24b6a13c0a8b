// Log fields → strings, decoding each distinct value once. A 1 GB maillog
// repeats a few thousand addresses and IPs millions of times; decoding each
// occurrence costs a native call and a fresh string that every Map lookup and
// comparison downstream then has to hash or scan again. A direct-mapped cache
// (one slot per hash, the newest value wins) keeps memory fixed whatever the
// log holds: a spammer's endless random addresses only cost misses.
import { latin1, utf8 } from './bytes.ts';

const SLOTS = 1 << 15;
const WIDTH = 48;          // longer values are decoded every time

export class TextCache {
  private readonly bytes = new Uint8Array(SLOTS * WIDTH);
  private readonly lengths = new Int16Array(SLOTS).fill(-1);
  private readonly texts: string[] = new Array<string>(SLOTS).fill('');
  private readonly isUtf8: boolean[] = new Array<boolean>(SLOTS).fill(false);

  /** buf[start, end) as UTF-8 (invalid sequences → U+FFFD). */
  utf8(buf: Buffer, start: number, end: number): string {
    return this.get(buf, start, end, true);
  }

  /** buf[start, end) as Latin-1. */
  latin1(buf: Buffer, start: number, end: number): string {
    return this.get(buf, start, end, false);
  }

  private get(buf: Buffer, start: number, end: number, isUtf8: boolean): string {
    const n = end - start;
    if (n <= 0) return '';
    if (n > WIDTH) return isUtf8 ? utf8(buf, start, end) : latin1(buf, start, end);
    let h = 0x811c9dc5 ^ n;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
    const at = slot * WIDTH;
    const bytes = this.bytes;
    if (this.lengths[slot] === n && this.isUtf8[slot] === isUtf8) {
      let i = 0;
      while (i < n && bytes[at + i] === buf[start + i]) i++;
      if (i === n) return this.texts[slot]!;
    }
    const text = isUtf8 ? utf8(buf, start, end) : latin1(buf, start, end);
    for (let i = 0; i < n; i++) bytes[at + i] = buf[start + i]!;
    this.lengths[slot] = n;
    this.isUtf8[slot] = isUtf8;
    this.texts[slot] = text;
    return text;
  }
}
