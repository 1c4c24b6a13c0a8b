// fleet scan against real OpenSSH: eight inventory hosts, seven sshd
// processes on loopback, each host a different "Plesk server" (its own psa
// data through the simulator, or the fixture world) or a different failure.
// One scan over all of them; each `it` checks one host's story.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FleetScanDoc } from '../../service/fleet/merge-report.ts';
import { freePort } from '../fixtures/capture/free-port.ts';
import { cachedWorld, type World } from '../fixtures/expand/world.ts';
import { HOSTILE, samplePanelSql, writeTestData } from '../helpers/psa-data.ts';
import { makeMisbehavingServer, makePsaServer, makeWorldServer, requireDist, type FakeServer } from './fake-servers.ts';
import { knownHostsLine, runFleetTest, stopAll, writeIniInventory, type FleetRun } from './harness.ts';
import { makeKeyPair, startSshd, type Sshd } from './sshd.ts';

const run = promisify(execFile);
const SAMPLE_NOW = '2022-02-03T23:00:00+09:00'; // sample-panel.sql: subscription 1 is blocked then

/** Processes whose command line mentions `needle` (the hanging CLI must not outlive its timeout). */
async function processesWith(needle: string): Promise<number> {
  let n = 0;
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) n++;
  }
  return n;
}

describe('fleet scan over real sshd', { timeout: 600_000 }, () => {
  let dir: string;
  let world: World;
  const servers: Record<string, FakeServer> = {};
  const sshds: Record<string, Sshd> = {};
  let scan: FleetRun;
  let doc: FleetScanDoc;
  const hostOf = (name: string) => doc.hosts.find((h) => h.name === name)!;

  before(async () => {
    requireDist();
    dir = await mkdtemp(join(tmpdir(), 'st-fleet-scan-'));
    const [client, stranger] = await Promise.all([makeKeyPair(dir, 'client'), makeKeyPair(dir, 'stranger')]);
    world = await cachedWorld();
    const hostileData = await writeTestData(dir);
    [servers.tokyo1, servers.osaka1, servers.world1, servers.changed, servers.hang, servers.garbage, servers.old] = await Promise.all([
      makePsaServer(samplePanelSql, SAMPLE_NOW), makePsaServer(hostileData, SAMPLE_NOW), makeWorldServer(world),
      makeMisbehavingServer('canary'), makeMisbehavingServer('hang'), makeMisbehavingServer('garbage'), makeMisbehavingServer('old'),
    ]);
    const names = ['tokyo1', 'osaka1', 'world1', 'changed', 'hang', 'garbage', 'old'];
    const started = await Promise.all(names.map(() => startSshd(`${client.publicLine}\n`)));
    names.forEach((n, i) => { sshds[n] = started[i]!; });
    const downPort = await freePort(); // nothing listens there
    // The changed host presents its own key; known_hosts has another one for it.
    const lines = names.map((n) => knownHostsLine(sshds[n]!.port, n === 'changed' ? stranger : sshds[n]!.hostKey));
    lines.push(knownHostsLine(downPort, stranger));
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, `${lines.join('\n')}\n`);
    await run('ssh-keygen', ['-H', '-f', knownHosts]); // hashed, as Debian's ssh writes it
    const node = process.execPath;
    const inventory = join(dir, 'hosts.ini');
    await writeIniInventory(inventory, {
      tokyo: [
        { name: 'tokyo1', port: sshds.tokyo1!.port, vars: { sendtrace_cli: servers.tokyo1!.cli, sendtrace_node: node } },
        { name: 'osaka1', port: sshds.osaka1!.port, vars: { sendtrace_cli: servers.osaka1!.cli } }, // node found on the host's PATH
      ],
      incident: [{ name: 'world1', port: sshds.world1!.port, vars: { sendtrace_cli: servers.world1!.cli, sendtrace_node: node, sendtrace_timeout: '400' } }],
      broken: [
        { name: 'changed', port: sshds.changed!.port, vars: { sendtrace_cli: servers.changed!.cli } },
        { name: 'down', port: downPort },
        { name: 'hang', port: sshds.hang!.port, vars: { sendtrace_cli: servers.hang!.cli, sendtrace_timeout: '3' } },
        { name: 'garbage', port: sshds.garbage!.port, vars: { sendtrace_cli: servers.garbage!.cli } },
        { name: 'old', port: sshds.old!.port, vars: { sendtrace_cli: servers.old!.cli } },
      ],
    }, { ansible_user: 'root', ansible_ssh_private_key_file: client.privatePath });
    scan = await runFleetTest(['scan', '--inventory', inventory, '--known-hosts', knownHosts, '--concurrency', '4', '--timeout', '120', '--json'], { HOME: dir });
    doc = scan.result.json as FleetScanDoc;
  });

  after(async () => {
    await stopAll(Object.values(sshds));
    await Promise.all(Object.values(servers).map((s) => s.remove()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scans the three healthy servers and exits 1 because five failed', () => {
    assert.deepEqual(doc.hosts.filter((h) => h.ok).map((h) => h.name), ['tokyo1', 'osaka1', 'world1'], JSON.stringify(doc.hosts.map((h) => h.failure)));
    assert.equal(doc.failed, 5);
    assert.equal(scan.result.exit, 1);
  });

  it('ranks every subscription of every server in one list, blocked ones first, then by risk', () => {
    for (const h of doc.hosts.filter((x) => x.ok)) assert.equal(doc.subscriptions.filter((r) => r.host === h.name).length, h.subscriptions, h.name);
    const blockedUntil = doc.subscriptions.findIndex((r) => r.status !== 'not-sending');
    assert.ok(blockedUntil >= 2, 'blocked subscriptions from several servers lead');
    assert.ok(doc.subscriptions.slice(blockedUntil).every((r) => r.status === 'sending'));
    for (const part of [doc.subscriptions.slice(0, blockedUntil), doc.subscriptions.slice(blockedUntil)]) {
      part.forEach((r, i) => i && assert.ok((part[i - 1]!.risk ?? 0) >= (r.risk ?? 0), `${r.host}/${r.subscription} is not out of order`));
    }
  });

  it('carries each server\'s own diagnosis: the world\'s causes and culprit, the sample\'s blocked subscription', () => {
    for (const want of world.expected.subscriptions) {
      const row = doc.subscriptions.find((r) => r.host === 'world1' && r.subscription === want.name)!;
      assert.equal(row.cause, want.cause, want.name);
      assert.equal(row.status, want.status, want.name);
      const path = want.source && 'path' in want.source ? want.source.path : undefined;
      if (path) assert.ok(row.topSource?.label.endsWith(path.slice(world.expected.serverVhostsRoot.length)), `${want.name}: ${row.topSource?.label}`);
    }
    assert.equal(doc.subscriptions.find((r) => r.host === 'tokyo1' && r.subscription === 'easytone.example')?.status, 'not-sending');
    assert.ok(!doc.subscriptions.some((r) => r.host === 'tokyo1' && r.subscription === HOSTILE.domain), 'hostile data stays on its own server');
  });

  it('keeps hostile names intact in JSON and harmless in the readable report', () => {
    assert.ok(doc.subscriptions.some((r) => r.host === 'osaka1' && r.subscription === HOSTILE.domain));
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(scan.result.text), 'no raw control characters');
  });

  it('refuses the host whose key changed, names it with both fingerprints, and runs nothing there', async () => {
    const h = hostOf('changed');
    assert.equal(h.failure?.kind, 'host-key');
    const { stdout } = await run('ssh-keygen', ['-l', '-f', `${sshds.changed!.hostKey.privatePath}.pub`]);
    assert.ok(h.failure!.message.includes(`HOST KEY CHANGED for [127.0.0.1]:${sshds.changed!.port}`), h.failure!.message);
    assert.ok(h.failure!.message.includes(stdout.split(' ')[1]!), 'the offered fingerprint');
    assert.ok(!existsSync(join(servers.changed!.dir, 'ran')), 'the command never ran');
  });

  it('reports the host that is down as unreachable', () => {
    assert.deepEqual(hostOf('down').failure, { kind: 'unreachable', message: `[127.0.0.1]:${hostOf('down').port}: connection refused` });
  });

  it('times out the hanging host after its own timeout and stops its command', async () => {
    const h = hostOf('hang');
    assert.equal(h.failure?.kind, 'timeout');
    assert.ok(h.seconds >= 3 && h.seconds < 10, `took ${h.seconds} s`);
    const deadline = Date.now() + 10_000;
    while ((await processesWith(servers.hang!.cli)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await processesWith(servers.hang!.cli), 0, 'the remote command was signalled');
  });

  it('reports garbage output as garbled, without passing its escape codes on', () => {
    const h = hostOf('garbage');
    assert.equal(h.failure?.kind, 'garbled');
    assert.match(h.failure!.message, /not JSON: "\\u001b\[2J/);
    assert.ok(!scan.result.text.includes('\x1b'));
  });

  it('reports an installed sendtrace that predates diagnose as old-version', () => {
    assert.equal(hostOf('old').failure?.kind, 'old-version');
    assert.match(hostOf('old').failure!.message, /upgrade it with fleet install/);
  });

  it('shows progress on stderr, one line per host as it finishes', () => {
    const finals = scan.progress.filter((l) => /^fleet: \[ ?\d\/8\] \S+: (ok|FAILED)/.test(l));
    assert.equal(finals.length, 8);
    assert.ok(finals.some((l) => /changed: FAILED host-key/.test(l)));
  });
});
