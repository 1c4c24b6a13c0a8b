// Reads an inventory (Ansible INI or YAML, or a plain `user@host[:port]` list),
// applies --limit, and gives each selected host its effective vars (Ansible's
// order: `all` < parent groups < child groups < the host's own).
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { describeError } from '../errors.ts';
import { parseIniInventory } from './inventory-ini.ts';
import { groupDepths, inventoryError, type Inventory, type Vars } from './inventory-model.ts';
import { parseYamlInventory } from './inventory-yaml.ts';

export type InventoryEntry = { name: string; vars: Vars; line: number };

export async function loadInventory(path: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw inventoryError(path, 0, `cannot read it: ${describeError(err)}`);
  }
  return parseInventory(text, path);
}

export function parseInventory(text: string, file: string): Inventory {
  return looksLikeYaml(text, file) ? parseYamlInventory(text, file) : parseIniInventory(text, file);
}

function looksLikeYaml(text: string, file: string): boolean {
  const ext = extname(file).toLowerCase();
  if (ext === '.yml' || ext === '.yaml') return true;
  if (ext === '.ini' || ext === '.cfg') return false;
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith('#') && !l.startsWith(';'));
  // A YAML inventory starts with `---` or a group key ("all:"); an INI or list line never ends in ':'.
  return first !== undefined && (first === '---' || /^[^\s=[\]]+:\s*(#.*)?$/.test(first));
}

/** Hosts in the order they first appear, each with its merged vars. */
export function inventoryHosts(inv: Inventory): InventoryEntry[] {
  const depth = groupDepths(inv);
  const groupsOf = new Map<string, string[]>();
  const closure = (group: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(group)) return new Set();
    seen.add(group);
    const g = inv.groups.get(group)!;
    return new Set([...g.hosts, ...[...g.children].flatMap((c) => [...closure(c, seen)])]);
  };
  for (const g of inv.groups.keys()) for (const h of closure(g)) groupsOf.set(h, [...(groupsOf.get(h) ?? []), g]);
  return [...inv.hosts.values()].map((h) => {
    const groups = ['all', ...(groupsOf.get(h.name) ?? []).filter((g) => g !== 'all')]
      .sort((a, b) => (depth.get(a) ?? 1) - (depth.get(b) ?? 1) || a.localeCompare(b));
    const vars: Vars = {};
    for (const g of groups) Object.assign(vars, inv.groups.get(g)!.vars);
    return { name: h.name, vars: Object.assign(vars, h.vars), line: h.line };
  });
}

/** Members of a group, or the host of that name. */
function membersOf(inv: Inventory, name: string): Set<string> {
  if (name === 'all' || name === '*') return new Set(inv.hosts.keys());
  const out = new Set<string>();
  const g = inv.groups.get(name);
  if (g) {
    const walk = (grp: string, seen: Set<string>) => {
      if (seen.has(grp)) return;
      seen.add(grp);
      const x = inv.groups.get(grp)!;
      x.hosts.forEach((h) => out.add(h));
      x.children.forEach((c) => walk(c, seen));
    };
    walk(name, new Set());
  }
  if (inv.hosts.has(name)) out.add(name);
  if (/[*?]/.test(name)) {
    const re = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    for (const h of inv.hosts.keys()) if (re.test(h)) out.add(h);
    for (const gname of inv.groups.keys()) if (re.test(gname)) membersOf(inv, gname).forEach((h) => out.add(h));
  }
  return out;
}

/**
 * `--limit` as in Ansible: patterns separated by ',' (or ':'), each a group or
 * host name with * and ? wildcards; `!x` excludes, `&x` intersects.
 */
export function applyLimit(inv: Inventory, entries: InventoryEntry[], limit: string | undefined): InventoryEntry[] {
  if (limit === undefined) return entries;
  const parts = limit.split(limit.includes(',') ? ',' : ':').map((p) => p.trim()).filter(Boolean);
  if (!parts.length) throw inventoryError(inv.file, 0, `--limit '${limit}' names nothing`);
  let selected = new Set<string>();
  const plain = parts.filter((p) => !p.startsWith('!') && !p.startsWith('&'));
  for (const p of plain.length ? plain : ['all']) {
    const m = membersOf(inv, p);
    if (!m.size) throw inventoryError(inv.file, 0, `--limit: no host or group matches '${p}'`);
    m.forEach((h) => selected.add(h));
  }
  for (const p of parts.filter((x) => x.startsWith('&'))) {
    const m = membersOf(inv, p.slice(1));
    selected = new Set([...selected].filter((h) => m.has(h)));
  }
  for (const p of parts.filter((x) => x.startsWith('!'))) membersOf(inv, p.slice(1)).forEach((h) => selected.delete(h));
  return entries.filter((e) => selected.has(e.name));
}
