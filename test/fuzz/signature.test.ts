// Property tests of the signature headers: logins survive percent-encoding;
// the format checks and the comparison never throw on any header text; a
// signature is accepted only when it is the one computed over the request;
// and the running app answers any mix of forged headers with a refusal
// (401/403/400/429) — never a 500, never a 200.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { check, fc } from './fuzz-config.ts';
import { HEADERS, computeSignature, decodeLogin, encodeLogin, malformedField, signRequest, signatureMatches, type SignedParts } from '../../service/http/auth/signature.ts';
import { build, freshNonce } from '../http/build.ts';
import { ID } from '../http/fake-world.ts';

const key = randomBytes(32);
const anyText = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('', 'v1=', `v1=${'0'.repeat(64)}`, '%', '%0A', '%zz', 'admin', '0', '01', '99999999999', '\n'));
const parts = fc.record({ method: anyText, target: anyText, contentSha256: anyText, timestamp: anyText, nonce: anyText, role: anyText, clientId: anyText, user: anyText });

describe('fuzz: signature headers', () => {
  it('reads back any login without control characters through percent-encoding', () => {
    check(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => !/[\x00-\x1f\x7f]/.test(s)), (login) => {
      const enc = encodeLogin(login);
      if (enc.length > 765) return;
      assert.equal(decodeLogin(enc), login);
    }), 2000);
  });

  it('decodes any user header to a login without control characters, or refuses it', () => {
    check(fc.property(anyText, (user) => {
      const login = decodeLogin(user);
      if (login !== null) assert.doesNotMatch(login, /[\x00-\x1f\x7f]/);
    }), 3000);
  });

  it('checks any header text without throwing, and accepts only the computed signature', () => {
    check(fc.property(parts, anyText, (p: SignedParts, presented) => {
      malformedField(p);
      const ok = signatureMatches(key, p, presented);
      assert.equal(ok, presented === computeSignature(key, p));
    }), 3000);
  });

  it('answers any forged or garbled signature headers with a refusal, never 200 or 500', async (t) => {
    const s = await build(t);
    const good = () => signRequest(s.key, { method: 'GET', target: '/api/subscriptions', identity: ID.c1, timestamp: Math.floor(s.clock.now / 1000), nonce: freshNonce() });
    const names = Object.values(HEADERS);
    await check(fc.asyncProperty(fc.subarray(names, { minLength: 1 }), fc.array(fc.string({ unit: fc.constantFrom('a', '0', 'f', '=', 'v', '1', '%', '-', ' ', 'é'), maxLength: 70 }), { minLength: 7, maxLength: 7 }), async (replace, values) => {
      const headers = good();
      replace.forEach((name, i) => {
        // Node refuses header values with control characters or non-Latin-1 before they are sent: keep the others.
        headers[name] = values[i]!.replace(/é/g, '\u00e9');
      });
      const r = await s.inject({ url: '/api/subscriptions', headers });
      assert.ok([400, 401, 403, 429].includes(r.statusCode), `${r.statusCode} ${r.body}`);
    }), 300);
  });
});
