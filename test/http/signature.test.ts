// The request signature (docs/signature.md) against its published test
// vectors, and the vectors against an independent implementation: PHP's
// hash_hmac() and rawurlencode(), the functions the Plesk shim will use.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeSignature, decodeLogin, encodeLogin, HEADERS, secretKey, signRequest, stringToSign, type Identity, type SignedParts } from '../../service/http/auth/signature.ts';
import { runCommand } from '../../service/sources/run-command.ts';
import { repoRoot } from '../helpers/repo-root.ts';

type Vector = { name: string; method: string; target: string; body: string; timestamp: number; nonce: string; identity: Identity; expected: { stringToSign: string; headers: Record<string, string> } };
const file = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/signature-vectors.json'), 'utf8')) as { secretHex: string; vectors: Vector[] };
const key = secretKey(file.secretHex);

const partsOf = (v: Vector, h: Record<string, string>): SignedParts => ({
  method: v.method, target: v.target, contentSha256: h[HEADERS.contentSha256]!, timestamp: h[HEADERS.timestamp]!,
  nonce: h[HEADERS.nonce]!, role: h[HEADERS.role]!, clientId: h[HEADERS.clientId]!, user: h[HEADERS.user]!,
});

describe('request signature', () => {
  it('reproduces every published test vector', () => {
    assert.ok(file.vectors.length >= 5);
    for (const v of file.vectors) {
      const headers = signRequest(key, v);
      assert.deepEqual(headers, v.expected.headers, v.name);
      assert.equal(stringToSign(partsOf(v, headers)), v.expected.stringToSign, v.name);
    }
  });

  it('agrees with PHP (hash_hmac, hash, rawurlencode) on every vector', async () => {
    const php = `
      $f = json_decode(stream_get_contents(STDIN), true);
      $out = [];
      foreach ($f['vectors'] as $v) {
        $q = strpos($v['target'], '?');
        $path = $q === false ? $v['target'] : substr($v['target'], 0, $q);
        $query = $q === false ? '' : substr($v['target'], $q + 1);
        $user = rawurlencode($v['identity']['login']);
        $s = implode("\\n", ['sendtrace-v1', $v['method'], $path, $query, hash('sha256', $v['body']), (string)$v['timestamp'], $v['nonce'], $v['identity']['role'], (string)$v['identity']['clientId'], $user]);
        $out[] = ['user' => $user, 'signature' => 'v1=' . hash_hmac('sha256', $s, hex2bin($f['secretHex']))];
      }
      echo json_encode($out);`;
    const r = await runCommand(['php', '-r', php], { stdin: JSON.stringify(file), timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout) as Array<{ user: string; signature: string }>;
    file.vectors.forEach((v, i) => {
      assert.equal(got[i]!.user, v.expected.headers[HEADERS.user], `${v.name}: user`);
      assert.equal(got[i]!.signature, v.expected.headers[HEADERS.signature], `${v.name}: signature`);
    });
  });

  it('changes the signature when any signed field changes', () => {
    const v = file.vectors[2]!;
    const base = partsOf(v, v.expected.headers);
    const original = computeSignature(key, base);
    const changes: Partial<SignedParts>[] = [
      { method: 'PUT' }, { target: `${v.target}?x=1` }, { target: '/api/subscriptions/8/actions/quarantine' }, { contentSha256: 'f'.repeat(64) },
      { timestamp: String(v.timestamp + 1) }, { nonce: `${v.nonce}x` }, { role: 'admin' }, { clientId: '1' }, { user: 'admin' },
    ];
    for (const c of changes) assert.notEqual(computeSignature(key, { ...base, ...c }), original, JSON.stringify(c));
    assert.notEqual(computeSignature(secretKey('0'.repeat(64)), base), original);
  });

  it('keeps the query apart from the path, so moving text between them is a different request', () => {
    const a = stringToSign({ method: 'GET', target: '/api/a?b', contentSha256: '0'.repeat(64), timestamp: '1', nonce: 'x'.repeat(16), role: 'admin', clientId: '1', user: 'admin' });
    const b = stringToSign({ method: 'GET', target: '/api/a%3Fb', contentSha256: '0'.repeat(64), timestamp: '1', nonce: 'x'.repeat(16), role: 'admin', clientId: '1', user: 'admin' });
    assert.notEqual(a, b);
  });

  it('refuses to sign a field that could smuggle a separator (a newline in the login stays encoded, a bad nonce is refused)', () => {
    const id: Identity = { login: 'evil\nadmin', role: 'client', clientId: 3 };
    const h = signRequest(key, { method: 'GET', target: '/api/me', identity: id, timestamp: 1, nonce: 'n'.repeat(16) });
    assert.equal(h[HEADERS.user], 'evil%0Aadmin');
    assert.equal(decodeLogin(h[HEADERS.user]!), null, 'a control character in a login is refused when verifying');
    assert.throws(() => signRequest(key, { method: 'GET', target: '/api/me', identity: { ...id, login: 'x' }, timestamp: 1, nonce: 'short' }), /nonce/);
    assert.throws(() => signRequest(key, { method: 'GET', target: '/api/me\nX: y', identity: { ...id, login: 'x' }, timestamp: 1, nonce: 'n'.repeat(16) }), /target/);
  });

  it('round-trips logins through percent-encoding', () => {
    for (const login of ['admin', 'イージートーン', "o'brien+ops@example.com", 'a b%c']) assert.equal(decodeLogin(encodeLogin(login)), login);
    assert.equal(decodeLogin('%E3%82'), null, 'truncated UTF-8');
    assert.equal(decodeLogin('a%2'), null);
  });
});
