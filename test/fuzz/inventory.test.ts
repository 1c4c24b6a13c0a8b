// Property tests of fleet inventories (Ansible INI, the plain host list, and
// the YAML subset): any text → an inventory or SENDTRACE_ERR_USAGE naming the
// file and line — never another exception, also when the hosts are listed
// with their vars; and one inventory written as INI and as YAML reads back to
// the same hosts with the same vars.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { check, fc } from './fuzz-config.ts';
import { SendtraceError } from '../../service/errors.ts';
import { applyLimit, inventoryHosts, parseInventory } from '../../service/fleet/inventory.ts';
import { parseYamlSubset } from '../../service/fleet/yaml-subset.ts';

function onlyUsageErrors(run: () => void): void {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof SendtraceError && err.code === 'SENDTRACE_ERR_USAGE', `not a catalogue error: ${(err as Error)?.stack ?? String(err)}`);
    assert.match(err.message, /^inventory (inv|inv\.yml|inv\.ini)(:\d+)?: /);
  }
}

const iniUnit = fc.constantFrom('[', ']', ':', 'vars', 'children', '=', ' ', '\n', '#', ';', '"', "'", '@', 'web', '0', '1', '9', 'a', 'z', '-', 'all', 'ansible_host', '\t', '\r\n', '*');
const yamlUnit = fc.constantFrom('all', ':', ' ', '  ', '\n', '- ', 'hosts', 'vars', 'children', 'web1', '{', '}', '[', ']', ',', '"', "'", '\\', '#', '&a', '*a', '|', '---', 'x', '~', '\t', '\\x41', '\\u00e9');
const text = (unit: fc.Arbitrary<string>) => fc.array(unit, { maxLength: 60 }).map((a) => a.join(''));

describe('fuzz: fleet inventories', () => {
  it('reads any INI or host-list text into an inventory, or refuses it naming the line', () => {
    check(fc.property(text(iniUnit), fc.constantFrom('inv', 'inv.ini'), (t, file) => onlyUsageErrors(() => {
      const inv = parseInventory(t, file);
      inventoryHosts(inv);
      applyLimit(inv, inventoryHosts(inv), 'web*,!a');
    })), 3000);
  });

  it('reads any YAML-ish text into a tree, or refuses it naming the line', () => {
    check(fc.property(text(yamlUnit), (t) => onlyUsageErrors(() => {
      parseYamlSubset(t, 'inv.yml');
      inventoryHosts(parseInventory(t, 'inv.yml'));
    })), 3000);
  });

  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
  const value = fc.string({ unit: fc.constantFrom('a', 'Z', '0', '.', '-', '_', '/', ' ', '@', ':'), minLength: 1, maxLength: 12 }).map((s) => s.trim()).filter((s) => s !== '' && !/^[-:@]/.test(s) && !/:( |$)/.test(s));
  const vars = fc.dictionary(fc.constantFrom('ansible_host', 'ansible_port', 'ansible_user', 'site'), value, { maxKeys: 3 });
  const inventory = fc.record({
    groups: fc.uniqueArray(fc.record({ name: name.map((n) => `g_${n}`), hosts: fc.uniqueArray(name, { maxLength: 4 }), vars }), { selector: (g) => g.name, maxLength: 4 }),
  });

  it('reads the same hosts and vars from an inventory written as INI and as YAML', () => {
    check(fc.property(inventory, ({ groups }) => {
      const ini = groups.map((g) => [`[${g.name}]`, ...g.hosts, `[${g.name}:vars]`, ...Object.entries(g.vars).map(([k, v]) => `${k}="${v}"`)].join('\n')).join('\n');
      const yaml = ['all:', '  children:', ...groups.flatMap((g) => [
        `    ${g.name}:`,
        ...(g.hosts.length ? ['      hosts:', ...g.hosts.map((h) => `        ${h}:`)] : []),
        ...(Object.keys(g.vars).length ? ['      vars:', ...Object.entries(g.vars).map(([k, v]) => `        ${k}: '${v}'`)] : []),
      ])].join('\n');
      const a = inventoryHosts(parseInventory(ini, 'inv.ini')).map((h) => ({ name: h.name, vars: h.vars }));
      const b = inventoryHosts(parseInventory(yaml, 'inv.yml')).map((h) => ({ name: h.name, vars: h.vars }));
      assert.deepEqual(a, b);
      const names = new Set(groups.flatMap((g) => g.hosts));
      assert.deepEqual(a.map((h) => h.name).sort(), [...names].sort());
      for (const h of a) {
        // Groups are siblings here, so the one that sorts last among the host's groups wins (Ansible: same depth → by name).
        const mine = groups.filter((g) => g.hosts.includes(h.name)).sort((x, y) => x.name.localeCompare(y.name));
        assert.deepEqual(h.vars, Object.assign({}, ...mine.map((g) => g.vars)));
      }
    }), 500);
  });
});
