// The trust boundary: only requests signed with the panel's secret, fresh,
// never seen before, for an identity psa knows, reach a route; every refusal
// is a 401 (403 for an unknown identity) recorded in security.log.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readSecurityLog } from '../../service/http/security-log.ts';
import { HEADERS, signRequest } from '../../service/http/auth/signature.ts';
import { build, freshNonce } from './build.ts';
import { ID } from './fake-world.ts';

const codeOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string } }).error;

describe('signature check', () => {
  it('accepts a request signed by the panel and knows who asks', async (t) => {
    const s = await build(t);
    const r = await s.inject({ url: '/api/me', as: ID.c1 });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { login: 'c1', role: 'client', clientId: 4, via: 'panel' });
    assert.equal(r.headers['cache-control'], 'no-store');
  });

  it('refuses an unsigned request with 401 and records it in security.log', async (t) => {
    const s = await build(t);
    const r = await s.inject({ url: '/api/subscriptions', headers: { [HEADERS.user]: 'admin', [HEADERS.role]: 'admin', [HEADERS.clientId]: '1' } });
    assert.equal(r.statusCode, 401);
    const e = codeOf(r.body);
    assert.equal(e.code, 'SENDTRACE_ERR_UNAUTHENTICATED');
    assert.match(e.message, /not signed/);
    const log = readSecurityLog(s.config.stateDir, null).records;
    assert.equal(log.length, 1);
    assert.deepEqual([log[0]!.event, log[0]!.reason, log[0]!.path, log[0]!.claimed.user], ['unauthenticated', 'missing', '/api/subscriptions', 'admin']);
  });

  it('refuses a signature made with another secret', async (t) => {
    const s = await build(t);
    const r = await s.inject({ url: '/api/subscriptions', as: ID.admin, sign: { key: randomBytes(32) } });
    assert.equal(r.statusCode, 401);
    assert.match(codeOf(r.body).message, /does not match/);
    assert.equal(readSecurityLog(s.config.stateDir, null).records[0]?.reason, 'bad-signature');
  });

  it('refuses timestamps more than 60 s off, in the past and in the future, and accepts 60 s', async (t) => {
    const s = await build(t);
    const now = Math.floor(s.clock.now / 1000);
    for (const ts of [now - 61, now + 61, now - 3600]) {
      const r = await s.inject({ url: '/api/me', as: ID.admin, sign: { timestamp: ts } });
      assert.equal(r.statusCode, 401, `timestamp ${ts - now} s`);
      assert.match(codeOf(r.body).message, /more than 60 s/);
    }
    for (const ts of [now - 60, now + 60]) assert.equal((await s.inject({ url: '/api/me', as: ID.admin, sign: { timestamp: ts } })).statusCode, 200);
    assert.equal(readSecurityLog(s.config.stateDir, null).records.filter((r) => r.reason === 'expired').length, 3);
  });

  it('refuses a replayed request (the same nonce twice), even a minute later', async (t) => {
    const s = await build(t);
    const nonce = freshNonce();
    const ts = Math.floor(s.clock.now / 1000);
    assert.equal((await s.inject({ url: '/api/me', as: ID.admin, sign: { nonce, timestamp: ts } })).statusCode, 200);
    s.clock.now += 59_000;
    const again = await s.inject({ url: '/api/me', as: ID.admin, sign: { nonce, timestamp: ts } });
    assert.equal(again.statusCode, 401);
    assert.match(codeOf(again.body).message, /replayed/);
  });

  it('refuses a body that is not the one that was signed', async (t) => {
    const s = await build(t);
    const body = JSON.stringify({ dryRun: true, path: '/var/www/vhosts/c1.example/httpdocs/a.php' });
    const headers = signRequest(s.key, { method: 'POST', target: '/api/subscriptions/10/actions/quarantine', body, identity: ID.c1, timestamp: Math.floor(s.clock.now / 1000), nonce: freshNonce() });
    const r = await s.app.inject({ method: 'POST', url: '/api/subscriptions/10/actions/quarantine', headers: { ...headers, 'content-type': 'application/json' }, payload: body.replace('a.php', 'b.php') });
    assert.equal(r.statusCode, 401);
    assert.match(codeOf(r.body).message, /body is not the one/);
  });

  it('refuses a signed request whose path, query or claimed role was changed on the way', async (t) => {
    const s = await build(t);
    const ts = Math.floor(s.clock.now / 1000);
    const headers = signRequest(s.key, { method: 'GET', target: '/api/subscriptions/10', identity: ID.c1, timestamp: ts, nonce: freshNonce() });
    assert.equal((await s.app.inject({ url: '/api/subscriptions/11', headers })).statusCode, 401);
    assert.equal((await s.app.inject({ url: '/api/subscriptions/10?x=1', headers })).statusCode, 401);
    assert.equal((await s.app.inject({ url: '/api/subscriptions/10', headers: { ...headers, [HEADERS.role]: 'admin', [HEADERS.clientId]: '1' } })).statusCode, 401);
    assert.equal((await s.app.inject({ method: 'DELETE', url: '/api/subscriptions/10', headers })).statusCode, 401);
  });

  it('refuses malformed signature headers without echoing them', async (t) => {
    const s = await build(t);
    const good = signRequest(s.key, { method: 'GET', target: '/api/me', identity: ID.admin, timestamp: Math.floor(s.clock.now / 1000), nonce: freshNonce() });
    for (const [name, value] of [[HEADERS.timestamp, '12.5'], [HEADERS.nonce, 'short'], [HEADERS.role, 'root'], [HEADERS.clientId, '-1'], [HEADERS.user, 'a b'], [HEADERS.contentSha256, 'xyz']] as const) {
      const r = await s.app.inject({ url: '/api/me', headers: { ...good, [name]: value } });
      assert.equal(r.statusCode, 401, name);
      assert.match(codeOf(r.body).message, new RegExp(name));
      assert.ok(!codeOf(r.body).message.includes(value), `${name}: the value is not echoed`);
    }
  });

  it('answers 403 to a valid signature for an identity psa does not know, or a role psa disagrees with', async (t) => {
    const s = await build(t);
    const unknown = await s.inject({ url: '/api/me', as: { login: 'ghost', role: 'client', clientId: 999 } });
    assert.equal(unknown.statusCode, 403);
    assert.equal(codeOf(unknown.body).code, 'SENDTRACE_ERR_FORBIDDEN');
    const escalated = await s.inject({ url: '/api/subscriptions', as: { login: 'c1', role: 'admin', clientId: 4 } });
    assert.equal(escalated.statusCode, 403);
    assert.deepEqual(readSecurityLog(s.config.stateDir, null).records.map((r) => r.event), ['forbidden', 'forbidden']);
  });

  it('serves only /healthz and /metrics without a signature; an unknown route is refused, not revealed', async (t) => {
    const s = await build(t);
    assert.equal((await s.app.inject({ url: '/healthz' })).statusCode, 200);
    const metrics = await s.app.inject({ url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /^# TYPE sendtrace_http_requests_total counter$/m);
    assert.equal((await s.app.inject({ url: '/api/nothing-here' })).statusCode, 401);
    assert.equal((await s.inject({ url: '/api/nothing-here', as: ID.admin })).statusCode, 404);
  });

  it('limits request bodies (413) and accepts JSON only (415)', async (t) => {
    const s = await build(t, { deps: { bodyLimit: 1024 } });
    const big = { path: `/var/www/vhosts/c1.example/${'x'.repeat(2000)}`, dryRun: true };
    const r = await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/quarantine', as: ID.c1, body: big });
    assert.equal(r.statusCode, 413);
    assert.equal(codeOf(r.body).code, 'SENDTRACE_ERR_TOO_LARGE');
    const form = await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/quarantine', as: ID.c1, body: 'path=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.statusCode, 415);
  });

  it('counts refusals by reason in /metrics', async (t) => {
    const s = await build(t);
    await s.inject({ url: '/api/me' });
    await s.inject({ url: '/api/me', as: ID.admin, sign: { key: randomBytes(32) } });
    const body = (await s.app.inject({ url: '/metrics' })).body;
    assert.match(body, /^sendtrace_auth_refusals_total\{reason="missing"\} 1$/m);
    assert.match(body, /^sendtrace_auth_refusals_total\{reason="bad-signature"\} 1$/m);
  });
});
