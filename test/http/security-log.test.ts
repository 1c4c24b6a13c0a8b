// security.log (refused requests) and the nonce memory behind replay refusal:
// bounded under a flood, never forgetting a live nonce.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNonceCache } from '../../service/http/auth/nonce-cache.ts';
import { openSecurityLog, readSecurityLog, SECURITY_FILE } from '../../service/http/security-log.ts';

const event = (i: number) => ({ event: 'unauthenticated' as const, reason: 'bad-signature', method: 'GET', path: `/api/x${i}`, claimed: { user: 'evil\nuser', role: null, clientId: null } });

describe('security log', () => {
  it('writes at most its cap per second, counts the rest in the next line, and is private', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'st-seclog-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const log = openSecurityLog(dir, 'Asia/Tokyo', 5);
    for (let i = 0; i < 12; i++) log.record(event(i), 1_000_000);
    log.record(event(99), 1_001_000);
    const { records } = readSecurityLog(dir, null);
    assert.deepEqual(records.map((r) => r.path), ['/api/x0', '/api/x1', '/api/x2', '/api/x3', '/api/x4', '/api/x99']);
    assert.equal(records.at(-1)!.suppressedBefore, 7);
    assert.equal(records[0]!.claimed.user, 'evil?user', 'claimed text loses its control characters');
    assert.equal(statSync(join(dir, SECURITY_FILE)).mode & 0o777, 0o600);
  });

  it('reads only the end of a huge log, skipping a cut first line and garbage', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'st-seclog-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const log = openSecurityLog(dir, 'Asia/Tokyo', 1_000_000);
    for (let i = 0; i < 3000; i++) log.record(event(i), 2_000_000 + i);
    appendFileSync(join(dir, SECURITY_FILE), 'not json\n');
    const r = readSecurityLog(dir, null, 64 * 1024);
    assert.ok(r.records.length > 100 && r.records.length < 3000);
    assert.equal(r.records.at(-1)!.path, '/api/x2999');
    assert.equal(r.skipped, 1);
    assert.equal(readSecurityLog(dir, 2_000_000 + 2990).records.length, 10, 'since filters by time');
  });
});

describe('nonce memory', () => {
  it('refuses a nonce while it is live, forgets it once its timestamp would be refused anyway', () => {
    const c = createNonceCache();
    assert.equal(c.claim('a'.repeat(16), 61_000, 0), 'fresh');
    assert.equal(c.claim('a'.repeat(16), 61_000, 30_000), 'replayed');
    assert.equal(c.claim('a'.repeat(16), 200_000, 62_000), 'fresh');
  });

  it('when full, refuses new requests rather than forgetting a live nonce', () => {
    const c = createNonceCache(3);
    for (const n of ['n1', 'n2', 'n3']) assert.equal(c.claim(n, 100_000, 0), 'fresh');
    assert.equal(c.claim('n4', 100_000, 10), 'full');
    assert.equal(c.claim('n1', 100_000, 20), 'replayed', 'n1 is still remembered');
    assert.equal(c.claim('n4', 200_000, 100_001), 'fresh', 'expired ones make room');
  });
});
