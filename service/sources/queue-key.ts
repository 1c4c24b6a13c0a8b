// Queue IDs as Map keys without decoding them to strings: on a 1 GB log every
// event carries one (docs/decisions/001-maillog-hot-path.md). Postfix's short
// IDs (upper-case hex, 10–12 characters [V] postconf(5) enable_long_queue_ids)
// become a number, value·16 + length: exact below 2^52, and the length keeps
// `0AB` and `AB` apart. Any other text (long IDs, another server's IDs after
// `queued as`) stays its Latin-1 string. One text, one key; two texts, two
// keys: a hostile `queued as` cannot alias one of our messages.

export type QueueKey = number | string;

/** The longest ID the parser reads (queue IDs, `orig_queue_id=`, another server's ID after `queued as`). */
export const QUEUE_ID_MAX = 24;

/** No queue ID (NOQUEUE rejects, handler lines). */
export const NO_QUEUE: QueueKey = '';

const MAX_HEX = 12;
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) HEX['0123456789ABCDEF'.charCodeAt(i)] = i;

type Latin1 = { latin1Slice(start: number, end: number): string };

/** Key of the ID in buf[start, end). */
export function queueKeyAt(buf: Uint8Array, start: number, end: number): QueueKey {
  const n = end - start;
  if (n > 0 && n <= MAX_HEX) {
    let v = 0;
    let i = start;
    for (; i < end; i++) {
      const d = HEX[buf[i]!]!;
      if (d < 0) break;
      v = v * 16 + d;
    }
    if (i === end) return v * 16 + n;
  }
  return (buf as unknown as Latin1).latin1Slice(start, end);
}

/** Key of an ID given as text (tests, callers holding strings). */
export function queueKeyOf(text: string): QueueKey {
  if (text.length > MAX_HEX) return text;
  const b = Buffer.from(text, 'latin1');
  return b.toString('latin1') === text ? queueKeyAt(b, 0, b.length) : text;
}

/** The ID a key stands for. */
export function queueKeyText(key: QueueKey): string {
  if (typeof key === 'string') return key;
  const n = key % 16;
  return Math.floor(key / 16).toString(16).toUpperCase().padStart(n, '0');
}
