// One segment file of the live checkpoint (cursor-store.ts): the chunks of
// one chunk index of every series that has it: for `m-<hour index>.<gen>.bin`
// the 60 minutes of that hour, for `h-<day index>.<gen>.bin` the 24 hours of
// that UTC day. Binary, every field a little-endian u32:
//
//   'STSG' · format 1 · slots (60 | 24) · chunk index · record count ·
//   records: sid, then `slots` counts
//
// A file is read whole and checked against its name and its exact size: a
// torn or foreign file is refused, never half-read.
import { endianness } from 'node:os';
import { createError } from '../errors.ts';

export type SegmentKind = 'm' | 'h';
const MAGIC = 0x4753_5453;   // 'STSG' in little-endian bytes
const FORMAT = 1;
const HEADER = 5;            // u32 words
export const SLOTS: Record<SegmentKind, number> = { m: 60, h: 24 };
const NAME = /^([mh])-(\d{1,10})\.(\d{1,15})\.bin$/;
const BIG_ENDIAN = endianness() === 'BE';

export function segmentName(kind: SegmentKind, index: number, generation: number): string {
  return `${kind}-${index}.${generation}.bin`;
}

export function parseSegmentName(name: string): { kind: SegmentKind; index: number; generation: number } | null {
  const m = NAME.exec(name);
  return m ? { kind: m[1] as SegmentKind, index: Number(m[2]), generation: Number(m[3]) } : null;
}

/** The file's bytes for these chunks (copied: the series may change while the file is being written). */
export function encodeSegment(kind: SegmentKind, index: number, sids: number[], chunks: Uint32Array[]): Buffer {
  const slots = SLOTS[kind];
  const words = new Uint32Array(HEADER + sids.length * (slots + 1));
  words.set([MAGIC, FORMAT, slots, index, sids.length]);
  let off = HEADER;
  for (let i = 0; i < sids.length; i++) {
    words[off] = sids[i]!;
    words.set(chunks[i]!, off + 1);
    off += slots + 1;
  }
  const buf = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
  return BIG_ENDIAN ? buf.swap32() : buf;
}

/** Calls `each` with every record of the file (`counts` is a view: copy it to keep it). */
export function decodeSegment(path: string, bytes: Buffer, kind: SegmentKind, index: number, each: (sid: number, counts: Uint32Array) => void): void {
  const bad = (why: string) => createError('SENDTRACE_ERR_STATE', path, why);
  if (bytes.length < HEADER * 4 || bytes.length % 4 !== 0) throw bad(`not a segment file (${bytes.length} bytes)`);
  // Copied into an aligned array of native byte order (a read Buffer may sit at any offset of a pool).
  const words = new Uint32Array(bytes.length / 4);
  const view = Buffer.from(words.buffer);
  bytes.copy(view);
  if (BIG_ENDIAN) view.swap32();
  const slots = SLOTS[kind];
  if (words[0] !== MAGIC || words[1] !== FORMAT) throw bad('not a segment file of this version');
  if (words[2] !== slots || words[3] !== index) throw bad(`holds ${words[2]} slots of chunk ${words[3]}, its name says ${slots} of ${index}`);
  const count = words[4]!;
  if (words.length !== HEADER + count * (slots + 1)) throw bad(`${count} records need ${(HEADER + count * (slots + 1)) * 4} bytes, the file has ${bytes.length} (torn?)`);
  for (let i = 0, off = HEADER; i < count; i++, off += slots + 1) each(words[off]!, words.subarray(off + 1, off + 1 + slots));
}
