// The loop closed for real: the incident's contact-form helper (mail.php) runs
// under php-cli as the subscription's user and sends through a private
// Postfix; sendtrace quarantines it; the next request finds nothing to run
// (the caller gets an error); and verification, from Postfix's own log and
// the audit record, says "0 messages since HH:MM" for that source.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAuditLog } from '../../service/actions/audit-log.ts';
import { createMailFlow } from '../../service/analysis/mail-flow.ts';
import { seriesFromMailFlow, verifyActions } from '../../service/analysis/verify.ts';
import { scanMaillog } from '../../service/sources/maillog-scan.ts';
import { HOUR, MINUTE } from '../../service/time.ts';
import { canUseMountNamespace, runAsUser } from '../fixtures/capture/as-user.ts';
import { freePort } from '../fixtures/capture/free-port.ts';
import { REQUEST_PREPEND, runPhp } from '../fixtures/capture/php-run.ts';
import { createPrivatePostfix, removeDir, type PrivatePostfix } from '../fixtures/capture/private-postfix.ts';
import { waitFor } from '../fixtures/capture/wait-for.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { ACME, makeWorld, ZONE, type World } from './world.ts';

let w: World;
let pf: PrivatePostfix | null = null;
let pfDir = '';
let usable = true;

before(async () => {
  w = await makeWorld();
  if (!(await canUseMountNamespace())) {
    usable = false;
    return;
  }
  pfDir = await mkdtemp(join(tmpdir(), 'sendtrace-verify-'));
  pf = await createPrivatePostfix({
    dir: pfDir, smtpPort: await freePort(), milterSmtpPort: await freePort(), milterLocalPort: await freePort(), sinkPort: await freePort(),
    remoteDomains: ['victim.example'], virtualDomains: [], saslUsers: [], timeZone: ZONE,
  });
  await pf.start();
});
after(async () => {
  await pf?.stop();
  if (pfDir) await removeDir(pfDir);
  await w?.remove();
});

async function pickupsOf(uid: number): Promise<number> {
  const log = await readFile(pf!.maillog, 'utf8').catch(() => '');
  return [...log.matchAll(/postfix\/pickup\[\d+\]: [0-9A-F]+: uid=(\d+) /g)].filter((m) => Number(m[1]) === uid).length;
}

describe('verification after a quarantine', () => {
  it('sees a real PHP mailer stop: the next request fails, and no mail follows the quarantine', async (t) => {
    if (!usable) return t.skip('needs root with a mount namespace (private Postfix, php as another user)');
    const script = join(w.acmeDocroot, 'mail.php');
    await copyFile(join(repoRoot, 'test/fixtures/sites/sk-seikan.jp/httpdocs/mail.php'), script);
    await w.put(script, await readFile(script));
    const prepend = join(w.root, 'request-prepend.php');
    await copyFile(REQUEST_PREPEND, prepend);
    const bot = (n: number) => runPhp({
      uid: ACME.uid, gid: ACME.gid, script, prependFile: prepend, addXHeader: true, timeZone: ZONE, postfixConfigDir: pf!.configDir, passwdFile: w.config.passwdFile,
      request: { method: 'POST', uri: '/mail.php', remoteAddr: `198.51.100.${n}`, userAgent: 'Mozilla/5.0', host: 'acme.example', post: { mailto: `victim${n}@victim.example`, subject: 'Hello', message: 'spam' } },
    });

    for (let n = 1; n <= 4; n++) assert.equal((await bot(n)).code, 0);
    await waitFor(async () => (await pickupsOf(ACME.uid)) === 4, { timeoutMs: 30_000, what: 'four pickups of the site user in the mail log' });

    const q = await w.run('quarantine', ['--path', script, '--reason', 'spam through the contact form', '--json']);
    assert.equal(q.exit, 0, q.text);
    const after = await bot(5);
    assert.notEqual(after.code, 0, 'the request fails: the script is gone');
    assert.match(after.stdout + after.stderr, /Could not open input file/);

    // Verification can only speak once the log covers the first whole minute
    // after the action: wait for it, then let Postfix log something (another
    // sender's message) so the log is known to be alive after it.
    const action = readAuditLog(w.stateDir).records.find((r) => r.action === 'quarantine' && r.result === 'done')!;
    const since = Math.ceil(action.at / MINUTE) * MINUTE;
    await waitFor(() => Date.now() > since + 1000, { timeoutMs: 70_000, what: 'the next minute' });
    const heartbeat = await runAsUser(['/usr/sbin/sendmail', '-f', 'root@host.example', '-t', '-i'], { uid: 0, gid: 0, postfixConfigDir: pf!.configDir, passwdFile: w.config.passwdFile, stdin: 'To: ops@victim.example\nSubject: heartbeat\n\nok\n' });
    assert.equal(heartbeat.code, 0, heartbeat.stderr);
    await waitFor(async () => (await readFile(pf!.maillog, 'utf8')).includes('uid=0 from=<root@host.example>'), { timeoutMs: 30_000, what: 'the heartbeat in the log' });

    const now = Date.now();
    const acc = createMailFlow({ until: now, minuteWindow: { from: now - 2 * HOUR, to: now + MINUTE } });
    const scan = await scanMaillog([pf!.maillog], { zone: ZONE, referenceMs: now, onEvent: (e) => acc.add(e) });
    const flow = acc.finish({ lines: scan.lines, unparsed: scan.unparsed, unparsedExamples: scan.unparsedExamples });
    assert.equal(flow.senders.get(`uid:${ACME.uid}`)?.messages, 4, 'four messages before the quarantine, none after');
    const [v] = verifyActions({ now, zone: ZONE, actions: [action], series: seriesFromMailFlow(flow, { from: now - 2 * HOUR }), dataUntil: flow.lastTs });
    assert.equal(v?.watched, `uid:${ACME.uid}`);
    assert.equal(v?.status, 'stopped', JSON.stringify(v));
    assert.match(v?.text.en ?? '', /^0 messages since \d\d:\d\d$/);
    assert.equal(await pickupsOf(ACME.uid), 4);
  });
});
