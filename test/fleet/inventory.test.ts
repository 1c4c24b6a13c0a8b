// Inventories as resellers write them: Ansible INI, Ansible YAML, a plain
// user@host list; vars precedence, --limit, and errors that name the line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyLimit, inventoryHosts, parseInventory } from '../../service/fleet/inventory.ts';
import { toFleetHost } from '../../service/fleet/fleet-host.ts';
import { HostFailure } from '../../service/fleet/host-failure.ts';

const hostsOf = (text: string, file: string, limit?: string) => {
  const inv = parseInventory(text, file);
  return applyLimit(inv, inventoryHosts(inv), limit);
};
const byName = (list: ReturnType<typeof hostsOf>) => new Map(list.map((h) => [h.name, h.vars]));

const INI = `
# Tokyo and Osaka servers
[tokyo]
web[01:03].tokyo.example ansible_user=admin
db1 ansible_host=203.0.113.9 ansible_port=2222   # the database box

[osaka]
osaka1 ansible_host=198.51.100.7 ansible_ssh_private_key_file="/root/keys/osaka key"

[japan:children]
tokyo
osaka

[japan:vars]
ansible_user=root
sendtrace_timeout=600

[tokyo:vars]
sendtrace_node=/opt/plesk/node/22/bin/node
`;

const YAML = `---
all:
  vars:
    ansible_user: root
  children:
    japan:
      vars: { }
      children:
        tokyo:
          hosts:
            web01.tokyo.example:
              ansible_user: admin
            db1:
              ansible_host: 203.0.113.9
              ansible_port: 2222
          vars:
            sendtrace_node: "/opt/plesk/node/22/bin/node"   # Plesk's Node.js toolkit
        osaka:
          hosts:
            osaka1:
              ansible_host: '198.51.100.7'
              ansible_ssh_private_key_file: "/root/keys/osaka key"
`;

describe('Ansible INI inventory', () => {
  it('expands ranges, reads inline and group vars, and lets child groups and hosts override parents', () => {
    const h = byName(hostsOf(INI, 'hosts.ini'));
    assert.deepEqual([...h.keys()], ['web01.tokyo.example', 'web02.tokyo.example', 'web03.tokyo.example', 'db1', 'osaka1']);
    assert.equal(h.get('web02.tokyo.example')!.ansible_user, 'admin');        // host var beats [japan:vars]
    assert.equal(h.get('db1')!.ansible_user, 'root');                         // from the parent group
    assert.equal(h.get('db1')!.ansible_port, '2222');
    assert.equal(h.get('db1')!.sendtrace_node, '/opt/plesk/node/22/bin/node'); // [tokyo:vars]
    assert.equal(h.get('osaka1')!.sendtrace_node, undefined);
    assert.equal(h.get('osaka1')!.ansible_ssh_private_key_file, '/root/keys/osaka key');
    assert.equal(h.get('osaka1')!.sendtrace_timeout, '600');
  });

  it('limits like Ansible: groups, hosts, wildcards, exclusions and intersections', () => {
    const names = (limit: string) => hostsOf(INI, 'hosts.ini', limit).map((h) => h.name);
    assert.deepEqual(names('osaka'), ['osaka1']);
    assert.deepEqual(names('japan:!tokyo'), ['osaka1']);
    assert.deepEqual(names('web0*'), ['web01.tokyo.example', 'web02.tokyo.example', 'web03.tokyo.example']);
    assert.deepEqual(names('tokyo,osaka1'), ['web01.tokyo.example', 'web02.tokyo.example', 'web03.tokyo.example', 'db1', 'osaka1']);
    assert.deepEqual(names('japan:&osaka'), ['osaka1']);
    assert.throws(() => names('nagoya'), /no host or group matches 'nagoya'/);
  });

  it('names the line of a malformed entry', () => {
    assert.throws(() => parseInventory('[ok]\nweb1\n[broken\n', 'inv.ini'), /inv\.ini:3: cannot read section header/);
    assert.throws(() => parseInventory('web1 ansible_port\n', 'inv.ini'), /inv\.ini:1: expected key=value/);
    assert.throws(() => parseInventory('[g:vars]\n1bad=x\n', 'inv.ini'), /inv\.ini:2: '1bad' is not a variable name/);
    assert.throws(() => inventoryHosts(parseInventory('[a:children]\nb\n[b:children]\na\n', 'inv.ini')), /its own descendant/);
  });
});

describe('Ansible YAML inventory', () => {
  it('reads the same servers as the INI form', () => {
    const h = byName(hostsOf(YAML, 'hosts.yml'));
    assert.equal(h.get('web01.tokyo.example')!.ansible_user, 'admin');
    assert.equal(h.get('db1')!.ansible_user, 'root');
    assert.equal(h.get('db1')!.ansible_port, '2222');
    assert.equal(h.get('db1')!.sendtrace_node, '/opt/plesk/node/22/bin/node');
    assert.equal(h.get('osaka1')!.ansible_host, '198.51.100.7');
    assert.equal(h.get('osaka1')!.ansible_ssh_private_key_file, '/root/keys/osaka key');
    assert.deepEqual(hostsOf(YAML, 'hosts.yml', 'osaka').map((x) => x.name), ['osaka1']);
  });

  it('is recognised by content when the file has no .yml name', () => {
    assert.equal(hostsOf('all:\n  hosts:\n    web1:\n', 'inventory').length, 1);
  });

  it('reads quoted keys and escapes, and skips vars that are lists', () => {
    const h = byName(hostsOf('all:\n  hosts:\n    "web 1":\n      note: "tab\\there \\u00e9"\n      ntp: [a, b]\n      list:\n        - x\n', 'h.yaml'));
    assert.equal(h.get('web 1')!.note, 'tab\there é');
    assert.equal(h.get('web 1')!.ntp, undefined);
  });

  it('refuses what it does not understand, naming the line', () => {
    assert.throws(() => parseInventory('all:\n  hosts:\n\tweb1:\n', 'h.yml'), /h\.yml:3: tabs are not allowed/);
    assert.throws(() => parseInventory('all:\n  vars: &common\n', 'h.yml'), /h\.yml:2: anchors, aliases/);
    assert.throws(() => parseInventory('all:\n  hostz:\n', 'h.yml'), /h\.yml:2: unknown key 'hostz'/);
    assert.throws(() => parseInventory('all:\n  hosts:\n    web1:\n    web1:\n', 'h.yml'), /h\.yml:4: duplicate key 'web1'/);
    assert.throws(() => parseInventory('all:\n  vars:\n    a: "open\n', 'h.yml'), /h\.yml:3: unterminated quoted string/);
    assert.throws(() => parseInventory('all:\n  vars:\n    a: |\n      text\n', 'h.yml'), /h\.yml:3: anchors, aliases, tags and block scalars/);
  });
});

describe('plain host list', () => {
  it('reads user@host[:port] a line, IPv6 in brackets', () => {
    const h = byName(hostsOf('root@web1.example:2222\nadmin@203.0.113.5\nroot@[2001:db8::1]:22\nweb9\n', 'hosts.txt'));
    assert.deepEqual(h.get('root@web1.example:2222'), { ansible_user: 'root', ansible_host: 'web1.example', ansible_port: '2222' });
    assert.deepEqual(h.get('admin@203.0.113.5'), { ansible_user: 'admin', ansible_host: '203.0.113.5' });
    assert.equal(h.get('root@[2001:db8::1]:22')!.ansible_host, '2001:db8::1');
    assert.deepEqual(h.get('web9'), {});
  });
});

describe('a host entry at the door', () => {
  const entry = (vars: Record<string, string>) => ({ name: 'web1', vars, line: 7 });

  it('defaults to root on port 22 and the extension\'s CLI under either Plesk root', () => {
    const h = toFleetHost(entry({}), {});
    assert.equal(h.user, 'root');
    assert.equal(h.port, 22);
    assert.deepEqual(h.cliCandidates, ['/usr/local/psa/admin/plib/modules/sendtrace/sidecar/sendtrace.mjs', '/opt/psa/admin/plib/modules/sendtrace/sidecar/sendtrace.mjs']);
    assert.deepEqual(toFleetHost(entry({ sendtrace_product_root: '/srv/psa' }), {}).cliCandidates, ['/srv/psa/admin/plib/modules/sendtrace/sidecar/sendtrace.mjs']);
    assert.equal(h.node, null);
  });

  it('refuses a hostile address, port, user or path as an inventory failure naming the variable and line', () => {
    const failure = (vars: Record<string, string>) => {
      try {
        toFleetHost(entry(vars), {});
      } catch (err) {
        if (err instanceof HostFailure) return `${err.kind}: ${err.message}`;
        throw err;
      }
      return 'accepted';
    };
    assert.match(failure({ ansible_host: 'web1;touch /tmp/x' }), /^inventory: ansible_host .*line 7/);
    assert.match(failure({ ansible_host: '$(id)' }), /^inventory: ansible_host/);
    assert.match(failure({ ansible_port: '22 -oProxyCommand=x' }), /^inventory: ansible_port/);
    assert.match(failure({ ansible_user: 'root -oProxyCommand=x' }), /^inventory: ansible_user/);
    assert.match(failure({ sendtrace_cli: 'relative/path.mjs' }), /^inventory: sendtrace_cli/);
    assert.match(failure({ sendtrace_node: '/usr/bin/node\nrm -rf /' }), /^inventory: sendtrace_node/);
    assert.equal(failure({ ansible_host: '2001:db8::1' }), 'accepted');
  });
});
