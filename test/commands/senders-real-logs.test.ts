import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../helpers/repo-root.ts';
import { createSendersEnv, maillogArgs, outcome, row, runSendersCli, type Report, type SendersEnv } from './senders-run.ts';

// Real Postfix logs, anonymised (lightmeterio/ControlCenter test files; see its README).
// In CI the repository is cloned elsewhere with a copy of shared/ beside it.
const REAL = resolve(repoRoot, '../shared/realdata/postfix-lightmeter');
const INDIVIDUAL = join(REAL, 'individual');

let env: SendersEnv;
before(async () => {
  env = await createSendersEnv();
});
after(async () => {
  await env.cleanup();
});

/**
 * Messages per sender, counted the plain way, independently of the product:
 * every Postfix `QID: uid=N from=` line (pickup) and `QID: client=HOST[IP]`
 * line (smtpd) submits one message — from `uid:N`; from `sasl:USER` when the
 * client line has `sasl_username=USER`; else from `client:IP` — except the
 * copies a content filter queues again: an unauthenticated client line that
 * carries `orig_queue_id=`, or whose QID a later Postfix delivery line names in
 * `status=sent (… queued as QID)`. QIDs are reused, so a `queued as` removes
 * only the most recent client line of that QID, and only once.
 */
function plainCount(texts: string[]): Map<string, number> {
  const entries: Array<{ key: string; copy: boolean }> = [];
  const latest = new Map<string, { key: string; copy: boolean; sasl: boolean }>();
  for (const line of texts.join('\n').split('\n')) {
    const pickup = / postfix[^ [\]]*\[\d+\]: ([0-9A-Za-z]+): uid=(\d+) from=/.exec(line);
    if (pickup) {
      entries.push({ key: `uid:${pickup[2]}`, copy: false });
      continue;
    }
    const client = / postfix[^ [\]]*\[\d+\]: ([0-9A-Za-z]+): client=[^[,]*\[([^\]]+)\](.*)$/.exec(line);
    if (client) {
      const sasl = /sasl_username=([^,]*)/.exec(client[3]!);
      const e = { key: sasl ? `sasl:${sasl[1]}` : `client:${client[2]}`, copy: !sasl && client[3]!.includes('orig_queue_id='), sasl: !!sasl };
      entries.push(e);
      latest.set(client[1]!, e);
      continue;
    }
    const handoff = / postfix[^ [\]]*\[\d+\]: [0-9A-Za-z]+: to=<.*status=sent \(.*queued as ([0-9A-Za-z]+)\)/.exec(line);
    const copy = handoff ? latest.get(handoff[1]!) : undefined;
    if (copy && !copy.sasl) {
      copy.copy = true;
      latest.delete(handoff![1]!);
    }
  }
  const counts = new Map<string, number>();
  for (const e of entries) if (!e.copy) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
  return counts;
}

const countsOf = (r: Report) => new Map(r.senders.map((s) => [`${s.kind}:${s.id}`, s.messages]));
const sorted = (m: Map<string, number>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe('senders over real Postfix logs', () => {
  it('counts the sample (mail.log.1 + mail.log) per sender as a plain scan does, in either order', async () => {
    const paths = [join(REAL, 'sample/mail.log.1'), join(REAL, 'sample/mail.log')];
    const expected = plainCount(paths.map((p) => readFileSync(p, 'latin1')));
    assert.ok(expected.size > 10, 'the sample has many senders');
    const a = await runSendersCli(env, maillogArgs(paths));
    const b = await runSendersCli(env, maillogArgs([...paths].reverse()));
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(sorted(countsOf(a.report)), sorted(expected));
    assert.deepEqual(b.report.senders, a.report.senders);
    // Rotation order, whatever the order given: mail.log.1 is older.
    assert.deepEqual(b.report.files.map((f) => f.path), paths);
    assert.equal(a.report.lines, paths.reduce((n, p) => n + readFileSync(p, 'latin1').split('\n').filter((l, i, all) => i < all.length - 1 || l !== '').length, 0));
    assert.equal(a.report.unparsed, 0);
  });

  it('counts each individual file per sender as a plain scan does', async () => {
    const files = readdirSync(INDIVIDUAL).filter((f) => f.endsWith('.log'));
    assert.ok(files.length >= 30);
    for (const f of files) {
      const { report } = await runSendersCli(env, ['--maillog', join(INDIVIDUAL, f)]);
      assert.deepEqual(sorted(countsOf(report)), sorted(plainCount([readFileSync(join(INDIVIDUAL, f), 'latin1')])), f);
    }
  });

  // What a person reading each file counts.
  const file = async (name: string) => (await runSendersCli(env, ['--maillog', join(INDIVIDUAL, name)])).report;

  it('1_bounce_simple: one authenticated message, bounced after the content filter; the bounce notice has no sender', async () => {
    const r = await file('1_bounce_simple.log');
    assert.deepEqual(r.senders.map((s) => s.id), ['user@sender.com']);
    assert.deepEqual(outcome(row(r, 'sasl', 'user@sender.com')), { messages: 1, recipients: 1, sent: 0, deferred: 0, bounced: 1, rejected: 0 });
    assert.deepEqual([r.messages, r.unattributed, r.reinjections], [2, 1, 1]);
  });

  it('2_multiple_recipients_some_bounces (with and without the last removed line): 5 recipients, 2 sent, 3 bounced', async () => {
    for (const name of ['2_multiple_recipients_some_bounces.log', '2_multiple_recipients_some_bounces_no_last_remove.log']) {
      const r = await file(name);
      assert.deepEqual(outcome(row(r, 'sasl', 'sender@mydomain.com')), { messages: 1, recipients: 5, sent: 2, deferred: 0, bounced: 3, rejected: 0 }, name);
    }
  });

  it('26_two_recipients: one message, two recipients, both sent', async () => {
    assert.deepEqual(outcome(row(await file('26_two_recipients.log'), 'sasl', 'sender@internal.org')), { messages: 1, recipients: 2, sent: 2, deferred: 0, bounced: 0, rejected: 0 });
  });

  it('6_deferred_message_retry: three filtered messages of unknown origin, one deferred once then sent', async () => {
    const r = await file('6_deferred_message_retry.log');
    assert.deepEqual(r.senders, []);
    assert.deepEqual([r.messages, r.unattributed, r.totals.sent, r.totals.deferred, r.totals.bounced], [3, 3, 3, 1, 0]);
  });

  it('18_expired: deferred five times, then expired and returned; the notice is delivered locally', async () => {
    const r = await file('18_expired.log');
    assert.deepEqual(r.senders, []);       // the original submission is before the excerpt; 239.58.50.50 is the re-injecting instance
    assert.deepEqual([r.messages, r.totals.deferred, r.totals.bounced, r.totals.sent], [2, 5, 1, 1]);
    assert.equal(r.unparsed, 1);           // `ir/)`: the tail of a delivery line broken by a newline
    assert.deepEqual(r.unparsedExamples, ['ir/)']);
  });

  it('15_milter-reject and 17-smtpd-reject*: the message is refused', async () => {
    assert.deepEqual(outcome(row(await file('15_milter-reject.log'), 'client', '254.65.43.194')), { messages: 1, recipients: 0, sent: 0, deferred: 0, bounced: 0, rejected: 1 });
    assert.equal(row(await file('17-smtpd-reject-with-milter-reject.log'), 'client', '117.165.155.187').rejected, 1);
    assert.equal(row(await file('17-smtpd-reject.log'), 'sasl', 'h-d2315d@h-24e89d.com').rejected, 1);
    assert.equal(row(await file('20_rejected.log'), 'sasl', 'h-2d34d8bb8@h-93a1a37cd1.com').rejected, 1);
  });

  it('14_reuse_of_queueid: 37 messages from one client, 32 delivered; the re-injecting instance is not a sender', async () => {
    const r = await file('14_reuse_of_queueid.log');
    assert.deepEqual(r.senders.map((s) => `${s.kind}:${s.id}`), ['client:112.83.23.93']);
    assert.deepEqual([row(r, 'client', '112.83.23.93').messages, row(r, 'client', '112.83.23.93').sent, r.reinjections], [37, 32, 35]);
  });

  it('pickups: uid 0 sends one message (10_pickup through amavis, 18_pickup2 direct), with the passwd login', async () => {
    for (const name of ['10_pickup.log', '18_pickup2.log']) {
      const s = row(await file(name), 'uid', '0');
      assert.deepEqual(outcome(s), { messages: 1, recipients: 1, sent: 1, deferred: 0, bounced: 0, rejected: 0 }, name);
      assert.equal(s.login, 'root');
    }
  });

  it('21, 22, 27, 8, 12: local daemon, virtual delivery, one sent one received, orig_queue_id, two messages in one session', async () => {
    const r21 = await file('21_deliveries_with_local_daemon.log');
    assert.deepEqual([row(r21, 'uid', '2002').messages, row(r21, 'client', '147.53.75.90').messages, row(r21, 'client', '147.53.75.83').messages, r21.totals.sent], [2, 2, 1, 5]);
    assert.equal(row(await file('22_virtual_delivery.log'), 'client', '1.2.3.4').sent, 1);
    const r27 = await file('27_one_sent_one_received.log');
    assert.deepEqual([row(r27, 'sasl', 'h-1d6e@h-08cedc5c.com').sent, row(r27, 'client', '232.26.1.68').sent, r27.messages], [1, 1, 2]);
    assert.deepEqual(outcome(row(await file('8_weird_log_file.log'), 'client', '28.55.140.112')), { messages: 1, recipients: 1, sent: 1, deferred: 0, bounced: 0, rejected: 0 });
    const r12 = await file('12_two_independent_deliveries_in_the_same_smtpd_process_mixed.log');
    assert.deepEqual(outcome(row(r12, 'sasl', 'sender@mydomain.com')), { messages: 2, recipients: 10, sent: 2, deferred: 0, bounced: 0, rejected: 0 });
  });

  it('7 and 19: connections and daemon starts only, no message, nothing unparsed', async () => {
    for (const name of ['7_only_connections_and_disconnections.log', '19_postfix_version.log']) {
      const r = await file(name);
      assert.deepEqual([r.messages, r.senders.length, r.unparsed], [0, 0, 0], name);
    }
  });
});

