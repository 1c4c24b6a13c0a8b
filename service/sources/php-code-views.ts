// Two views of PHP source, the same length as the input so offsets agree:
// - `code`:  comments and inline HTML blanked, string literals kept (a
//            `"From: $_POST[from]"` must still be seen);
// - `shape`: string contents blanked too, so `mail(` inside a string or a
//            `)` inside a literal cannot fool call and argument matching.
// One linear pass, no backtracking: safe on hostile and binary input. The
// text is latin1-decoded bytes (one char per byte).

export type CodeViews = { code: string; shape: string; lineStarts: number[] };

const NL = 10;
const SPACE = 32;

function blankRange(buf: Buffer, from: number, to: number): void {
  for (let i = from; i < to; i++) if (buf[i] !== NL) buf[i] = SPACE;
}

function indexOfByte(src: Buffer, byte: number, from: number): number {
  return from >= src.length ? -1 : src.indexOf(byte, from);
}

/** Index of the quote closing the literal opened at `i` (backslash escapes honoured), or -1. */
function closingQuote(src: Buffer, i: number): number {
  const q = src[i]!;
  let j = i + 1;
  for (;;) {
    const nextQ = indexOfByte(src, q, j);
    if (nextQ === -1) return -1;
    // Count the backslashes right before the quote: an odd number escapes it.
    let k = nextQ - 1;
    while (k > i && src[k] === 0x5c) k--;
    if ((nextQ - 1 - k) % 2 === 0) return nextQ;
    j = nextQ + 1;
  }
}

// Bytes that can change the lexer's state inside PHP code: ? / # ' " ` <
const SPECIAL = new Uint8Array(256);
for (const c of '?/#\'"`<') SPECIAL[c.charCodeAt(0)] = 1;

export function buildCodeViews(text: string, startInPhp = false): CodeViews {
  const src = Buffer.from(text, 'latin1');
  const code = Buffer.from(src);
  const shape = Buffer.from(src);
  const n = src.length;
  let i = 0;
  let inPhp = startInPhp;
  const hide = (from: number, to: number) => { blankRange(code, from, to); blankRange(shape, from, to); };
  while (i < n) {
    if (!inPhp) {
      const open = src.indexOf('<?', i, 'latin1');
      const end = open === -1 ? n : open;
      hide(i, end);
      if (open === -1) break;
      const tag = /^<\?(?:php|=)?/i.exec(src.toString('latin1', open, open + 5))![0];
      hide(open, open + tag.length);
      i = open + tag.length;
      inPhp = true;
      continue;
    }
    const c = src[i]!;
    const next = src[i + 1];
    if (c === 0x3f /* ? */ && next === 0x3e /* > */) {
      hide(i, i + 2);
      i += 2;
      inPhp = false;
    } else if ((c === 0x2f && next === 0x2f) || (c === 0x23 && next !== 0x5b)) {
      // A line comment (// or #, but not a #[attribute]) ends at the newline or at `?>`.
      let j = i;
      while (j < n && src[j] !== NL && !(src[j] === 0x3f && src[j + 1] === 0x3e)) j++;
      hide(i, j);
      i = j;
    } else if (c === 0x2f && next === 0x2a) {
      const end = src.indexOf('*/', i + 2, 'latin1');
      const j = end === -1 ? n : end + 2;
      hide(i, j);
      i = j;
    } else if (c === 0x27 || c === 0x22 || c === 0x60) {
      // Keep the quotes in `shape` so a literal still reads as one argument.
      const close = closingQuote(src, i);
      blankRange(shape, i + 1, close === -1 ? n : close);
      i = close === -1 ? n : close + 1;
    } else if (c === 0x3c && src[i + 1] === 0x3c && src[i + 2] === 0x3c) {
      const head = /^<<<[ \t]*(["']?)([A-Za-z_][A-Za-z0-9_]{0,63})\1\r?\n/.exec(src.toString('latin1', i, i + 80));
      if (!head) { i++; continue; }
      // PHP 7.3+: the closing identifier may be indented and followed by more code.
      const close = new RegExp(`\\n[ \\t]*${head[2]}\\b`, 'g');
      close.lastIndex = i + head[0].length - 1;
      const m = close.exec(text);
      const j = m ? m.index + m[0].length : n;
      blankRange(shape, i + head[0].length, j);
      i = j;
    } else {
      i++;
      while (i < n && !SPECIAL[src[i]!]) i++;
    }
  }
  const codeText = code.toString('latin1');
  const lineStarts = [0];
  for (let k = src.indexOf(NL); k !== -1; k = indexOfByte(src, NL, k + 1)) lineStarts.push(k + 1);
  return { code: codeText, shape: shape.toString('latin1'), lineStarts };
}

/** 1-based line of an offset. */
export function lineAt(views: CodeViews, offset: number): number {
  let lo = 0;
  let hi = views.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (views.lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Argument ranges of the call whose `(` is at `open`, split at top-level commas; null if unbalanced within `max` chars. */
export function callArguments(views: CodeViews, open: number, max = 4000): Array<[number, number]> | null {
  const s = views.shape;
  const args: Array<[number, number]> = [];
  let depth = 0;
  let start = open + 1;
  const end = Math.min(s.length, open + max);
  for (let i = open; i < end; i++) {
    const c = s[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        if (i > start || args.length) args.push([start, i]);
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push([start, i]);
      start = i + 1;
    }
  }
  return null;
}

/** End of the statement starting at `from`: the next `;` outside brackets (bounded). */
export function statementEnd(views: CodeViews, from: number, max = 2000): number {
  const s = views.shape;
  let depth = 0;
  const end = Math.min(s.length, from + max);
  for (let i = from; i < end; i++) {
    const c = s[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') { if (--depth < 0) return i; }
    else if (c === ';' && depth <= 0) return i;
  }
  return end;
}
