// The demo, live, for the panel's browser tests and benchmark: the sidecar
// over a PRIVATE copy of the fixture world (actions move its files), psa in a
// real MariaDB (so `plesk bin` can reset passwords), the bots still hitting
// mail.php (bot-traffic.ts), and one clock for everything: the sidecar runs
// under libfaketime shifted so that it starts at the world's `now` — the
// analysis, the actions' audit records and the bots' log lines then share the
// incident's time axis, as they do on a real server.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateWorld, type World } from '../../fixtures/expand/world.ts';
import { SERVER } from '../../fixtures/expand/world-model.ts';
import { startMariadb, type Mariadb } from '../../helpers/mariadb.ts';
import { makePleskSim, type PleskSim } from '../../helpers/plesk-sim.ts';
import { repoRoot } from '../../helpers/repo-root.ts';
import { startBotTraffic, type Bots } from './bot-traffic.ts';

export const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

export type LiveDemo = { url: string; world: World; timezone: string; clock: () => number; close(): Promise<void> };

function waitForPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`the sidecar did not start within ${timeoutMs / 1000} s:\n${err.slice(-3000)}`)), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    child.stderr!.on('data', (c: Buffer) => {
      err = (err + c.toString('utf8')).slice(-20_000);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the sidecar exited (${code}):\n${err.slice(-3000)}`));
    });
  });
}

export async function startLiveDemo(o: { bots?: boolean } = {}): Promise<LiveDemo> {
  if (!existsSync(FAKETIME_LIB)) throw new Error(`${FAKETIME_LIB} is missing: apt-get install faketime (test/setup.sh)`);
  const dir = await mkdtemp(join(tmpdir(), 'sendtrace-panel-'));
  let db: Mariadb | null = null;
  let sim: PleskSim | null = null;
  let child: ChildProcess | null = null;
  let bots: Bots | null = null;
  const close = async () => {
    await bots?.stop();
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((ok) => child!.once('exit', ok));
      child.kill('SIGTERM');
      const force = setTimeout(() => child!.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    }
    await Promise.all([sim?.remove(), db?.stop()]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const world = await generateWorld(join(dir, 'world'));
    db = await startMariadb();
    await db.loadFile(join(world.dir, 'psa.sql'));
    sim = await makePleskSim({ socket: db.socket });
    const raw = JSON.parse(await readFile(join(world.dir, 'config.json'), 'utf8'));
    const abs = (p: string) => resolve(world.dir, p);
    const state = join(dir, 'state');
    const configFile = join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify({
      ...raw, plesk: sim.path, maillog: raw.maillog.map(abs), phpMailLog: raw.phpMailLog.map(abs), accessLogs: raw.accessLogs.map(abs),
      vhostsRoot: abs(raw.vhostsRoot), passwdFile: abs(raw.passwdFile), stateDir: state, secretFile: join(state, 'api-secret'), socketGroup: 'root',
    }));
    // Whole seconds behind real time, the same in every process that inherits the environment.
    const shiftSeconds = Math.floor((Date.now() - Date.parse(world.now)) / 1000);
    const clock = () => Date.now() - shiftSeconds * 1000;
    child = spawn(process.execPath, ['--import', './test/helpers/register-ts.mjs', 'test/panel/helpers/live-sidecar.ts', configFile], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LD_PRELOAD: FAKETIME_LIB, FAKETIME: `-${shiftSeconds}`, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_NO_CACHE: '1' },
    });
    const port = await waitForPort(child, 120_000);
    // Ready when the development signer knows the owners (before psa is read it answers 401).
    for (const until = Date.now() + 120_000; ; await new Promise((ok) => setTimeout(ok, 500))) {
      if ((await fetch(`http://127.0.0.1:${port}/api/me`)).status === 200) break;
      if (Date.now() > until) throw new Error('the sidecar did not accept the development signer within 120 s');
    }
    if (o.bots !== false) bots = startBotTraffic({ worldDir: world.dir, clock });
    return { url: `http://127.0.0.1:${port}`, world, timezone: SERVER.timeZone, clock, close };
  } catch (err) {
    await close();
    throw err;
  }
}
