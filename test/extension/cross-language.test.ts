// PHP shim → real sidecar, over a real unix socket: `node dist/sendtrace.mjs
// serve` on the fixture world (psa through the plesk simulator), and the
// extension's own proxy code (php-cli, pm_ stand-ins for the session) signing
// and forwarding. What PHP signs, Node accepts; what is changed after signing,
// Node refuses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { secretKey } from '../../service/http/auth/signature.ts';
import { cachedWorld, type World } from '../fixtures/expand/world.ts';
import { waitFor } from '../fixtures/capture/wait-for.ts';
import { callAs, requestSocket } from '../http/socket-client.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { PHP_DIR, runPhp, runPhpJson, writeStandin, type StandinState } from './php.ts';
import { freePort } from '../fixtures/capture/free-port.ts';

type Answer = { status: number; headers: Record<string, string>; body: string; ended: boolean; connected: boolean };

const BASE = '/modules/sendtrace/index.php';
// The world's owners (test/fixtures/expand): admin(1) → reseller1(2); skseikan(3), the incident's customer, owns subscription 1 (domain 1).
const ADMIN = { id: 1, login: 'admin', role: 'admin' as const, domains: [] };
const SKSEIKAN = { id: 3, login: 'skseikan', role: 'client' as const, domains: [1], permitted: [1] };
const CHANGE = { CONTENT_TYPE: 'application/json', HTTP_X_FORGERY_PROTECTION_TOKEN: 'eb864f991ca346026d31e1b6b827dfb7', HTTP_SEC_FETCH_SITE: 'same-origin' };

function groupNameOf(gid: number): string {
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[2] === String(gid)) return f[0]!;
  }
  throw new Error(`no group with gid ${gid} in /etc/group`);
}

describe('the PHP shim and the real sidecar', () => {
  let world: World;
  let sim: PleskSim;
  let dir: string;
  let root: string;
  let socket: string;
  let secretFile: string;
  let key: Buffer;
  let child: ChildProcess;
  let output = '';
  let n = 0;

  before(async () => {
    world = await cachedWorld();
    sim = await makePleskSim({ sqlite: join(world.dir, 'psa.sql') });
    dir = mkdtempSync(join('/tmp', 'st-xlang-'));   // short: sun_path holds 108 bytes
    root = join(dir, 'root');
    socket = join(dir, 'run/api.sock');
    secretFile = join(dir, 'etc/api-secret');
    // The secret as the installer makes it: 64 hex digits, 0640, the panel's group (here: ours).
    mkdirSync(join(dir, 'etc'), { recursive: true, mode: 0o750 });
    const hex = randomBytes(32).toString('hex');
    writeFileSync(secretFile, `${hex}\n`, { mode: 0o640 });
    key = secretKey(hex);
    const raw = JSON.parse(readFileSync(join(world.dir, 'config.json'), 'utf8'));
    const abs = (p: string) => resolve(world.dir, p);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({
      ...raw, plesk: sim.path, maillog: raw.maillog.map(abs), phpMailLog: raw.phpMailLog.map(abs), accessLogs: raw.accessLogs.map(abs),
      vhostsRoot: abs(raw.vhostsRoot), passwdFile: abs(raw.passwdFile), stateDir: join(dir, 'state'),
      socketPath: socket, socketGroup: groupNameOf(process.getgid?.() ?? 0), secretFile,
    }));
    // What the shim reads: the same two keys from /etc/sendtrace/config.json (under the test root).
    mkdirSync(join(root, 'etc/sendtrace'), { recursive: true });
    writeFileSync(join(root, 'etc/sendtrace/config.json'), JSON.stringify({ socketPath: socket, secretFile }));

    child = spawn(process.execPath, [join(repoRoot, 'dist/sendtrace.mjs'), 'serve', '--config', join(dir, 'config.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (c: Buffer) => {
      output = (output + c.toString('utf8')).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    // Ready when it answers a signed request (it has read psa's ownership).
    await waitFor(async () => {
      if (exited) throw new Error(`the sidecar exited:\n${output}`);
      try {
        return (await callAs(socket, key, { login: 'admin', role: 'admin', clientId: 1 }, 'GET', '/api/me')).status === 200;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return false;
        throw err;
      }
    }, { timeoutMs: 120_000, what: 'the sidecar to answer signed requests' });
    // …and has finished its first diagnosis (the lists come from it).
    await waitFor(async () => {
      const r = await requestSocket(socket, { path: '/healthz' });
      return r.status === 200 && (JSON.parse(r.body) as { status: string }).status === 'ok';
    }, { timeoutMs: 300_000, what: () => `the first diagnosis:\n${output.slice(-2000)}`, intervalMs: 200 });
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    }
    await sim?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function viaShim(session: StandinState['session'], method: string, path: string, o: { body?: string; headers?: Record<string, string>; stopAfter?: string } = {}): Promise<Answer> {
    const file = join(dir, `request-${++n}.json`);
    writeFileSync(file, JSON.stringify({ server: { REQUEST_METHOD: method, REQUEST_URI: `${BASE}${path}`, ...o.headers }, body: o.body ?? '', stopAfter: o.stopAfter }));
    const standin = writeStandin(dir, { session, plesk: sim.path }, `standin-${n}.json`);
    return runPhpJson<Answer>('proxy.php', [file], { standin, root });
  }

  it('answers what PHP signs, for the admin and for a customer, each with what psa lets it see', async () => {
    const me = await viaShim(ADMIN, 'GET', '/api/me');
    assert.equal(me.status, 200, me.body);
    assert.deepEqual(JSON.parse(me.body), { login: 'admin', role: 'admin', clientId: 1, via: 'panel' });

    const all = await viaShim(ADMIN, 'GET', '/api/subscriptions');
    assert.equal(all.status, 200, all.body);
    const names = (JSON.parse(all.body) as { items: Array<{ name: string }> }).items.map((i) => i.name).sort();
    assert.deepEqual(names, world.expected.subscriptions.map((s) => s.name).sort());

    const own = await viaShim(SKSEIKAN, 'GET', '/api/subscriptions');
    assert.equal(own.status, 200, own.body);
    assert.deepEqual((JSON.parse(own.body) as { items: Array<{ name: string }> }).items.map((i) => i.name), ['sk-seikan.jp']);
    const from = encodeURIComponent(`${new Date(Date.now() - 3 * 3_600_000).toISOString().slice(0, 13)}:00:00+00:00`);
    const timeline = await viaShim(SKSEIKAN, 'GET', `/api/subscriptions/1/timeline?from=${from}&step=hour`);
    assert.equal(timeline.status, 200, `a query string survives signing and forwarding unchanged: ${timeline.body}`);
  });

  it('carries a signed body through: a dry-run quarantine, audited as the panel user', async () => {
    const source = world.expected.subscriptions.find((s) => s.name === 'sk-seikan.jp')!.source!;
    // The script's server path, on this machine's copy of the world's vhosts.
    const path = (source as { path: string }).path.replace(world.expected.serverVhostsRoot, resolve(world.dir, 'var/www/vhosts'));
    const body = JSON.stringify({ path, reason: 'contact form abused by bots', dryRun: true });
    const r = await viaShim(SKSEIKAN, 'POST', '/api/subscriptions/1/actions/quarantine', { body, headers: CHANGE });
    assert.equal(r.status, 200, `${r.body}\n${output.slice(-3000)}`);
    const doc = JSON.parse(r.body) as { dryRun: boolean; result: { originalPath: string } };
    assert.equal(doc.dryRun, true);
    assert.equal(doc.result.originalPath, path);
    const audit = readFileSync(join(dir, 'state/audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { actor: string; action: string });
    assert.match(audit.at(-1)!.actor, /panel:client:skseikan#3/);
  });

  it('passes the event stream through as it comes', async () => {
    const r = await viaShim(ADMIN, 'GET', '/api/events', { headers: { HTTP_ACCEPT: 'text/event-stream' }, stopAfter: 'retry:' });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type']!, /^text\/event-stream/);
    assert.equal(r.headers['x-accel-buffering'], 'no');
    assert.match(r.body, /^retry: \d+\n\n/);
  });

  it('serves a browser through PHP\'s own output: status, headers, JSON, and a stream that flows', async (t) => {
    // PHP's built-in web server with a router doing what ApiController does (test/extension/php/web-router.php).
    const port = await freePort();
    const standin = writeStandin(dir, { session: SKSEIKAN, plesk: sim.path }, 'standin-web.json');
    const web = spawn('php', ['-d', 'display_errors=stderr', '-S', `127.0.0.1:${port}`, join(PHP_DIR, 'web-router.php')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SENDTRACE_STANDIN: standin, SENDTRACE_TEST_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    web.stderr!.on('data', (c: Buffer) => {
      log = (log + c.toString('utf8')).slice(-5000);
    });
    t.after(() => {
      web.kill('SIGKILL');
    });
    const url = `http://127.0.0.1:${port}${BASE}`;
    await waitFor(async () => {
      try {
        await fetch(`http://127.0.0.1:${port}/`);
        return true;
      } catch (err) {
        if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return false;
        throw err;
      }
    }, { timeoutMs: 10_000, what: () => `php -S to listen:\n${log}` });

    const me = await fetch(`${url}/api/me`);
    assert.equal(me.status, 200, log);
    assert.match(me.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await me.json(), { login: 'skseikan', role: 'client', clientId: 3, via: 'panel' });

    const refused = await fetch(`${url}/api/subscriptions/1/settings`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'SENDTRACE_ERR_FORBIDDEN');

    // Last: php -S serves one request at a time, and this one lasts until the client leaves.
    const ctl = new AbortController();
    const events = await fetch(`${url}/api/events`, { headers: { accept: 'text/event-stream' }, signal: ctl.signal });
    assert.equal(events.status, 200);
    assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(events.headers.get('x-accel-buffering'), 'no');
    const reader = events.body!.getReader();
    const first = await reader.read();
    assert.match(Buffer.from(first.value ?? new Uint8Array()).toString('utf8'), /^retry: \d+\n\n/, 'the stream\'s first bytes arrive while it is still open');
    ctl.abort();
  });

  it('is refused by the sidecar when the request is changed after PHP signed it', async () => {
    const body = JSON.stringify({ path: '/var/www/vhosts/sk-seikan.jp/httpdocs/mail.php', dryRun: true });
    for (const what of ['target', 'body', 'identity']) {
      const r = await runPhp(join(PHP_DIR, 'tamper.php'), [socket, secretFile, 'POST', '/api/subscriptions/1/actions/quarantine', body, 'skseikan', 'client', '3', what]);
      assert.equal(r.code, 0, r.stderr);
      const answer = JSON.parse(r.stdout) as { status: number; body: string };
      assert.equal(answer.status, 401, `${what}: ${answer.body}`);
      assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'SENDTRACE_ERR_UNAUTHENTICATED');
    }
    // Untouched, the same request goes through: the refusals were about the change.
    const r = await runPhp(join(PHP_DIR, 'tamper.php'), [socket, secretFile, 'POST', '/api/subscriptions/1/actions/quarantine', body, 'skseikan', 'client', '3', 'nothing']);
    assert.notEqual((JSON.parse(r.stdout) as { status: number }).status, 401);
  });
});
