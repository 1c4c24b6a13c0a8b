// Faults in fleet scan (issue 10): a host that goes silent right after its
// command ended, as the connection is being closed. Between the CLI and a
// real sshd sits a TCP relay on loopback that passes everything through
// until the CLI half-closes its side (its FIN after the SSH disconnect), and
// from then on answers nothing and never closes: the host's FIN never comes.
// Asserted: the scan reports the host's result, and the process still ends,
// shortly after the close grace, instead of holding the socket for good.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FleetScanDoc } from '../../service/fleet/merge-report.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { cannedCliSource, cannedDiagnosis } from '../fleet/fake-servers.ts';
import { knownHostsLine, stopAll, writeIniInventory } from '../fleet/harness.ts';
import { makeKeyPair, startSshd, type Sshd } from '../fleet/sshd.ts';

type Relay = { port: number; halfClosed: () => number; close: () => Promise<void> };

/** Relays to `port`; once the client half-closes, drops everything both ways and keeps the client's socket open. */
async function silentOnCloseRelay(port: number): Promise<Relay> {
  const held: Socket[] = [];
  let halfClosed = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    held.push(client);
    const upstream = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    held.push(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    let silent = false;
    client.on('data', (b: Buffer) => { if (!silent) upstream.write(b); });
    upstream.on('data', (b: Buffer) => { if (!silent) client.write(b); });
    client.on('end', () => {
      // The client is done: from now on the "host" is frozen — no data, no FIN, the socket left open.
      silent = true;
      halfClosed++;
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as { port: number }).port,
    halfClosed: () => halfClosed,
    close: async () => {
      held.forEach((s) => s.destroy());
      await new Promise((ok) => server.close(ok));
    },
  };
}

describe('faults: a host goes silent while fleet scan closes its connection', { timeout: 120_000 }, () => {
  let dir: string;
  let sshd: Sshd;
  let relay: Relay;
  let result: { code: number | null; ms: number; stdout: string; stderr: string };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'st-ssh-close-'));
    const client = await makeKeyPair(dir, 'client');
    sshd = await startSshd(`${client.publicLine}\n`);
    relay = await silentOnCloseRelay(sshd.port);
    const cli = join(dir, 'cli.mjs');
    await writeFile(cli, cannedCliSource(cannedDiagnosis(['closing1.jp'])));
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, `${knownHostsLine(relay.port, sshd.hostKey)}\n`);
    const inventory = join(dir, 'hosts.ini');
    await writeIniInventory(inventory, { web: [{ name: 'closing', port: relay.port, vars: { sendtrace_cli: cli, sendtrace_node: process.execPath } }] },
      { ansible_user: 'root', ansible_ssh_private_key_file: client.privatePath });
    const t0 = Date.now();
    const child = spawn(process.execPath, [
      '--import', resolve(repoRoot, 'test/helpers/register-ts.mjs'), resolve(repoRoot, 'service/main.ts'),
      'fleet', 'scan', '--inventory', inventory, '--known-hosts', knownHosts, '--json',
    ], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: dir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    let limit: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      new Promise<number | null>((ok) => child.once('exit', (c) => ok(c))),
      new Promise<'hung'>((ok) => { limit = setTimeout(() => ok('hung'), 45_000); }),
    ]);
    clearTimeout(limit);
    if (code === 'hung') {
      child.kill('SIGKILL');
      throw new Error(`fleet scan still running 45 s after it started (the silent host held it); stderr: ${stderr}`);
    }
    result = { code, ms: Date.now() - t0, stdout, stderr };
  });
  after(async () => {
    await relay?.close();
    await stopAll([sshd]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports the host\'s result: the command had ended before the host went silent', () => {
    const doc = JSON.parse(result.stdout) as FleetScanDoc;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(doc.subscriptions.map((s) => s.subscription), ['closing1.jp']);
  });

  it('the connection was really closed into a silent host, and the process still ended', () => {
    assert.equal(relay.halfClosed(), 1, 'the CLI half-closed its connection, and the relay kept it open');
    assert.ok(result.ms < 30_000, `fleet scan took ${result.ms} ms`);
  });
});
