// purge-queue against a real Postfix (a private instance: its own config and
// queue in a temp dir, reused from the capture fixtures), with spam of one
// subscription and legitimate mail of other senders queued side by side.
// Recipients are routed to a loopback port where nothing listens, so every
// message is deferred; then the test puts them all on hold, so that Postfix
// stops moving them through `active` on each retry and every listing sees the
// same queue (a message caught between two folders is parsePostqueueJson's
// case, tested on its own below).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { readAuditLog } from '../../service/actions/audit-log.ts';
import { listQueue, parsePostcatHeaders, parsePostqueueJson } from '../../service/actions/queue.ts';
import { runCommand } from '../../service/sources/run-command.ts';
import { canUseMountNamespace, runAsUser } from '../fixtures/capture/as-user.ts';
import { freePort } from '../fixtures/capture/free-port.ts';
import { createPrivatePostfix, removeDir, type PrivatePostfix } from '../fixtures/capture/private-postfix.ts';
import { waitFor } from '../fixtures/capture/wait-for.ts';
import { ACME, OTHER, makeWorld, ZONE, type World } from './world.ts';

let w: World;
let pf: PrivatePostfix | null = null;
let pfDir: string;
let env: Record<string, string | undefined>;
let usable = true;

type Sent = { as: number; from: string; script: string | null; subject: string };
const MAIL: Sent[] = [
  { as: ACME.uid, from: 'acme@acme.example', script: `${ACME.uid}:mail.php`, subject: 'spam 1' },
  { as: ACME.uid, from: 'acme@acme.example', script: `${ACME.uid}:mail.php`, subject: 'spam 2' },
  { as: ACME.uid, from: 'acme@acme.example', script: `${ACME.uid}:mail.php`, subject: 'spam 3' },
  { as: ACME.uid, from: 'acme@acme.example', script: `${ACME.uid}:newsletter.php`, subject: 'newsletter' },
  { as: 0, from: 'info@acme.example', script: null, subject: 'invoice from the office' },
  { as: OTHER.uid, from: 'other@other.example', script: `${OTHER.uid}:mail.php`, subject: 'other customer' },
  { as: OTHER.uid, from: 'other@other.example', script: null, subject: 'other customer 2' },
];

async function subjects(): Promise<string[]> {
  const ids = (await listQueue('/usr/sbin', env)).messages.map((m) => m.queueId);
  if (!ids.length) return [];
  const r = await runCommand(['/usr/sbin/postcat', '-h', '-q', ...ids], { env });
  return [...r.stdout.matchAll(/^Subject: (.*)$/gm)].map((m) => m[1]!).sort();
}

before(async () => {
  w = await makeWorld();
});
after(() => w?.remove());

describe('purge-queue', () => {
  before(async () => {
    if (!(await canUseMountNamespace())) {
      usable = false;
      return;
    }
    pfDir = await mkdtemp(join(tmpdir(), 'sendtrace-queue-'));
    pf = await createPrivatePostfix({
      dir: pfDir, smtpPort: await freePort(), milterSmtpPort: await freePort(), milterLocalPort: await freePort(), sinkPort: await freePort(),
      remoteDomains: ['victim.example'], virtualDomains: [], saslUsers: [], timeZone: ZONE,
    });
    await pf.start();
    env = { ...process.env, MAIL_CONFIG: pf.configDir };
    await w.put(join(w.acmeDocroot, 'mail.php'), '<?php mail($_POST["to"], "x", "y");\n');
    for (const m of MAIL) {
      const message = `To: someone@victim.example\nSubject: ${m.subject}\n${m.script ? `X-PHP-Originating-Script: ${m.script}\n` : ''}\nbody\n`;
      const r = await runAsUser(['/usr/sbin/sendmail', '-f', m.from, '-t', '-i'], { uid: m.as, gid: m.as ? ACME.gid : 0, postfixConfigDir: pf.configDir, passwdFile: w.config.passwdFile, stdin: message });
      assert.equal(r.code, 0, r.stderr);
    }
    // Settled: every message tried once and deferred (the route leads nowhere).
    await waitFor(async () => {
      const { messages } = await listQueue('/usr/sbin', env);
      return messages.length === MAIL.length && messages.every((m) => m.queue === 'deferred');
    }, { timeoutMs: 60_000, what: 'all test messages deferred in the private queue' });
    // postsuper -h holds a message in the active queue only once qmgr hands it back: ask again until all are held.
    await waitFor(async () => {
      const held = await runCommand(['/usr/sbin/postsuper', '-h', 'ALL'], { env });
      assert.equal(held.code, 0, held.stderr);
      const { messages } = await listQueue('/usr/sbin', env);
      return messages.length === MAIL.length && messages.every((m) => m.queue === 'hold');
    }, { timeoutMs: 60_000, what: 'all test messages on hold in the private queue' });
  });
  after(async () => {
    await pf?.stop();
    if (pfDir) await removeDir(pfDir);
  });

  it('shows on --dry-run how many messages of the source it would remove, and changes nothing', async (t) => {
    if (!usable) return t.skip('needs a mount namespace (root) for submissions as other users');
    const messages = async () => (await listQueue('/usr/sbin', env)).messages.map((m) => `${m.queueId} ${m.arrival} ${m.size} ${m.sender}`).sort();
    const before = await messages();
    const r = await w.run('purge-queue', ['--subscription', 'acme.example', '--source', join(w.acmeDocroot, 'mail.php'), '--dry-run', '--json'], env);
    assert.equal(r.exit, 0, r.text);
    assert.equal(r.json.matched, 3);
    assert.equal(r.json.removed, 0);
    assert.equal(r.json.queued, MAIL.length);
    assert.match(r.text, /3 of 7 queued message\(s\) come from script .*mail\.php/);
    assert.deepEqual(await messages(), before);
    assert.equal(before.length, MAIL.length);
  });

  it("removes exactly a quarantined script's queued mail, and keeps everyone else's", async (t) => {
    if (!usable) return t.skip('needs a mount namespace');
    const q = await w.run('quarantine', ['--path', join(w.acmeDocroot, 'mail.php'), '--json']);
    assert.equal(q.exit, 0, q.text);
    const r = await w.run('purge-queue', ['--subscription', 'acme.example', '--source', join(w.acmeDocroot, 'mail.php'), '--json'], env);
    assert.equal(r.exit, 0, r.text);
    assert.equal(r.json.removed, 3);
    assert.deepEqual(await subjects(), ['invoice from the office', 'newsletter', 'other customer', 'other customer 2']);
    const audit = readAuditLog(w.stateDir).records.at(-1)!;
    assert.equal(audit.action, 'purge-queue');
    assert.deepEqual(audit.details, { matched: 3, removed: 3 });
  });

  it('refuses a source that is not the subscription’s', async (t) => {
    if (!usable) return t.skip('needs a mount namespace');
    const byUid = await w.run('purge-queue', ['--subscription', 'acme.example', '--uid', String(OTHER.uid)], env);
    assert.equal(byUid.exit, 3);
    assert.match(byUid.text, /not the system user of subscription acme\.example/);
    const bySender = await w.run('purge-queue', ['--subscription', 'acme.example', '--sender', 'other@other.example'], env);
    assert.equal(bySender.exit, 3);
    const byPath = await w.run('purge-queue', ['--subscription', 'acme.example', '--source', join(w.otherDocroot, 'x.php')], env);
    assert.equal(byPath.exit, 3);
    assert.equal((await listQueue('/usr/sbin', env)).messages.length, 4);
  });

  it("removes one sender's mail by envelope sender", async (t) => {
    if (!usable) return t.skip('needs a mount namespace');
    const r = await w.run('purge-queue', ['--subscription', 'acme.example', '--sender', 'info@acme.example', '--json'], env);
    assert.equal(r.exit, 0, r.text);
    assert.equal(r.json.removed, 1);
    assert.deepEqual(await subjects(), ['newsletter', 'other customer', 'other customer 2']);
  });

  it("removes by default what the subscription's system user submitted, and nothing of another subscription", async (t) => {
    if (!usable) return t.skip('needs a mount namespace');
    const r = await w.run('purge-queue', ['--subscription', 'acme.example', '--json'], env);
    assert.equal(r.exit, 0, r.text);
    assert.equal(r.json.removed, 1);
    assert.match(r.json.source, /uid 10001/);
    assert.deepEqual(await subjects(), ['other customer', 'other customer 2']);
  });
});

describe('postqueue -j listing', () => {
  const line = (queue: string, id: string, arrival: number, sender: string) =>
    JSON.stringify({ queue_name: queue, queue_id: id, arrival_time: arrival, message_size: 512, forced_expire: false, sender, recipients: [{ address: 'v@victim.example', delay_reason: 'connect to 127.0.0.1[127.0.0.1]:9: Connection refused' }] });

  it('counts a message that moved from active to deferred during the listing once, in its later folder', () => {
    const out = [
      line('active', 'DB98820C10A', 1795821548, 'a@acme.example'),
      line('active', '02D4C20C109', 1795821549, 'b@acme.example'),
      line('deferred', 'DB98820C10A', 1795821548, 'a@acme.example'),
      line('hold', '4F1E220C10B', 1795821550, 'c@other.example'), '',
    ].join('\n');
    const { messages, skipped } = parsePostqueueJson(out);
    assert.equal(skipped, 0);
    assert.deepEqual(messages.map((m) => `${m.queueId} ${m.queue} ${m.sender}`).sort(), [
      '02D4C20C109 active b@acme.example', '4F1E220C10B hold c@other.example', 'DB98820C10A deferred a@acme.example',
    ]);
    assert.equal(messages.find((m) => m.queueId === 'DB98820C10A')!.arrival, 1795821548_000);
  });

  it('counts and skips lines that are not JSON or not a queue entry, and keeps the rest', () => {
    const out = [line('deferred', 'DB98820C10A', 1795821548, 'a@acme.example'), '{"queue_name":', '{"queue_id":"../x"}', line('hold', '02D4C20C109', 1795821549, '')].join('\n');
    const { messages, skipped } = parsePostqueueJson(out);
    assert.equal(skipped, 2);
    assert.deepEqual(messages.map((m) => m.queueId), ['DB98820C10A', '02D4C20C109']);
  });
});

describe('postcat headers', () => {
  it('reads the first Received uid and X-PHP-Originating-Script of each message, not ones a script forged below', () => {
    const out = [
      '*** ENVELOPE RECORDS deferred/D/DB98820C10A ***', 'sender: a@x.example',
      '*** MESSAGE CONTENTS deferred/D/DB98820C10A ***',
      'Received: by host (Postfix, from userid 10001)', '\tid DB98820C10A; Fri, 27 Nov 2026 23:19:08 +0000 (UTC)',
      'X-PHP-Originating-Script: 10001:mail.php', 'Received: by evil (Postfix, from userid 0)', 'X-PHP-Originating-Script: 0:cron.php',
      '*** HEADER EXTRACTED deferred/D/DB98820C10A ***', 'recipient: v@victim.example',
      '*** MESSAGE FILE END deferred/D/DB98820C10A ***',
      '*** ENVELOPE RECORDS active/0/02D4C20C109 ***',
      '*** MESSAGE CONTENTS active/0/02D4C20C109 ***', 'Subject: no headers of interest',
      '*** MESSAGE FILE END active/0/02D4C20C109 ***', '',
    ].join('\n');
    const h = parsePostcatHeaders(out);
    assert.deepEqual(h.get('DB98820C10A'), { uid: 10001, script: '10001:mail.php', vhost: null });
    assert.deepEqual(h.get('02D4C20C109'), { uid: null, script: null, vhost: null });
  });
});
