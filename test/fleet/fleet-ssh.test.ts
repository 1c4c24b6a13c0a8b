// The SSH side of fleet against real sshd: trust on first use only when asked
// (and written back where OpenSSH finds it), agent and key authentication,
// refused identities, a YAML inventory, --limit, and the exit codes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FleetScanDoc } from '../../service/fleet/merge-report.ts';
import { cannedDiagnosis, makeCannedServer, type FakeServer } from './fake-servers.ts';
import { knownHostsLine, runFleetTest, stopAll } from './harness.ts';
import { makeKeyPair, startSshd, type KeyPair, type Sshd } from './sshd.ts';

const run = promisify(execFile);

describe('fleet over SSH: trust, identities, inventories', { timeout: 300_000 }, () => {
  let dir: string;
  let client: KeyPair;
  let stranger: KeyPair;
  let a: Sshd;
  let b: Sshd;
  let serverA: FakeServer;
  let serverB: FakeServer;
  let agent: ChildProcess | null = null;
  const env = () => ({ HOME: dir });

  /** A YAML inventory of the two hosts (groups tokyo: web-a, osaka: web-b), `vars` for all. */
  async function yamlInventory(vars: Record<string, string>): Promise<string> {
    const path = join(dir, `inv-${Math.random().toString(36).slice(2)}.yml`);
    const host = (name: string, s: Sshd, cli: string) => [`        ${name}:`, '          ansible_host: 127.0.0.1', `          ansible_port: ${s.port}`, `          sendtrace_cli: '${cli}'`];
    await writeFile(path, [
      '# two servers', 'all:', '  vars:', '    ansible_user: root   # Plesk: root', ...Object.entries(vars).map(([k, v]) => `    ${k}: "${v}"`),
      '  children:',
      '    tokyo:', '      hosts:', ...host('web-a', a, serverA.cli),
      '    osaka:', '      hosts:', ...host('web-b', b, serverB.cli), '',
    ].join('\n'));
    return path;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'st-fleet-ssh-'));
    [client, stranger] = await Promise.all([makeKeyPair(dir, 'client'), makeKeyPair(dir, 'stranger')]);
    [a, b] = await Promise.all([startSshd(`${client.publicLine}\n`), startSshd(`${client.publicLine}\n`)]);
    [serverA, serverB] = await Promise.all([makeCannedServer(cannedDiagnosis(['a1.jp', 'a2.jp'], 'a2.jp')), makeCannedServer(cannedDiagnosis(['b1.jp']))]);
  });
  after(async () => {
    agent?.kill();
    await stopAll([a, b]);
    await Promise.all([serverA, serverB].map((s) => s?.remove()));
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an unknown host key without --accept-new, and says how to trust it', async () => {
    const kh = join(dir, 'kh-empty');
    const inv = await yamlInventory({ ansible_ssh_private_key_file: client.privatePath });
    const r = await runFleetTest(['scan', '--inventory', inv, '--known-hosts', kh, '--limit', 'tokyo'], env());
    const doc = r.result.json as FleetScanDoc;
    assert.equal(doc.hosts[0]!.failure?.kind, 'host-key');
    assert.match(doc.hosts[0]!.failure!.message, /is not in .*kh-empty .*--accept-new/);
    assert.equal(r.result.exit, 4, 'no host answered');
    assert.ok(!existsSync(kh), 'nothing was written');
  });

  it('with --accept-new trusts first use, writes the key where ssh finds it, and checks it next time', async () => {
    const kh = join(dir, 'kh-tofu');
    const inv = await yamlInventory({ ansible_ssh_private_key_file: client.privatePath });
    const first = await runFleetTest(['scan', '--inventory', inv, '--known-hosts', kh, '--accept-new'], env());
    assert.equal(first.result.exit, 0, first.progress.join('\n'));
    assert.ok(first.progress.some((l) => /accepted new host key ssh-ed25519 SHA256:/.test(l)));
    for (const s of [a, b]) {
      const { stdout } = await run('ssh-keygen', ['-F', `[127.0.0.1]:${s.port}`, '-f', kh]);
      assert.ok(stdout.includes(s.hostKey.base64), `key of port ${s.port} recorded`);
    }
    const second = await runFleetTest(['scan', '--inventory', inv, '--known-hosts', kh], env());
    assert.equal(second.result.exit, 0);
    assert.ok(!second.progress.some((l) => /accepted/.test(l)));
  });

  it('merges the hosts of a YAML inventory into one ranking, and --limit picks a group', async () => {
    const kh = join(dir, 'kh-both');
    await writeFile(kh, `${knownHostsLine(a.port, a.hostKey)}\n${knownHostsLine(b.port, b.hostKey)}\n`);
    const inv = await yamlInventory({ ansible_ssh_private_key_file: client.privatePath });
    const all = (await runFleetTest(['scan', '--inventory', inv, '--known-hosts', kh], env())).result.json as FleetScanDoc;
    assert.deepEqual(all.subscriptions.map((r) => `${r.host}/${r.subscription}`), ['web-a/a2.jp', 'web-a/a1.jp', 'web-b/b1.jp']);
    const osaka = (await runFleetTest(['scan', '--inventory', inv, '--known-hosts', kh, '--limit', 'osaka'], env())).result.json as FleetScanDoc;
    assert.deepEqual(osaka.hosts.map((h) => h.name), ['web-b']);
  });

  it('reports a refused identity as an auth failure, and the other host still answers', async () => {
    const kh = join(dir, 'kh-both');
    const inv = join(dir, 'mixed.ini');
    await writeFile(inv, [
      `web-a ansible_host=127.0.0.1 ansible_port=${a.port} ansible_ssh_private_key_file=${stranger.privatePath} sendtrace_cli=${serverA.cli}`,
      `web-b ansible_host=127.0.0.1 ansible_port=${b.port} ansible_ssh_private_key_file=${client.privatePath} sendtrace_cli=${serverB.cli}`, '',
    ].join('\n'));
    const r = await runFleetTest(['scan', '--inventory', inv, '--known-hosts', kh], env());
    const doc = r.result.json as FleetScanDoc;
    assert.equal(doc.hosts[0]!.failure?.kind, 'auth');
    assert.match(doc.hosts[0]!.failure!.message, /root@\[127\.0\.0\.1\]:\d+ refused every identity offered/);
    assert.ok(doc.hosts[1]!.ok);
    assert.equal(r.result.exit, 1);
  });

  it('authenticates through ssh-agent when the inventory names no key', async () => {
    const sock = join(dir, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!existsSync(sock) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await run('ssh-add', [client.privatePath], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
    const kh = join(dir, 'kh-both');
    const inv = await yamlInventory({});
    const r = await runFleetTest(['scan', '--inventory', inv, '--known-hosts', kh], { HOME: dir, SSH_AUTH_SOCK: sock });
    assert.equal(r.result.exit, 0, r.progress.join('\n'));
    const without = await runFleetTest(['scan', '--inventory', inv, '--known-hosts', kh, '--limit', 'web-a'], { HOME: join(dir, 'no-home') });
    assert.match((without.result.json as FleetScanDoc).hosts[0]!.failure!.message, /no identity to offer/);
  });

  it('refuses bad usage before connecting anywhere', async () => {
    await assert.rejects(runFleetTest(['scan'], env()), /fleet needs --inventory FILE/);
    await assert.rejects(runFleetTest(['deploy', '--inventory', 'x'], env()), /fleet needs one of: install, scan/);
    await assert.rejects(runFleetTest(['scan', '--inventory', join(dir, 'missing.ini')], env()), /inventory .*missing\.ini: cannot read it: ENOENT/);
    await assert.rejects(runFleetTest(['scan', '--inventory', join(dir, 'kh-both'), '--concurrency', '0'], env()), /--concurrency must be an integer from 1 to 256/);
  });
});
