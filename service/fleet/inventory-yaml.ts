// Ansible YAML inventories:
//
//   all:
//     vars: { … }
//     hosts:
//       web1:
//         ansible_host: 203.0.113.10
//     children:
//       tokyo:
//         hosts: { web2: , web3: }
//
// Top-level keys are groups; a group has only `hosts`, `vars` and `children`.
import { addChild, addHost, createInventory, groupOf, inventoryError, type Inventory, type Vars } from './inventory-model.ts';
import { parseYamlSubset, type YNode } from './yaml-subset.ts';

export function parseYamlInventory(text: string, file: string): Inventory {
  const inv = createInventory(file);
  const root = parseYamlSubset(text, file);
  if (root.kind !== 'map') throw inventoryError(file, root.line, 'the inventory must be a mapping of groups');
  for (const e of root.entries) readGroup(inv, e.key, e.value, e.line);
  return inv;
}

function readGroup(inv: Inventory, name: string, node: YNode, line: number): void {
  const group = groupOf(inv, name, line);
  if (node.kind === 'scalar' && node.value === null) return;
  if (node.kind !== 'map') throw inventoryError(inv.file, node.line, `group '${name}' must be a mapping with hosts, vars or children`);
  for (const e of node.entries) {
    if (e.key === 'hosts') {
      for (const h of entriesOf(inv, e.value, `hosts of '${name}'`)) addHost(inv, name, h.key, varsOf(inv, h.value, `host '${h.key}'`), h.line);
    } else if (e.key === 'vars') {
      Object.assign(group.vars, varsOf(inv, e.value, `vars of '${name}'`));
    } else if (e.key === 'children') {
      for (const c of entriesOf(inv, e.value, `children of '${name}'`)) {
        addChild(inv, name, c.key, c.line);
        readGroup(inv, c.key, c.value, c.line);
      }
    } else {
      throw inventoryError(inv.file, e.line, `unknown key '${e.key}' in group '${name}' (expected hosts, vars or children)`);
    }
  }
}

function entriesOf(inv: Inventory, node: YNode, what: string): Array<{ key: string; line: number; value: YNode }> {
  if (node.kind === 'scalar' && node.value === null) return [];
  if (node.kind !== 'map') throw inventoryError(inv.file, node.line, `${what} must be a mapping`);
  return node.entries;
}

/** Scalar vars are kept as text; lists and mappings (vars sendtrace never reads) are skipped. */
function varsOf(inv: Inventory, node: YNode, what: string): Vars {
  const vars: Vars = {};
  for (const e of entriesOf(inv, node, what)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.key)) throw inventoryError(inv.file, e.line, `'${e.key}' is not a variable name`);
    if (e.value.kind === 'scalar' && e.value.value !== null) vars[e.key] = e.value.value;
  }
  return vars;
}
