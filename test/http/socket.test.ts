// The sidecar on a real unix socket (service/server.ts): file mode and group,
// a stale socket replaced and a live one or a plain file refused, the secret
// file created private, event streams over the socket, /metrics alone on a
// loopback port, and a graceful shutdown that lets a request finish.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../service/config.ts';
import type { ActionsPort } from '../../service/http/actions/actions-port.ts';
import { loadSecret } from '../../service/http/auth/secret-file.ts';
import { SendtraceError } from '../../service/errors.ts';
import { startServer, type RunningServer } from '../../service/server.ts';
import { freePort } from '../fixtures/capture/free-port.ts';
import { waitFor } from '../fixtures/capture/wait-for.ts';
import { recordingActions } from './build.ts';
import { fakeSnapshot, ID, LEAKING_SCRIPT, NOW, ZONE } from './fake-world.ts';
import { callAs, openEventStream, requestSocket } from './socket-client.ts';

const GID = 4242;

function setup(t: TestContext, extra: Record<string, unknown> = {}): { dir: string; config: Config; groupFile: string; socket: string } {
  // Short base: sun_path holds 108 bytes.
  const dir = mkdtempSync(join(tmpdir().length > 40 ? '/tmp' : tmpdir(), 'st-sock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const groupFile = join(dir, 'group');
  writeFileSync(groupFile, `root:x:0:\npsaadm:x:${GID}:\n`);
  const config = parseConfig({ stateDir: 'state', timezone: ZONE, plesk: 'no-plesk', socketPath: 'run/api.sock', secretFile: 'etc/secret', ...extra }, 'test', dir);
  return { dir, config, groupFile, socket: config.socketPath };
}

async function serve(t: TestContext, s: ReturnType<typeof setup>, o: { actions?: ActionsPort; key?: Buffer } = {}): Promise<RunningServer> {
  const server = await startServer(s.config, {
    env: {}, socketPath: s.socket, groupFile: s.groupFile, logLevel: 'warn', logStream: { write: () => undefined },
    ...(o.key ? { key: o.key } : {}),
    collect: async () => fakeSnapshot(), fingerprint: async () => ({ files: 'f', ownership: 'o', activity: 'a' }), loadOwnership: async () => fakeSnapshot().ownership,
    analysisNow: () => NOW, actions: o.actions ?? recordingActions(),
  });
  t.after(() => server.close());
  await waitFor(() => server.sidecar.cache.current() !== null, { timeoutMs: 5_000, what: 'the first diagnosis' });
  return server;
}

describe('the sidecar on a unix socket', () => {
  it('listens on a socket only root and the panel\'s group can use, and answers signed requests', async (t) => {
    const s = setup(t);
    const server = await serve(t, s);
    const st = statSync(s.socket);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.gid, GID);
    assert.equal(statSync(join(s.dir, 'run')).gid, GID, 'the folder made for it belongs to the group too');
    const key = loadSecret(s.config.secretFile, { gid: GID, create: false });
    const r = await callAs(s.socket, key, ID.c1, 'GET', '/api/subscriptions');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body).items.map((i: { id: number }) => i.id), [10]);
    assert.equal((await requestSocket(s.socket, { path: '/api/subscriptions' })).status, 401);
    assert.equal(server.tcp, null, 'no TCP listener without the development signer');
  });

  it('creates the shared secret 0640 root:psaadm on first start, and refuses one others can read', async (t) => {
    const s = setup(t);
    await serve(t, s);
    const st = statSync(s.config.secretFile);
    assert.equal(st.mode & 0o777, 0o640);
    assert.equal(st.gid, GID);
    assert.match(readFileSync(s.config.secretFile, 'utf8'), /^[0-9a-f]{64}\n$/);
    chmodSync(s.config.secretFile, 0o644);
    assert.throws(() => loadSecret(s.config.secretFile, { gid: GID, create: true }), (e: unknown) => e instanceof SendtraceError && /too open/.test(e.message));
  });

  it('replaces a stale socket left by a crash', async (t) => {
    const s = setup(t);
    const child = spawn(process.execPath, ['-e', `require('fs').mkdirSync(${JSON.stringify(join(s.dir, 'run'))}, { recursive: true }); require('net').createServer().listen(${JSON.stringify(s.socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((r) => child.once('exit', r));
    assert.ok(statSync(s.socket).isSocket(), 'the crashed process left its socket behind');
    await serve(t, s, { key: randomBytes(32) });
    assert.equal((await requestSocket(s.socket, { path: '/healthz' })).status, 200);
  });

  it('refuses to start over a live socket or a file that is not a socket, and leaves them alone', async (t) => {
    const s = setup(t);
    writeFileSync(join(s.dir, 'placeholder'), '');
    const live = createServer();
    await new Promise<void>((r) => live.listen(join(s.dir, 'live.sock'), () => r()));
    t.after(() => live.close());
    const other = { ...s, config: { ...s.config, socketPath: join(s.dir, 'live.sock') }, socket: join(s.dir, 'live.sock') };
    await assert.rejects(serve(t, other, { key: randomBytes(32) }), /another process is listening/);
    const file = { ...s, config: { ...s.config, socketPath: join(s.dir, 'placeholder') }, socket: join(s.dir, 'placeholder') };
    await assert.rejects(serve(t, file, { key: randomBytes(32) }), /not a socket; not removing it/);
    assert.ok(existsSync(join(s.dir, 'placeholder')));
  });

  it('streams events over the socket, each to those who may see them', async (t) => {
    const s = setup(t);
    const key = randomBytes(32);
    await serve(t, s, { key });
    const c1 = openEventStream(s.socket, key, ID.c1);
    const c2 = openEventStream(s.socket, key, ID.c2);
    t.after(() => (c1.close(), c2.close()));
    assert.deepEqual(await Promise.all([c1.status, c2.status]), [200, 200]);
    const r = await callAs(s.socket, key, ID.c1, 'POST', '/api/subscriptions/10/actions/quarantine', { path: LEAKING_SCRIPT, dryRun: true });
    assert.equal(r.status, 200, r.body);
    await waitFor(() => c1.events.some((e) => e.event === 'action'), { timeoutMs: 5_000, what: 'the action event' });
    await callAs(s.socket, key, ID.c2, 'GET', '/api/me');   // c2's stream had its chance to receive anything
    assert.ok(!c2.events.some((e) => e.event === 'action'));
  });

  it('serves /metrics alone on a loopback TCP port when configured', async (t) => {
    const s = setup(t, { metricsPort: await freePort() });
    const server = await serve(t, s, { key: randomBytes(32) });
    assert.equal(server.metrics?.address, '127.0.0.1');
    const metrics = await fetch(`http://127.0.0.1:${server.metrics!.port}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^sendtrace_diagnosis_generation 1$/m);
    assert.equal((await fetch(`http://127.0.0.1:${server.metrics!.port}/api/subscriptions`)).status, 404);
  });

  it('shuts down gracefully: a request in flight completes, then the socket is gone', async (t) => {
    const s = setup(t);
    const key = randomBytes(32);
    let release: (() => void) | null = null;
    const slow = recordingActions();
    const actions: ActionsPort = { ...slow, purgeQueue: async () => new Promise((r) => (release = () => r({ result: { removed: 0 }, exit: 0, notes: [] }))) };
    const server = await serve(t, s, { key, actions });
    const inFlight = callAs(s.socket, key, ID.c1, 'POST', '/api/subscriptions/10/actions/purge-queue', { dryRun: true });
    await waitFor(() => release !== null, { timeoutMs: 5_000, what: 'the request to reach the action' });
    const closed = server.close();
    setTimeout(() => release!(), 50);
    assert.equal((await inFlight).status, 200);
    await closed;
    assert.ok(!existsSync(s.socket));
    await assert.rejects(requestSocket(s.socket, { path: '/healthz', agent: new Agent() }), /ENOENT|ECONNREFUSED/);
  });
});
