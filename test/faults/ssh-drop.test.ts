// Faults in fleet scan (issue 10): an SSH host that drops while the remote
// `diagnose` runs, and one that goes silent mid-command (frozen: the
// connection stays open, nothing answers). The scan runs as the user runs it,
// the CLI as a child process against real sshd on loopback; each cut happens
// once the remote command has started and written output (it leaves a marker
// with its pid), never after a sleep. Asserted: the host is reported failed
// with a reason naming it, the scan ends on its own within the product's
// timeouts, the other hosts (one still running at the cut) are merged, the exit
// code is 1 (partial, CONTRACT.md), and nothing is left behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FleetScanDoc } from '../../service/fleet/merge-report.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { cannedCliSource, cannedDiagnosis } from '../fleet/fake-servers.ts';
import { knownHostsLine, stopAll, writeIniInventory } from '../fleet/harness.ts';
import { makeKeyPair, startSshd, type Sshd } from '../fleet/sshd.ts';

const HOSTS = ['steady', 'slow', 'drop', 'frozen'] as const;
type Host = (typeof HOSTS)[number];
const FROZEN_TIMEOUT_S = 5; // the frozen host's sendtrace_timeout
const GLOBAL_TIMEOUT_S = 60; // --timeout: the drop must be seen long before it
const until = async (what: string, ok: () => Promise<boolean> | boolean, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const alive = (pid: number) => existsSync(`/proc/${pid}`);
async function statOf(pid: number): Promise<{ comm: string; ppid: number; pgrp: number }> {
  const s = await readFile(`/proc/${pid}/stat`, 'utf8');
  const [, ppid, pgrp] = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), ppid: Number(ppid), pgrp: Number(pgrp) };
}

/** The per-connection sshd process the remote command runs under (never the listener). */
async function sessionSshdOf(pid: number): Promise<number> {
  for (let p = (await statOf(pid)).ppid; p > 1; p = (await statOf(p)).ppid) {
    if ((await statOf(p)).comm !== 'sshd') continue;
    const cmd = (await readFile(`/proc/${p}/cmdline`, 'utf8')).replace(/\0/g, ' ');
    assert.ok(!cmd.includes('[listener]'), `pid ${p} is the listener, not a session: ${cmd}`);
    return p;
  }
  throw new Error(`no sshd above pid ${pid}`);
}

/** Processes still in process group `pgrp` (the CLI's own, as it was started detached). */
async function processGroupMembers(pgrp: number): Promise<number[]> {
  const out: number[] = [];
  for (const p of (await readdir('/proc')).filter((x) => /^\d+$/.test(x))) {
    const st = await statOf(Number(p)).catch(() => null);
    if (st?.pgrp === pgrp) out.push(Number(p));
  }
  return out;
}

/** A remote CLI that starts its output, leaves `marker` (its pid), then waits: for `go` to print `doc`, or forever. */
const waitingCli = (marker: string, go: string | null, doc: object | null) => [
  "import { existsSync, writeFileSync } from 'node:fs';",
  doc ? '' : 'process.stdout.write(\'{"now": \');',
  `writeFileSync(${JSON.stringify(marker)}, String(process.pid));`,
  'const giveUp = Date.now() + 60_000;',
  go
    ? `const t = setInterval(() => { if (existsSync(${JSON.stringify(go)})) { clearInterval(t); ${cannedCliSource(doc!).trim()} } else if (Date.now() > giveUp) clearInterval(t); }, 20);`
    : 'setTimeout(() => {}, 60_000);',
  '',
].join('\n');

describe('faults: an SSH host drops or goes silent mid-command during fleet scan', { timeout: 120_000 }, () => {
  let dir: string;
  let cliTmp: string;
  const sshds: Partial<Record<Host, Sshd>> = {};
  const remotePid: Partial<Record<Host, number>> = {};
  const sessionPid: Partial<Record<Host, number>> = {};
  let child: ChildProcess | null = null;
  let exit: { code: number | null; signal: string | null } | null = null;
  let stdout = '';
  let stderr = '';
  let cutToExitMs = 0;
  let doc: FleetScanDoc;
  const hostOf = (name: Host) => doc.hosts.find((h) => h.name === name)!;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'st-ssh-drop-'));
    cliTmp = join(dir, 'cli-tmp');
    await mkdir(cliTmp);
    const client = await makeKeyPair(dir, 'client');
    const started = await Promise.all(HOSTS.map(() => startSshd(`${client.publicLine}\n`)));
    HOSTS.forEach((h, i) => { sshds[h] = started[i]!; });
    const marker = (h: Host) => join(dir, `${h}.started`);
    const go = join(dir, 'slow.go');
    const cli = (h: Host) => join(dir, `${h}.mjs`);
    await writeFile(cli('steady'), cannedCliSource(cannedDiagnosis(['steady1.jp', 'steady2.jp'], 'steady2.jp')));
    await writeFile(cli('slow'), waitingCli(marker('slow'), go, cannedDiagnosis(['slow1.jp'])));
    await writeFile(cli('drop'), waitingCli(marker('drop'), null, null));
    await writeFile(cli('frozen'), waitingCli(marker('frozen'), null, null));
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, `${HOSTS.map((h) => knownHostsLine(sshds[h]!.port, sshds[h]!.hostKey)).join('\n')}\n`);
    const inventory = join(dir, 'hosts.ini');
    await writeIniInventory(inventory, {
      web: HOSTS.map((h) => ({
        name: h, port: sshds[h]!.port,
        vars: { sendtrace_cli: cli(h), sendtrace_node: process.execPath, ...(h === 'frozen' ? { sendtrace_timeout: String(FROZEN_TIMEOUT_S) } : {}) },
      })),
    }, { ansible_user: 'root', ansible_ssh_private_key_file: client.privatePath });

    // The CLI as the user runs it (from source), in its own process group, with its own TMPDIR.
    child = spawn(process.execPath, [
      '--import', resolve(repoRoot, 'test/helpers/register-ts.mjs'), resolve(repoRoot, 'service/main.ts'),
      'fleet', 'scan', '--inventory', inventory, '--known-hosts', knownHosts, '--concurrency', '4', '--timeout', String(GLOBAL_TIMEOUT_S), '--json',
    ], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: dir, TMPDIR: cliTmp } });
    child.stdout!.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exited = new Promise<void>((r) => child!.once('exit', (code, signal) => { exit = { code, signal }; r(); }));

    // Mid-command: every waiting remote CLI has started and written its marker.
    await until('the remote commands to start', async () => {
      if (exit) throw new Error(`the scan ended before the cut (${JSON.stringify(exit)}): ${stderr}`);
      return ['slow', 'drop', 'frozen'].every((h) => existsSync(marker(h as Host)));
    });
    for (const h of ['slow', 'drop', 'frozen'] as const) remotePid[h] = Number(await readFile(marker(h), 'utf8'));
    for (const h of ['drop', 'frozen'] as const) sessionPid[h] = await sessionSshdOf(remotePid[h]!);
    // The drop: the host's sshd for this connection dies (as on a reboot or an OOM kill).
    process.kill(sessionPid.drop!, 'SIGKILL');
    // The silent host: its connection stays open but nothing answers any more.
    process.kill(sessionPid.frozen!, 'SIGSTOP');
    assert.ok(alive(remotePid.frozen!), 'the frozen host\'s command was still running when it froze');
    const cutAt = Date.now();
    await writeFile(go, ''); // the slow host finishes only after the cut
    let limit: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => { limit = setTimeout(r, 40_000); })]);
    clearTimeout(limit);
    cutToExitMs = Date.now() - cutAt;
    if (!exit) throw new Error(`fleet scan hung: still running ${cutToExitMs} ms after the cut; stderr: ${stderr}`);
    doc = JSON.parse(stdout) as FleetScanDoc;
  });

  after(async () => {
    if (child && !exit) process.kill(-child.pid!, 'SIGKILL');
    if (sessionPid.frozen && alive(sessionPid.frozen)) process.kill(sessionPid.frozen, 'SIGCONT');
    // Remote commands are the test's own processes here: none may outlive it.
    for (const pid of Object.values(remotePid)) {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes(dir)) process.kill(pid, 'SIGKILL'); // still ours, not a recycled pid
    }
    await stopAll(Object.values(sshds));
    await rm(dir, { recursive: true, force: true });
  });

  it('ends on its own within the frozen host\'s timeout, and exits 1: some hosts failed', () => {
    assert.deepEqual(exit, { code: 1, signal: null }, stderr);
    // The frozen host's timer started before the cut: its timeout plus the 2 s stop grace, with room for a busy machine.
    assert.ok(cutToExitMs < (FROZEN_TIMEOUT_S + 2 + 8) * 1000, `ended ${cutToExitMs} ms after the cut`);
    assert.equal(doc.failed, 2);
  });

  it('reports the dropped host as failed, naming it and what was running, well before any timeout', () => {
    const h = hostOf('drop');
    assert.equal(h.ok, false);
    assert.equal(h.failure?.kind, 'unreachable');
    // A reset may add ssh2's reason in brackets, e.g. "(read ECONNRESET)".
    assert.match(h.failure!.message, new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshds.drop!.port}: the connection dropped while sendtrace diagnose --json was running( \\(.+\\))?$`));
    assert.ok(h.seconds < GLOBAL_TIMEOUT_S / 2, `took ${h.seconds} s`);
    assert.match(stderr, /^fleet: \[\d\/4\] drop: FAILED unreachable: \[127\.0\.0\.1\]:\d+: the connection dropped while sendtrace diagnose --json was running( \(.+\))?$/m);
  });

  it('reports the silent host as timed out after its own timeout, naming it', () => {
    const h = hostOf('frozen');
    assert.deepEqual(h.failure, { kind: 'timeout', message: `sendtrace diagnose --json did not finish within ${FROZEN_TIMEOUT_S} s` });
    // Its timeout, then the 2 s a stopped command's channel gets to close (ssh-run.ts): only a host that no
    // longer answers uses them up, so this also shows that the freeze came before the timeout.
    assert.ok(h.seconds >= FROZEN_TIMEOUT_S + 2 && h.seconds < FROZEN_TIMEOUT_S + 2 + 8, `took ${h.seconds} s`);
    assert.match(stderr, /^fleet: \[\d\/4\] frozen: FAILED timeout: sendtrace diagnose --json did not finish within 5 s$/m);
  });

  it('still merges the other hosts, including the one that was running at the cut', () => {
    assert.deepEqual(doc.hosts.map((h) => [h.name, h.ok]), [['steady', true], ['slow', true], ['drop', false], ['frozen', false]]);
    assert.deepEqual(doc.subscriptions.map((r) => `${r.host}/${r.subscription}`), ['steady/steady2.jp', 'slow/slow1.jp', 'steady/steady1.jp']);
    assert.equal(hostOf('slow').subscriptions, 1);
  });

  it('leaves nothing behind: no local process, no temp file, no remote command of the dropped host', async () => {
    // The TypeScript loader's esbuild service (a test-only child) exits on its own stdin's EOF, a moment after the CLI.
    const left = async () => Promise.all((await processGroupMembers(child!.pid!)).map(async (p) => `${p} ${(await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ')}`));
    await until('the CLI\'s process group to empty', async () => (await left()).length === 0, 5000).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${(await left()).join('; ')}`);
    });
    assert.deepEqual(await readdir(cliTmp), [], 'files left in the CLI\'s TMPDIR');
    // sshd's death closed the command's stdin: remote-cli.ts's watcher stops it.
    await until('the dropped host\'s command to stop', () => !alive(remotePid.drop!), 10_000);
    assert.ok(!alive(remotePid.slow!), 'the slow host\'s command ended');
  });
});
