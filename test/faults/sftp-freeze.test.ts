// Faults in fleet install (issue 10): a host whose SFTP goes silent — one
// never answers the SFTP handshake, one stops answering in the middle of the
// upload (its sftp-server gets the first few kilobytes of requests, then
// nothing, while the connection stays open). Real sshd on loopback, the CLI
// as the user runs it. Asserted: each is reported as a timeout naming SFTP
// (and the upload's path), within its own sendtrace_timeout rather than
// ssh2's keepalive (~75 s) or never; the healthy host is installed; exit 1
// (partial); and nothing is left running on the hosts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetInstallDoc } from '../../service/fleet/fleet-install.ts';
import { waitFor } from '../fixtures/capture/wait-for.ts';
import { cannedCliSource, cannedDiagnosis, makeBareServer } from '../fleet/fake-servers.ts';
import { knownHostsLine, runFleetTest, stopAll, writeIniInventory, type FleetRun } from '../fleet/harness.ts';
import { makeKeyPair, startSshd, type Sshd } from '../fleet/sshd.ts';
import { makeZip, metaXml } from '../fleet/zip-writer.ts';

const HOST_TIMEOUT_S = 3;
const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

/** Processes whose command line mentions `needle` (the hosts' subsystem scripts and what they started). */
async function processesWith(needle: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of (await readdir('/proc')).filter((x) => /^\d+$/.test(x) && Number(x) !== process.pid)) {
    const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) out.push(`${p}: ${cmd.replace(/\0/g, ' ')}`);
  }
  return out;
}

describe('fleet install when a host\'s SFTP goes silent', { timeout: 180_000 }, () => {
  let dir: string;
  const sshds: Sshd[] = [];
  const servers: Array<Awaited<ReturnType<typeof makeBareServer>>> = [];
  let run: FleetRun;
  let doc: FleetInstallDoc;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'st-sftp-freeze-'));
    const client = await makeKeyPair(dir, 'client');
    // Never answers: reads the client's requests and drops them.
    const silent = join(dir, 'sftp-silent.sh');
    await writeFile(silent, '#!/bin/sh\nexec cat >/dev/null\n');
    // The real sftp-server, fed the first 8 KiB of requests and then nothing (the upload is 200 KiB). dd, not
    // head: head writes through stdio, and on a pipe holds what it read until it ends.
    const stalls = join(dir, 'sftp-stalls.sh');
    await writeFile(stalls, `#!/bin/sh\n{ dd bs=1 count=8192 2>/dev/null; cat >/dev/null; } | ${SFTP_SERVER}\n`);
    await Promise.all([chmod(silent, 0o755), chmod(stalls, 0o755)]);
    for (const sftp of [undefined, silent, stalls]) sshds.push(await startSshd(`${client.publicLine}\n`, sftp ? { sftp } : {}));
    for (let i = 0; i < 3; i++) servers.push(await makeBareServer());
    const names = ['healthy', 'silent', 'stalls'];
    const inventory = join(dir, 'hosts.ini');
    await writeIniInventory(inventory, {
      plesk: names.map((name, i) => ({ name, port: sshds[i]!.port, vars: { sendtrace_plesk: servers[i]!.plesk, sendtrace_product_root: servers[i]!.productRoot, sendtrace_timeout: String(HOST_TIMEOUT_S) } })),
    }, { ansible_user: 'root', ansible_ssh_private_key_file: client.privatePath, sendtrace_node: process.execPath });
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, sshds.map((s) => knownHostsLine(s.port, s.hostKey)).join('\n') + '\n');
    const pkg = join(dir, 'sendtrace-1.0.0.zip');
    await writeFile(pkg, makeZip([
      { name: 'meta.xml', data: metaXml({ version: '1.0.0' }), deflate: true },
      { name: 'plib/sidecar/sendtrace.mjs', data: cannedCliSource(cannedDiagnosis(['healthy.example.jp'])), deflate: true },
      // Incompressible, so that the upload is far larger than what the stalling host lets through.
      { name: 'htdocs/blob.bin', data: randomBytes(200 * 1024) },
    ]));
    run = await runFleetTest(['install', '--inventory', inventory, '--known-hosts', knownHosts, '--package', pkg, '--json', '--timeout', '120'], { HOME: dir });
    doc = run.result.json as FleetInstallDoc;
  });
  after(async () => {
    await stopAll(sshds);
    await Promise.all(servers.map((s) => s.remove()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const hostOf = (name: string) => doc.hosts.find((h) => h.name === name)!;

  it('installs on the healthy host and exits 1: some hosts failed', () => {
    assert.equal(hostOf('healthy').action, 'installed', JSON.stringify(hostOf('healthy')));
    assert.equal(run.result.exit, 1);
  });

  it('reports the host that never opens SFTP as a timeout, within its own timeout', () => {
    const f = hostOf('silent').failure;
    assert.equal(f?.kind, 'timeout', JSON.stringify(hostOf('silent')));
    assert.match(f!.message, new RegExp(`no SFTP session within ${HOST_TIMEOUT_S} s`));
  });

  it('reports the host that stops mid-upload as a timeout naming the upload', () => {
    const f = hostOf('stalls').failure;
    assert.equal(f?.kind, 'timeout', JSON.stringify(hostOf('stalls')));
    assert.match(f!.message, new RegExp(`SFTP upload to /tmp/sendtrace-fleet-[0-9a-f]{16}\\.zip did not finish within ${HOST_TIMEOUT_S} s`));
  });

  it('ends long before ssh2\'s keepalive would give up', () => {
    // Connect, a look, the bounded step, for each host in parallel; the keepalive would take ~75 s.
    assert.ok(run.ms < 40_000, `fleet install took ${run.ms} ms`);
  });

  it('leaves nothing running on the hosts once it has ended', async () => {
    await waitFor(async () => (await processesWith(dir)).length === 0, { timeoutMs: 15_000, what: 'the hosts\' SFTP subsystems to end' });
    assert.deepEqual(await processesWith(SFTP_SERVER), []);
  });
});
