// The YAML that Ansible inventories use, and nothing more: block mappings and
// sequences, plain / 'single' / "double" quoted scalars, `{}` and `[a, b]`
// flow collections of scalars, comments, `---`. Anchors, aliases, tags, block
// scalars (| >) and multi-line scalars are refused with the line number,
// rather than guessed at (no YAML library: STYLE.md rule 9).
import { inventoryError } from './inventory-model.ts';

export type YNode =
  | { kind: 'map'; line: number; entries: Array<{ key: string; line: number; value: YNode }> }
  | { kind: 'seq'; line: number; items: YNode[] }
  | { kind: 'scalar'; line: number; value: string | null };

type Line = { n: number; indent: number; text: string };

export function parseYamlSubset(source: string, file: string): YNode {
  const fail = (n: number, msg: string): never => { throw inventoryError(file, n, msg); };
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    const lead = /^[ \t]*/.exec(raw)![0];
    const text = stripComment(raw.slice(lead.length), n, fail).trimEnd();
    if (!text) return;
    if (lead.includes('\t')) fail(n, 'tabs are not allowed in YAML indentation');
    if (text === '---' && lead === '') return;
    if (text === '...' && lead === '') return;
    if (text.startsWith('%')) fail(n, 'YAML directives are not supported');
    lines.push({ n, indent: lead.length, text });
  });
  let pos = 0;

  function block(indent: number): YNode {
    const first = lines[pos]!;
    return first.text === '-' || first.text.startsWith('- ') ? seq(indent) : map(indent);
  }

  function map(indent: number): YNode {
    const node: YNode = { kind: 'map', line: lines[pos]!.n, entries: [] };
    while (pos < lines.length && lines[pos]!.indent === indent) {
      const l = lines[pos]!;
      if (l.text.startsWith('- ') || l.text === '-') fail(l.n, 'a list item where a "key: value" was expected');
      const entry = splitEntry(l.text) ?? fail(l.n, `expected "key: value", got '${l.text}'`);
      const key = scalarText(entry.key, l.n, fail) ?? '';
      if (node.entries.some((e) => e.key === key)) fail(l.n, `duplicate key '${key}'`);
      pos++;
      node.entries.push({ key, line: l.n, value: valueAfter(entry.rest, l, indent) });
    }
    if (pos < lines.length && lines[pos]!.indent > indent) fail(lines[pos]!.n, 'unexpected indentation');
    return node;
  }

  function seq(indent: number): YNode {
    const node: YNode = { kind: 'seq', line: lines[pos]!.n, items: [] };
    while (pos < lines.length && lines[pos]!.indent === indent && (lines[pos]!.text === '-' || lines[pos]!.text.startsWith('- '))) {
      const l = lines[pos]!;
      const rest = l.text.slice(1).trim();
      if (rest && /^[^"'{[][^:]*:(\s|$)/.test(rest)) fail(l.n, 'mappings inside list items are not supported');
      pos++;
      node.items.push(valueAfter(rest || undefined, l, indent));
    }
    return node;
  }

  function valueAfter(inline: string | undefined, l: Line, indent: number): YNode {
    const next = lines[pos];
    if (inline !== undefined && inline !== '') {
      const value = inlineValue(inline, l.n);
      if (next && next.indent > indent) fail(next.n, 'multi-line values are not supported');
      return value;
    }
    // "key:" followed by a deeper block, or by a list at the same indent (YAML allows it).
    if (next && (next.indent > indent || (next.indent === indent && (next.text === '-' || next.text.startsWith('- '))))) return block(next.indent);
    return { kind: 'scalar', line: l.n, value: null };
  }

  function inlineValue(text: string, n: number): YNode {
    if (/^[&*!|>]/.test(text)) fail(n, `anchors, aliases, tags and block scalars are not supported ('${text[0]}')`);
    if (text.startsWith('{')) {
      if (!/^\{\s*\}$/.test(text)) fail(n, 'only the empty flow mapping {} is supported');
      return { kind: 'map', line: n, entries: [] };
    }
    if (text.startsWith('[')) {
      if (!text.endsWith(']')) fail(n, 'unterminated flow sequence');
      const inner = text.slice(1, -1).trim();
      const parts = inner ? inner.split(',').map((p) => p.trim()) : [];
      if (parts.some((p) => /[[\]{}]/.test(p) || !p)) fail(n, 'only flat flow sequences of scalars are supported');
      return { kind: 'seq', line: n, items: parts.map((p) => ({ kind: 'scalar', line: n, value: scalarText(p, n, fail) })) };
    }
    return { kind: 'scalar', line: n, value: scalarText(text, n, fail) };
  }

  if (!lines.length) return { kind: 'map', line: 0, entries: [] };
  if (lines[0]!.indent !== 0) fail(lines[0]!.n, 'the document must start at column 1');
  const root = block(0);
  if (pos < lines.length) fail(lines[pos]!.n, 'unexpected text after the document (check the indentation)');
  return root;
}

/** `key: value` or `key:`; a plain key ends at the first ':' followed by a space or the end. */
function splitEntry(text: string): { key: string; rest: string } | null {
  let i = 0;
  if (text[0] === '"' || text[0] === "'") {
    const q = text[0];
    for (i = 1; i < text.length; i++) {
      if (q === '"' && text[i] === '\\') i++;
      else if (text[i] === q && !(q === "'" && text[i + 1] === "'")) break;
      else if (text[i] === q) i++;
    }
    i++;
    if (text[i] !== ':') return null;
  } else {
    while (i < text.length && !(text[i] === ':' && (i + 1 === text.length || text[i + 1] === ' '))) i++;
    if (i === text.length || i === 0) return null;
  }
  if (i + 1 < text.length && text[i + 1] !== ' ') return null;
  return { key: text.slice(0, i).trimEnd(), rest: text.slice(i + 1).trim() };
}

/** Drops a comment: '#' at the start or after whitespace, outside quotes. */
function stripComment(s: string, n: number, fail: (n: number, m: string) => never): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote === '"' && c === '\\') i++;
    else if (quote && c === quote) quote = null;
    else if (!quote && (c === '"' || c === "'") && (i === 0 || /[\s:,[{-]/.test(s[i - 1]!))) quote = c;
    else if (!quote && c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i);
  }
  if (quote) fail(n, 'unterminated quoted string (multi-line strings are not supported)');
  return s;
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', ' ': ' ' };

function scalarText(text: string, n: number, fail: (n: number, m: string) => never): string | null {
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) fail(n, `bad single-quoted string ${text}`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) fail(n, `bad double-quoted string ${text}`);
    return text.slice(1, -1).replace(/\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|.)/g, (_, e: string) => {
      if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
      return ESCAPES[e] ?? fail(n, `unknown escape \\${e}`);
    });
  }
  if (/^[&*!|>%@`]/.test(text)) fail(n, `'${text[0]}' cannot start a plain value; quote it`);
  return ['~', 'null', 'Null', 'NULL'].includes(text) ? null : text;
}
