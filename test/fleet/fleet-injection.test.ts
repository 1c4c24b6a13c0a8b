// An inventory written by someone hostile (or a careless copy-paste): shell
// syntax in host names, addresses, users and sendtrace_* paths must never run,
// locally or on the host (both are this machine here, so one marker directory
// catches either), and the honest host in the same inventory is unaffected.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetInstallDoc } from '../../service/fleet/fleet-install.ts';
import type { FleetScanDoc } from '../../service/fleet/merge-report.ts';
import { cannedDiagnosis, makeCannedServer, type FakeServer } from './fake-servers.ts';
import { knownHostsLine, runFleetTest, stopAll } from './harness.ts';
import { makeKeyPair, startSshd, type Sshd } from './sshd.ts';
import { makeZip, metaXml } from './zip-writer.ts';

describe('a hostile inventory', { timeout: 300_000 }, () => {
  let dir: string;
  let marks: string;
  let sshd: Sshd;
  let honest: FakeServer;
  let inventory: string;
  let knownHosts: string;
  let scan: FleetScanDoc;
  const failure = (name: string) => scan.hosts.find((h) => h.name === name)?.failure;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'st-fleet-evil-'));
    marks = join(dir, 'marks');
    await mkdir(marks);
    const client = await makeKeyPair(dir, 'client');
    sshd = await startSshd(`${client.publicLine}\n`);
    honest = await makeCannedServer(cannedDiagnosis(['honest.jp']));
    const touch = (n: string) => `touch ${join(marks, n)}`;
    const p = `ansible_host=127.0.0.1 ansible_port=${sshd.port}`;
    inventory = join(dir, 'evil.ini');
    await writeFile(inventory, [
      '[evil]',
      `"evil;${touch('alias')}" ${p} sendtrace_cli=${honest.cli}`,
      `addr ansible_host="$(${touch('addr')})" ansible_port=${sshd.port}`,
      `addr2 ansible_host="127.0.0.1 -oProxyCommand=${touch('proxy')}" ansible_port=${sshd.port}`,
      `user ${p} ansible_user="root;${touch('user')}"`,
      `cli ${p} sendtrace_cli="/tmp/x'; ${touch('cli')}; echo '"`,
      `cli2 ${p} sendtrace_cli="/tmp/$(${touch('cli2')})/\`${touch('cli3')}\`"`,
      `node ${p} sendtrace_cli=${honest.cli} sendtrace_node="/bin/sh -c '${touch('node')}'"`,
      `plesk ${p} sendtrace_plesk="plesk; ${touch('plesk')}" sendtrace_product_root="/x/$(${touch('root')})"`,
      `port ansible_host=127.0.0.1 ansible_port="${sshd.port};${touch('port')}"`,
      '[good]',
      `honest ${p} sendtrace_cli=${honest.cli}`,
      '[all:vars]', 'ansible_user=root', `ansible_ssh_private_key_file=${client.privatePath}`, `sendtrace_node=${process.execPath}`, '',
    ].join('\n'));
    knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, `${knownHostsLine(sshd.port, sshd.hostKey)}\n`);
    scan = (await runFleetTest(['scan', '--inventory', inventory, '--known-hosts', knownHosts, '--limit', 'all:!plesk'], { HOME: dir })).result.json as FleetScanDoc;
  });
  after(async () => {
    await stopAll([sshd]);
    await honest?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs nothing it was not asked to run, anywhere', async () => {
    assert.deepEqual(await readdir(marks), []);
  });

  it('still scans the honest host, and the one whose odd name is only a label', () => {
    assert.ok(scan.hosts.find((h) => h.name === 'honest')!.ok);
    const alias = scan.hosts.find((h) => h.name.startsWith('evil;'))!;
    assert.ok(alias.ok, JSON.stringify(alias.failure));
  });

  it('refuses addresses, users and ports that are not one, naming the variable', () => {
    assert.match(failure('addr')!.message, /^ansible_host is not a host name or IP address/);
    assert.match(failure('addr2')!.message, /^ansible_host/);
    assert.match(failure('user')!.message, /^ansible_user is not a user name/);
    assert.match(failure('port')!.message, /^ansible_port is not a port number/);
  });

  it('passes odd paths to the host as data: they are simply not found there', () => {
    assert.equal(failure('cli')?.kind, 'not-installed');
    assert.match(failure('cli')!.message, /no sendtrace CLI at \/tmp\/x'; touch .*: is the extension installed/);
    assert.equal(failure('cli2')?.kind, 'not-installed');
    assert.equal(failure('node')?.kind, 'not-installed');
    assert.match(failure('node')!.message, /\/bin\/sh -c 'touch .*' does not run/);
  });

  it('runs a hostile plesk path as one word during install: not found, nothing executed', async () => {
    const pkg = join(dir, 'pkg.zip');
    await writeFile(pkg, makeZip([{ name: 'meta.xml', data: metaXml({ version: '1.0.0' }) }]));
    const r = await runFleetTest(['install', '--inventory', inventory, '--known-hosts', knownHosts, '--package', pkg, '--limit', 'plesk'], { HOME: dir });
    const h = (r.result.json as FleetInstallDoc).hosts[0]!;
    assert.equal(h.ok, false);
    assert.deepEqual(await readdir(marks), []);
  });
});
