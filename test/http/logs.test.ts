// Secrets and passwords never reach the sidecar's log: new passwords in a
// reset-passwords answer, the HMAC secret, signature headers, cookies,
// request bodies, and a child process's environment attached to an error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HEADERS, signRequest } from '../../service/http/auth/signature.ts';
import { build, freshNonce, recordingActions } from './build.ts';
import { ID, LEAKING_SCRIPT } from './fake-world.ts';

describe('sidecar log', () => {
  it('never contains a new password, the secret, a signature, a cookie or a request body', async (t) => {
    const s = await build(t);
    const reset = await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/reset-passwords', as: ID.c1, body: { mailboxes: 'all', dryRun: false } });
    assert.equal(JSON.parse(reset.body).result.accounts[0].password, 'Xq7-secret-Pw-41z');
    const body = JSON.stringify({ path: LEAKING_SCRIPT, reason: 'reason-marker-1b2c', dryRun: true });
    const headers = signRequest(s.key, { method: 'POST', target: '/api/subscriptions/10/actions/quarantine', body, identity: ID.c1, timestamp: Math.floor(s.clock.now / 1000), nonce: freshNonce() });
    await s.app.inject({ method: 'POST', url: '/api/subscriptions/10/actions/quarantine', headers: { ...headers, 'content-type': 'application/json', cookie: 'PLESKSESSID=cookie-marker-77aa' }, payload: body });
    // A forged request, a bad body and a validation failure: the refusal paths log too.
    await s.app.inject({ url: '/api/me', headers: { ...headers, cookie: 'PLESKSESSID=cookie-marker-77aa' } });
    await s.inject({ method: 'PUT', url: '/api/subscriptions/10/settings', as: ID.c1, body: { settings: { password: 'body-password-marker' } } });

    const text = s.logs.join('');
    assert.ok(s.logs.filter((l) => l.includes('"msg":"request"')).length === 4, 'each request is logged once');
    assert.match(text, /"path":"\/api\/subscriptions\/10\/actions\/reset-passwords"/, 'the log says what was asked');
    for (const secret of ['Xq7-secret-Pw-41z', s.key.toString('hex'), headers[HEADERS.signature]!.slice(3), 'cookie-marker-77aa', 'reason-marker-1b2c', 'body-password-marker']) {
      assert.ok(!text.includes(secret), `the log contains ${secret}`);
    }
  });

  it('redacts the environment a failed command carries (PSA_PASSWORD)', async (t) => {
    const failure = Object.assign(new Error('plesk bin mail failed'), { env: { PSA_PASSWORD: 'env-password-marker' }, password: 'prop-password-marker' });
    const s = await build(t, { actions: recordingActions({ fail: failure }) });
    const r = await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/reset-passwords', as: ID.c1, body: { mailboxes: 'all', dryRun: false } });
    assert.equal(r.statusCode, 500);
    const text = s.logs.join('');
    assert.match(text, /plesk bin mail failed/, 'the failure itself is logged');
    assert.ok(!text.includes('env-password-marker') && !text.includes('prop-password-marker'));
  });
});
