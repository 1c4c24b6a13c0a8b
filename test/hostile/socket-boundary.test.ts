// Boundary attacks against a running sidecar over its unix socket (the real
// listener of service/server.ts, not inject()): unsigned, replayed, skewed,
// identity-swapped and oversized requests; traversal in every path parameter;
// role escalation by each role; and slow clients holding connections open
// while the panel's requests are still answered in time.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../service/config.ts';
import { loadSecret } from '../../service/http/auth/secret-file.ts';
import { HEADERS, signRequest, type Identity } from '../../service/http/auth/signature.ts';
import { startServer, type RunningServer } from '../../service/server.ts';
import { waitFor } from '../fixtures/capture/wait-for.ts';
import { recordingActions } from '../http/build.ts';
import { fakeSnapshot, ID, LEAKING_SCRIPT, NOW, ZONE } from '../http/fake-world.ts';
import { callAs, requestSocket, signedHeaders } from '../http/socket-client.ts';

const GID = 4242;
let dir: string;
let socket: string;
let server: RunningServer;
const REQUEST_TIMEOUT_MS = 3_000;
const KEEP_ALIVE_MS = 1_500;
let key: Buffer;
const actions = recordingActions();

before(async () => {
  dir = mkdtempSync(join(tmpdir().length > 40 ? '/tmp' : tmpdir(), 'st-bound-'));
  const groupFile = join(dir, 'group');
  writeFileSync(groupFile, `root:x:0:\npsaadm:x:${GID}:\n`);
  const config = parseConfig({ stateDir: 'state', timezone: ZONE, plesk: 'no-plesk', socketPath: 'run/api.sock', secretFile: 'etc/secret' }, 'test', dir);
  socket = config.socketPath;
  server = await startServer(config, {
    env: {}, socketPath: socket, groupFile, logLevel: 'warn', logStream: { write: () => undefined },
    collect: async () => fakeSnapshot(), fingerprint: async () => ({ files: 'f', ownership: 'o', activity: 'a' }), loadOwnership: async () => fakeSnapshot().ownership,
    analysisNow: () => NOW, actions, requestTimeoutMs: REQUEST_TIMEOUT_MS, keepAliveMs: KEEP_ALIVE_MS, connectionsCheckMs: 250,
  });
  await waitFor(() => server.sidecar.cache.current() !== null, { timeoutMs: 5_000, what: 'the first diagnosis' });
  key = loadSecret(config.secretFile, { gid: GID, create: false });
});
after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const code = (body: string) => (JSON.parse(body) as { error?: { code: string } }).error?.code;
const sign = (as: Identity, method: string, path: string, o: { body?: string; timestamp?: number } = {}) =>
  signRequest(key, { method, target: path, body: o.body ?? '', identity: as, timestamp: o.timestamp ?? Math.floor(Date.now() / 1000), nonce: randomBytes(16).toString('hex') });

describe('boundary attacks over the unix socket', () => {
  it('refuses unsigned, replayed, skewed and identity-swapped requests with 401, and serves the honest one', async () => {
    assert.equal((await requestSocket(socket, { path: '/api/subscriptions' })).status, 401);
    const headers = sign(ID.c1, 'GET', '/api/subscriptions');
    assert.equal((await requestSocket(socket, { path: '/api/subscriptions', headers })).status, 200);
    const replay = await requestSocket(socket, { path: '/api/subscriptions', headers });
    assert.deepEqual([replay.status, code(replay.body)], [401, 'SENDTRACE_ERR_UNAUTHENTICATED']);
    for (const skew of [-120, 120]) {
      const r = await requestSocket(socket, { path: '/api/subscriptions', headers: sign(ID.c1, 'GET', '/api/subscriptions', { timestamp: Math.floor(Date.now() / 1000) + skew }) });
      assert.equal(r.status, 401, `skew ${skew} s`);
    }
    // c1's signature with c2's (or the admin's) identity pasted in: the signature covers the identity.
    for (const [name, value] of [[HEADERS.user, 'c2'], [HEADERS.clientId, String(ID.c2.clientId)], [HEADERS.role, 'admin'], [HEADERS.user, 'admin']] as const) {
      const h = { ...sign(ID.c1, 'GET', '/api/subscriptions'), [name]: value };
      assert.equal((await requestSocket(socket, { path: '/api/subscriptions', headers: h })).status, 401, `${name}: ${value}`);
    }
  });

  it('refuses an oversized body, declared or streamed without a length, and goes on serving', async () => {
    const big = JSON.stringify({ path: LEAKING_SCRIPT, dryRun: true, reason: 'x'.repeat(300 * 1024) });
    const path = '/api/subscriptions/10/actions/quarantine';
    const declared = await requestSocket(socket, { method: 'POST', path, body: big, headers: sign(ID.c1, 'POST', path, { body: big }) });
    assert.equal(declared.status, 413);
    // Chunked, no Content-Length: the limit holds on what arrives, not on what is declared.
    const streamed = await new Promise<number>((resolve, reject) => {
      const s = connect(socket);
      const h = sign(ID.c1, 'POST', path, { body: big });
      s.on('error', reject);
      let got = '';
      s.on('data', (d) => { got += d.toString(); const m = /^HTTP\/1\.1 (\d{3})/.exec(got); if (m) { resolve(Number(m[1])); s.destroy(); } });
      s.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
      for (let i = 0; i < big.length; i += 16384) { const c = big.slice(i, i + 16384); s.write(`${c.length.toString(16)}\r\n${c}\r\n`); }
      s.write('0\r\n\r\n');
    });
    assert.equal(streamed, 413);
    assert.equal(actions.calls.length, 0, 'nothing reached the actions module');
    assert.equal((await callAs(socket, key, ID.c1, 'GET', '/api/subscriptions')).status, 200);
  });

  it('refuses traversal and encoded tricks in every path parameter and body path before anything acts', async () => {
    const targets = [
      '/api/subscriptions/..%2F11', '/api/subscriptions/10%2F..%2F11', '/api/subscriptions/11%00', '/api/subscriptions/010', '/api/subscriptions/-1', '/api/subscriptions/1e1',
      '/api/subscriptions/10/../11', '/api/subscriptions/%2e%2e/11', '/api/subscriptions/11/settings/..',
    ];
    for (const t of targets) {
      const r = await callAs(socket, key, ID.c1, 'GET', t);
      assert.ok([400, 404].includes(r.status), `${t}: ${r.status} ${r.body.slice(0, 200)}`);
      assert.doesNotMatch(r.body, /c2\.example/, `${t} names nothing of another subscription`);
    }
    const restore = '/api/subscriptions/10/actions/restore';
    for (const quarantineId of ['../../../etc/shadow', 'q-20220203-213000-0123abcd/../../x', 'q-20220203-213000-0123abcd\n', '/var/lib/sendtrace/quarantine/q-1', 'q-20220203-213000-0123ABCD']) {
      const r = await callAs(socket, key, ID.c1, 'POST', restore, { quarantineId, dryRun: true });
      assert.equal(r.status, 400, `${JSON.stringify(quarantineId)}: ${r.body}`);
    }
    const quarantine = '/api/subscriptions/10/actions/quarantine';
    for (const path of ['/var/www/vhosts/c1.example/httpdocs/../../c2.example/httpdocs/mail.php', '/var/www/vhosts/c1.example/httpdocs/x.php\u0000.txt', '/var/www/vhosts/c1.example\nhttpdocs/x.php', '/proc/self/root/etc/passwd', '/var/www/vhosts/c1.example/../../../etc/passwd']) {
      const r = await callAs(socket, key, ID.c1, 'POST', quarantine, { path, dryRun: true });
      assert.ok([400, 403].includes(r.status), `${JSON.stringify(path)}: ${r.status} ${r.body}`);
    }
    assert.equal(actions.calls.filter((c) => c.method !== 'listQuarantine').length, 0, 'nothing reached the actions module');
  });

  it('refuses each role claiming a higher one or another customer, with the panel\'s own signature', async () => {
    const attempts: Array<[Identity, Identity]> = [
      // The client id and the role must be psa's (the login is informative: docs/decisions/007); a role psa does not give that id is refused.
      [ID.c1, { ...ID.c1, role: 'admin' }], [ID.c1, { ...ID.c1, role: 'reseller' }], [ID.c1, { ...ID.c1, clientId: ID.admin.clientId }],
      [ID.r1, { ...ID.r1, role: 'admin' }], [ID.r1, { ...ID.r1, login: 'admin', role: 'admin' }], [ID.r1, { ...ID.r1, clientId: 999 }],
      [ID.admin, { ...ID.admin, role: 'client' }], [ID.admin, { ...ID.admin, role: 'reseller' }],
    ];
    for (const [, claimed] of attempts) {
      const r = await callAs(socket, key, claimed, 'GET', '/api/subscriptions');
      assert.equal(r.status, 403, `${JSON.stringify(claimed)}: ${r.status}`);
    }
    // Each role, honestly signed, reaching past its own: 404, exactly as for what does not exist.
    for (const [as, other] of [[ID.c1, 11], [ID.r1, 12], [ID.c1, 14]] as const) {
      for (const [method, path, body] of [['GET', `/api/subscriptions/${other}`], ['PUT', `/api/subscriptions/${other}/settings`, { settings: {} }], ['POST', `/api/subscriptions/${other}/actions/purge-queue`, { dryRun: true }]] as const) {
        const r = await callAs(socket, key, as, method, path, body);
        assert.ok([404, 400].includes(r.status), `${as.login} ${method} ${path}: ${r.status}`);
        if (method !== 'PUT') assert.equal(r.status, 404, `${as.login} ${method} ${path}`);
      }
    }
  });

  it('drops a client that trickles its request past the request timeout', async (t) => {
    // Found by this suite: the sidecar set no request timeout, so a slow client kept its connection until the body limit.
    const s = connect(socket);
    s.on('error', () => undefined);
    const tick = setInterval(() => s.write(' '), 200);
    t.after(() => { clearInterval(tick); s.destroy(); });
    const t0 = Date.now();
    // Signed, so that the sidecar waits for the body its signature covers.
    const headers = Object.entries(signedHeaders(key, 'POST', '/api/subscriptions/10/actions/quarantine', ID.c1, 'x')).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    s.write(`POST /api/subscriptions/10/actions/quarantine HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n${headers}\r\n{`);
    let answer = '';
    s.on('data', (b: Buffer) => (answer += b.toString()));
    await new Promise<void>((ok) => s.once('close', () => ok()));
    const held = Date.now() - t0;
    assert.ok(held >= REQUEST_TIMEOUT_MS - 100, `closed after ${held} ms, before the timeout`);
    assert.ok(held < REQUEST_TIMEOUT_MS + 3_000, `held ${held} ms (timeout ${REQUEST_TIMEOUT_MS} ms)`);
    assert.match(answer, /^HTTP\/1\.1 408 /, 'told why');
  });

  it('closes a keep-alive connection left idle after its answer, at the configured timeout', async (t) => {
    const s = connect(socket);
    s.on('error', () => undefined);
    t.after(() => s.destroy());
    const headers = Object.entries(signedHeaders(key, 'GET', '/api/subscriptions', ID.c1)).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    let answer = '';
    let answered = 0;
    s.on('data', (b: Buffer) => {
      answer += b.toString();
      if (!answered && /\r\n\r\n/.test(answer)) answered = Date.now();
    });
    s.write(`GET /api/subscriptions HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n${headers}\r\n`);
    await new Promise<void>((ok) => s.once('close', () => ok()));
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /keep-alive/i, 'the answer kept the connection open');
    const idle = Date.now() - answered;
    assert.ok(idle >= KEEP_ALIVE_MS - 100, `closed ${idle} ms after the answer, before the keep-alive timeout`);
    assert.ok(idle < KEEP_ALIVE_MS + 2_000, `idle connection held ${idle} ms (keep-alive timeout ${KEEP_ALIVE_MS} ms)`);
  });

  it('keeps answering signed requests within a bound while slow clients hold 60 connections open', async (t) => {
    const slow: Socket[] = [];
    const timers: NodeJS.Timeout[] = [];
    t.after(() => { timers.forEach(clearInterval); slow.forEach((s) => s.destroy()); });
    for (let i = 0; i < 60; i++) {
      const s = connect(socket);
      s.on('error', () => undefined);
      const kind = i % 3;
      // Headers a byte at a time; a body that never ends; a request line that never ends.
      if (kind === 0) s.write('GET /api/subscriptions HTTP/1.1\r\nHost: x\r\n');
      if (kind === 1) s.write(`POST /api/subscriptions/10/actions/quarantine HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n${Object.entries(signedHeaders(key, 'POST', '/api/subscriptions/10/actions/quarantine', ID.c1, 'x')).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n{`);
      if (kind === 2) s.write('GET /api/sub');
      timers.push(setInterval(() => s.write(kind === 0 ? 'X' : kind === 1 ? ' ' : 's'), 200));
      slow.push(s);
    }
    await new Promise((r) => setTimeout(r, 500));
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = Date.now();
      const r = await callAs(socket, key, ID.c1, 'GET', '/api/subscriptions');
      times.push(Date.now() - t0);
      assert.equal(r.status, 200);
    }
    assert.ok(Math.max(...times) < 2_000, `answers took ${times.join(', ')} ms`);
    assert.ok(slow.filter((s) => !s.destroyed).length > 0, 'the slow clients were still connected while the others were served');
  });
});
