// Ansible INI inventories, and the plain list (`user@host[:port]`, one a line)
// which is read as an INI without sections:
//
//   web1 ansible_host=203.0.113.10 ansible_port=2222
//   root@web2.example.com:2222
//   [tokyo]            hosts, with inline vars; ranges like web[01:20].example.jp
//   [tokyo:vars]       key=value
//   [japan:children]   group names
import { addChild, addHost, createInventory, groupOf, inventoryError, type Inventory, type Vars } from './inventory-model.ts';

type Section = { group: string; kind: 'hosts' | 'vars' | 'children' };

// A comment starts at whitespace followed by # (or ;). The look-behind makes a
// match start only at the first of a run of spaces: without it each space of
// a long run is a new start and the scan is quadratic (test/fuzz/redos.test.ts).
const COMMENT_AFTER_SPACE = /(?<!\s)\s+#/;
const TRAILING_COMMENT = /(?<!\s)\s+[#;].*$/;

export function parseIniInventory(text: string, file: string): Inventory {
  const inv = createInventory(file);
  let section: Section = { group: 'ungrouped', kind: 'hosts' };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (!s || s.startsWith('#') || s.startsWith(';')) return;
    const head = /^\[([^\]:\s]+)(?::(vars|children))?\]\s*(?:[#;].*)?$/.exec(s);
    if (head) {
      section = { group: head[1]!, kind: (head[2] as Section['kind'] | undefined) ?? 'hosts' };
      groupOf(inv, section.group, line);
      return;
    }
    if (s.startsWith('[')) throw inventoryError(file, line, `cannot read section header '${s}' (expected [group], [group:vars] or [group:children])`);
    if (section.kind === 'children') {
      const name = s.split(COMMENT_AFTER_SPACE)[0]!.trim();
      if (/\s/.test(name)) throw inventoryError(file, line, `'${name}' is not one group name`);
      addChild(inv, section.group, name, line);
    } else if (section.kind === 'vars') {
      const eq = s.indexOf('=');
      if (eq < 1) throw inventoryError(file, line, `expected key=value in [${section.group}:vars], got '${s}'`);
      const key = checkKey(s.slice(0, eq).trim(), file, line);
      groupOf(inv, section.group, line).vars[key] = unquote(s.slice(eq + 1).trim(), file, line);
    } else {
      const [pattern, ...rest] = splitWords(s, file, line);
      const vars: Vars = {};
      for (const w of rest) {
        const eq = w.indexOf('=');
        if (eq < 1) throw inventoryError(file, line, `expected key=value after the host, got '${w}'`);
        vars[checkKey(w.slice(0, eq), file, line)] = w.slice(eq + 1);
      }
      for (const h of expandHostPattern(pattern!, file, line)) addHost(inv, section.group, h.name, { ...h.vars, ...vars }, line);
    }
  });
  return inv;
}

function checkKey(key: string, file: string, line: number): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw inventoryError(file, line, `'${key}' is not a variable name`);
  return key;
}

function unquote(v: string, file: string, line: number): string {
  const q = v[0];
  if (q === '"' || q === "'") {
    if (v.length < 2 || v[v.length - 1] !== q) throw inventoryError(file, line, `unterminated quote in ${v}`);
    return v.slice(1, -1);
  }
  return v.replace(TRAILING_COMMENT, '');
}

/** shlex-like words: whitespace separates, quotes group, `#` after whitespace starts a comment. */
function splitWords(s: string, file: string, line: number): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let inWord = false;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw inventoryError(file, line, 'unterminated quote');
  if (inWord) words.push(cur);
  return words;
}

type HostToken = { name: string; vars: Vars };

/** `web[01:03].jp`, `host:2222`, `user@host:port`, `[2001:db8::1]:22`. */
export function expandHostPattern(token: string, file: string, line: number): HostToken[] {
  const at = token.lastIndexOf('@');
  if (at > 0) {
    const addr = splitPort(token.slice(at + 1), file, line);
    return [{ name: token, vars: { ansible_user: token.slice(0, at), ansible_host: addr.host, ...(addr.port ? { ansible_port: addr.port } : {}) } }];
  }
  const range = /^(.*)\[([0-9]+|[a-z]):([0-9]+|[a-z])(?::([0-9]+))?\](.*)$/.exec(token);
  if (range && !token.startsWith('[')) {
    const [, pre, a, b, stepText, post] = range as unknown as [string, string, string, string, string | undefined, string];
    const step = stepText ? Number(stepText) : 1;
    const numeric = /^[0-9]+$/.test(a);
    if (numeric !== /^[0-9]+$/.test(b) || step < 1) throw inventoryError(file, line, `bad host range in '${token}'`);
    const from = numeric ? Number(a) : a.charCodeAt(0);
    const to = numeric ? Number(b) : b.charCodeAt(0);
    if (to < from || (to - from) / step > 10_000) throw inventoryError(file, line, `bad host range in '${token}'`);
    const out: HostToken[] = [];
    for (let n = from; n <= to; n += step) {
      const part = numeric ? String(n).padStart(a.length, '0') : String.fromCharCode(n);
      out.push(...expandHostPattern(`${pre}${part}${post}`, file, line));
    }
    return out;
  }
  const addr = splitPort(token, file, line);
  return [{ name: addr.host, vars: addr.port ? { ansible_port: addr.port } : {} }];
}

function splitPort(s: string, file: string, line: number): { host: string; port: string | null } {
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (v6) return { host: v6[1]!, port: checkPort(v6[2], file, line) };
  const colons = s.split(':').length - 1;
  if (colons !== 1) return { host: s, port: null }; // a bare IPv6 address, or no port
  const [host, port] = s.split(':') as [string, string];
  return { host, port: checkPort(port, file, line) };
}

function checkPort(p: string | undefined, file: string, line: number): string | null {
  if (p === undefined) return null;
  if (!/^[0-9]{1,5}$/.test(p)) throw inventoryError(file, line, `'${p}' is not a port`);
  return p;
}
