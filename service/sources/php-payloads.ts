// Literal payloads hidden behind base64_decode() (optionally wrapped in
// gzinflate/gzuncompress/gzdecode/str_rot13/strrev), decoded so the code
// inside can be looked at: an uploaded mailer is usually `eval(gzinflate(
// base64_decode('…')))` with the mail() call only visible after decoding.
// Decoding is bounded in size (zlib maxOutputLength) and never executes anything.
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { CodeViews } from './php-code-views.ts';
import type { InputFlow } from './php-input-flow.ts';

export type Payload = { at: number; chain: string[]; text: string };
export type DecodeBudget = { bytes: number };

const MAX_ONE = 2 * 1024 * 1024;
const BASE64_CALL = /(?<![\w$>:])base64_decode\s*\(/gi;

function rot13(s: string): string {
  return s.replace(/[a-zA-Z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/** The value of a PHP expression made only of string literals joined with `.`, else null. */
export function literalValue(expr: string): string | null {
  let out = '';
  let i = 0;
  const s = expr.trim();
  if (s === '') return null;
  while (i < s.length) {
    const q = s[i];
    if (q !== "'" && q !== '"') return null;
    let j = i + 1;
    let part = '';
    while (j < s.length && s[j] !== q) {
      if (s[j] === '\\' && j + 1 < s.length && (s[j + 1] === q || s[j + 1] === '\\')) { part += s[j + 1]; j += 2; continue; }
      if (q === '"' && s[j] === '$') return null;      // interpolation: not a constant
      part += s[j];
      j++;
    }
    if (j >= s.length) return null;
    out += part;
    i = j + 1;
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i < s.length) {
      if (s[i] !== '.') return null;
      i++;
      while (i < s.length && /\s/.test(s[i]!)) i++;
    }
  }
  return out;
}

/** Function names wrapped around the call at `at`, innermost first: `eval(gzinflate(base64_decode(` → [gzinflate, eval]. */
function outerCalls(shape: string, at: number): string[] {
  const names: string[] = [];
  let i = at - 1;
  for (let k = 0; k < 6; k++) {
    while (i >= 0 && /\s|@/.test(shape[i]!)) i--;
    if (shape[i] !== '(') break;
    i--;
    while (i >= 0 && /\s/.test(shape[i]!)) i--;
    const end = i + 1;
    while (i >= 0 && /\w/.test(shape[i]!)) i--;
    if (end === i + 1) break;
    names.push(shape.slice(i + 1, end).toLowerCase());
  }
  return names;
}

const skipSpace = (s: string, p: number) => {
  while (p < s.length && /\s/.test(s[p]!)) p++;
  return p;
};

/** String literals joined with `.` starting at `pos`, read positionally so a megabyte literal costs one pass. */
export function literalAt(views: CodeViews, pos: number): string | null {
  let out = '';
  let p = skipSpace(views.shape, pos);
  for (let parts = 0; parts < 1000; parts++) {
    const q = views.shape[p];
    if (q !== "'" && q !== '"') return null;
    // `shape` blanks literal contents, so the next same quote closes this one.
    const close = views.shape.indexOf(q, p + 1);
    if (close === -1) return null;
    const v = literalValue(views.code.slice(p, close + 1));
    if (v === null) return null;
    out += v;
    p = skipSpace(views.shape, close + 1);
    if (views.shape[p] !== '.') return out;
    p = skipSpace(views.shape, p + 1);
  }
  return out;
}

/** The argument of base64_decode( at `open`: a literal, a variable holding one, maybe inside str_rot13()/strrev(). */
function innerValue(views: CodeViews, flowOf: () => InputFlow, open: number): { value: string; pre: string[] } | null {
  let p = skipSpace(views.shape, open + 1);
  const pre: string[] = [];
  for (let k = 0; k < 3; k++) {
    const w = /^(str_rot13|strrev)\s*\(/i.exec(views.shape.slice(p, p + 24));
    if (!w) break;
    pre.unshift(w[1]!.toLowerCase());
    p = skipSpace(views.shape, p + w[0].length);
  }
  const v = /^\$([A-Za-z_]\w{0,63})/.exec(views.shape.slice(p, p + 70));
  let value: string | null;
  if (v) {
    const a = flowOf().assignments.find((x) => x.name === v[1] && x.op === '=');
    value = a ? literalAt(views, a.rhsAt) : null;
  } else value = literalAt(views, p);
  return value === null ? null : { value, pre };
}

function apply(step: string, data: Buffer, budget: DecodeBudget): Buffer | null {
  const limit = Math.min(MAX_ONE, budget.bytes);
  if (limit <= 0) return null;
  try {
    switch (step) {
      case 'gzinflate': return inflateRawSync(data, { maxOutputLength: limit });
      case 'gzuncompress': return inflateSync(data, { maxOutputLength: limit });
      case 'gzdecode': return gunzipSync(data, { maxOutputLength: limit });
      case 'str_rot13': return Buffer.from(rot13(data.toString('latin1')), 'latin1');
      case 'strrev': return Buffer.from(data.toString('latin1').split('').reverse().join(''), 'latin1');
      case 'base64_decode': return Buffer.from(data.toString('latin1'), 'base64');
      default: return null;
    }
  } catch (err) {
    // Corrupt or oversized compressed data just ends the chain.
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_') || code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) return null;
    throw err;
  }
}

export function decodePayloads(views: CodeViews, flowOf: () => InputFlow, budget: DecodeBudget, max = 20): Payload[] {
  const out: Payload[] = [];
  BASE64_CALL.lastIndex = 0;
  let attempts = 0;
  for (let m = BASE64_CALL.exec(views.shape); m && out.length < max && budget.bytes > 0 && attempts++ < 200; m = BASE64_CALL.exec(views.shape)) {
    const inner = innerValue(views, flowOf, m.index + m[0].length - 1);
    if (!inner || inner.value.length < 40) continue;
    let data: Buffer | null = Buffer.from(inner.value, 'latin1');
    for (const step of inner.pre) data = data && apply(step, data, budget);
    data = data && apply('base64_decode', data, budget);
    const chain = [...inner.pre, 'base64_decode'];
    for (const step of outerCalls(views.shape, m.index)) {
      const next = data && apply(step, data, budget);
      if (!next) break;
      data = next;
      chain.push(step);
    }
    if (!data || data.length === 0) continue;
    budget.bytes -= data.length;
    out.push({ at: m.index, chain, text: data.toString('latin1') });
  }
  return out;
}
