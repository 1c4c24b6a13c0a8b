// One ranking across servers, and a readable report that no host can use to
// write on the operator's terminal.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeScan, RemoteDiagnosisSchema, type HostOutcome, type RemoteDiagnosis } from '../../service/fleet/merge-report.ts';
import { formatFleetScan } from '../../service/fleet/scan-report-text.ts';

type Sub = RemoteDiagnosis['subscriptions'][number];
const sub = (name: string, o: Partial<Sub> = {}): Sub => ({
  id: 1, name, owner: { login: 'c', type: 'client' }, status: 'sending', blockedSince: null,
  lastHour: { passed: 0, rejected: 0, limit: null }, cause: 'none', sources: [], leak: null, ...o,
});
const outcome = (name: string, ok = true): HostOutcome => ({ name, address: '127.0.0.1', port: 22, ok, failure: ok ? null : { kind: 'timeout', message: 'slow' }, seconds: 1, notes: [] });
const doc = (subs: Sub[]): RemoteDiagnosis => ({ now: '2022-02-03T23:00:00+09:00', warnings: [], subscriptions: subs });

describe('merging hosts into one ranking', () => {
  const script = { kind: 'script', path: '/var/www/vhosts/a.jp/httpdocs/mail.php', messages: 900, confidence: 0.97 };
  const merged = mergeScan([
    { outcome: outcome('web1'), doc: doc([sub('quiet.jp'), sub('leaky.jp', { cause: 'script', risk: 60, sources: [script], leak: { since: '2021-11-01T00:00:00+09:00', perHour: 300, source: script.path } })]) },
    { outcome: outcome('web2'), doc: doc([sub('blocked.jp', { status: 'not-sending', cause: 'unknown', risk: 40, blockedSince: '2022-02-03T15:00:00+09:00' }), sub('risky.jp', { cause: 'mailbox', risk: 90 })]) },
    { outcome: outcome('web3', false), doc: null },
  ]);

  it('puts a blocked subscription first, then by risk, whichever server it is on', () => {
    assert.deepEqual(merged.subscriptions.map((r) => `${r.host}/${r.subscription}`), ['web2/blocked.jp', 'web2/risky.jp', 'web1/leaky.jp', 'web1/quiet.jp']);
    assert.equal(merged.failed, 1);
  });

  it('carries the top source and the leak of each subscription', () => {
    const leaky = merged.subscriptions.find((r) => r.subscription === 'leaky.jp')!;
    assert.deepEqual(leaky.topSource, { kind: 'script', label: script.path, messages: 900, confidence: 0.97 });
    assert.equal(leaky.leak?.perHour, 300);
  });

  it('ranks a host without risk scores (an older version) by its cause', () => {
    const m = mergeScan([{ outcome: outcome('old'), doc: doc([sub('a.jp'), sub('b.jp', { cause: 'script' })]) }]);
    assert.deepEqual(m.subscriptions.map((r) => r.subscription), ['b.jp', 'a.jp']);
  });

  it('prints notable rows and failed hosts, and counts the quiet ones', () => {
    const text = formatFleetScan(merged);
    assert.match(text, /2 of 3 host\(s\) answered, 1 failed/);
    assert.match(text, /web2\s+blocked\.jp\s+NOT SENDING since 2022-02-03T15:00:00\+09:00/);
    assert.match(text, /~300\/h since 2021-11-01/);
    assert.match(text, /1 other subscription\(s\) show nothing suspicious/);
    assert.match(text, /web3 \(127\.0\.0\.1:22\): timeout: slow/);
  });

  it('shows escape sequences and newlines from a host as visible text', () => {
    const evil = mergeScan([{ outcome: outcome('evil\x1b]0;owned\x07'), doc: doc([sub('a.jp\n1  web9  fake.jp  sending', { cause: 'script\x1b[2J' })]) }]);
    const text = formatFleetScan(evil);
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(text), 'no control characters but newlines between lines');
    assert.equal(text.split('\n').filter((l) => l.includes('fake.jp')).length, 1);
    assert.match(text, /a\.jp\\n1  web9/);
  });
});

describe('the remote document at the door', () => {
  it('accepts the contract fields and ignores additions', () => {
    const parsed = RemoteDiagnosisSchema.parse({ ...doc([sub('a.jp')]), extra: 1 });
    assert.equal(parsed.subscriptions[0]!.name, 'a.jp');
  });
  it('refuses a document without the required fields', () => {
    assert.equal(RemoteDiagnosisSchema.safeParse({ now: 'x', warnings: [], subscriptions: [{ id: 1 }] }).success, false);
  });
});
