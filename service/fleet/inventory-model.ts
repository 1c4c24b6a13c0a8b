// The parsed inventory, whatever its format: hosts, groups (with children and
// vars), and the line each came from, so every error can name its place.
import { createError, type SendtraceError } from '../errors.ts';

export type Vars = Record<string, string>;
export type InventoryHost = { name: string; vars: Vars; line: number };
export type InventoryGroup = { name: string; hosts: Set<string>; children: Set<string>; vars: Vars; line: number };
export type Inventory = { file: string; hosts: Map<string, InventoryHost>; groups: Map<string, InventoryGroup> };

export function createInventory(file: string): Inventory {
  const inv: Inventory = { file, hosts: new Map(), groups: new Map() };
  groupOf(inv, 'all', 0);
  groupOf(inv, 'ungrouped', 0);
  return inv;
}

export function inventoryError(file: string, line: number, message: string): SendtraceError {
  return createError('SENDTRACE_ERR_USAGE', `inventory ${file}${line ? `:${line}` : ''}: ${message}`);
}

const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export function groupOf(inv: Inventory, name: string, line: number): InventoryGroup {
  let g = inv.groups.get(name);
  if (!g) {
    if (!GROUP_NAME.test(name)) throw inventoryError(inv.file, line, `'${name}' is not a valid group name (letters, digits, _ . -)`);
    g = { name, hosts: new Set(), children: new Set(), vars: {}, line };
    inv.groups.set(name, g);
  }
  return g;
}

/** A host may appear in several groups; its vars merge, later ones winning (as in Ansible). */
export function addHost(inv: Inventory, group: string, name: string, vars: Vars, line: number): void {
  if (!name) throw inventoryError(inv.file, line, 'empty host name');
  const h = inv.hosts.get(name);
  if (h) Object.assign(h.vars, vars);
  else inv.hosts.set(name, { name, vars: { ...vars }, line });
  groupOf(inv, group, line).hosts.add(name);
}

export function addChild(inv: Inventory, parent: string, child: string, line: number): void {
  if (child === 'all') throw inventoryError(inv.file, line, "group 'all' cannot be a child");
  groupOf(inv, child, line);
  groupOf(inv, parent, line).children.add(child);
}

/** Every group reachable from `all` or directly holding hosts; refuses cycles, naming the group. */
export function groupDepths(inv: Inventory): Map<string, number> {
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const walk = (name: string, d: number) => {
    if (visiting.has(name)) throw inventoryError(inv.file, inv.groups.get(name)?.line ?? 0, `group '${name}' is its own descendant`);
    if ((depth.get(name) ?? -1) >= d) return;
    depth.set(name, d);
    visiting.add(name);
    for (const c of inv.groups.get(name)?.children ?? []) walk(c, d + 1);
    visiting.delete(name);
  };
  walk('all', 0);
  // Groups nobody lists as a child are children of `all` (Ansible's rule).
  const listed = new Set([...inv.groups.values()].flatMap((g) => [...g.children]));
  for (const name of inv.groups.keys()) if (name !== 'all' && !listed.has(name)) walk(name, 1);
  for (const name of inv.groups.keys()) if (!depth.has(name)) walk(name, 1);
  return depth;
}
