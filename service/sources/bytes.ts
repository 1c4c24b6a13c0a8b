// Byte-level helpers for the log hot paths. Log lines are scanned as Buffers
// (decoding a whole line to a string costs more than parsing it), so these
// search only inside [from, to): Buffer#indexOf would run on past the end of
// the line through the rest of a 1 MiB chunk when the needle is absent.

// Node's Buffer has latin1Slice/utf8Slice (the methods behind toString, without
// its argument checks); they are not in @types/node. On a 1 GB pass the wrapper
// is a measurable share of the time (docs/decisions/001-maillog-hot-path.md).
type FastSlices = { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string };

/** bytes [start, end) as Latin-1 (queue IDs, IPs: ASCII by construction). */
export function latin1(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as FastSlices).latin1Slice(start, end);
}

/** bytes [start, end) as UTF-8, invalid sequences → U+FFFD (addresses, SASL names). */
export function utf8(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as FastSlices).utf8Slice(start, end);
}

/** ASCII text as bytes, for comparisons. */
export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** Whether `needle` occurs in `buf` at `at` (and fits before `to`). */
export function hasAt(buf: Uint8Array, at: number, to: number, needle: Uint8Array): boolean {
  const n = needle.length;
  if (at < 0 || at + n > to) return false;
  for (let i = 0; i < n; i++) if (buf[at + i] !== needle[i]) return false;
  return true;
}

/** First index of `needle` in buf[from, to), or -1. */
export function findBytes(buf: Uint8Array, from: number, to: number, needle: Uint8Array): number {
  const n = needle.length;
  if (n === 0) return from;
  const first = needle[0];
  const last = to - n;
  outer: for (let i = from; i <= last; i++) {
    if (buf[i] !== first) continue;
    for (let j = 1; j < n; j++) if (buf[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Last index of `needle` in buf[from, to), or -1. */
export function findLastBytes(buf: Uint8Array, from: number, to: number, needle: Uint8Array): number {
  const n = needle.length;
  outer: for (let i = to - n; i >= from; i--) {
    for (let j = 0; j < n; j++) if (buf[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** First index of byte `b` in buf[from, to), or -1. */
export function findByte(buf: Uint8Array, from: number, to: number, b: number): number {
  for (let i = from; i < to; i++) if (buf[i] === b) return i;
  return -1;
}

/** Unsigned decimal at `at` (at most 15 digits); returns -1 when there is no digit. `end` receives the index after it. */
export function readUint(buf: Uint8Array, at: number, to: number, end: { at: number }): number {
  let v = 0;
  let i = at;
  while (i < to && i - at < 15) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    i++;
  }
  end.at = i;
  return i === at ? -1 : v;
}

/**
 * Text from a log made safe for a terminal: C0/C1 control characters (ESC
 * sequences could rewrite the admin's screen) shown as \xNN.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * A slice of a hostile line made safe to show on a terminal or in JSON: UTF-8
 * (invalid bytes become U+FFFD), control characters escaped, length capped.
 */
export function showableLine(buf: Buffer, start: number, end: number, max = 200): string {
  const cut = Math.min(end, start + max * 4);
  let text = escapeControls(buf.toString('utf8', start, cut));
  let truncated = cut < end;
  if (text.length > max) {
    text = text.slice(0, max);
    truncated = true;
  }
  return truncated ? `${text}…` : text;
}
