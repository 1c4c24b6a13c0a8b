import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCommand } from '../../service/sources/run-command.ts';
import { parseOriginatingScript, parsePhpMailLogLine, readPhpMailLogs } from '../../service/sources/php-maillog.ts';

// Real PHP writes the mail.log lines and the X-PHP-Originating-Script header;
// a fake sendmail keeps each message PHP hands over.
let dir = '';
let outDir = '';
let mailLog = '';
const OWNER_UID = 10_001;

async function php(script: string, zone: string, args: string[] = []): Promise<void> {
  const r = await runCommand(['php', '-n', '-d', `mail.log=${mailLog}`, '-d', 'mail.add_x_header=1', '-d', `date.timezone=${zone}`,
    '-d', `sendmail_path=${join(dir, 'fake-sendmail.sh')}`, script, ...args], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
}

function lineOf(source: string, needle: string): number {
  return source.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

async function sentMessages(): Promise<string[]> {
  const names = (await readdir(outDir)).sort();
  return Promise.all(names.map((n) => readFile(join(outDir, n), 'utf8')));
}

const FORM = `<?php
// contact form helper left on the server
$to = $argv[1];
$headers = "From: web@example.jp\\r\\nReply-To: " . $argv[2];
mail($to, "Inquiry", "hello", $headers);
`;
const LIB = `<?php
function send_notice($to) {
  return mail($to, "Notice", "body");
}
`;
const ENTRY = `<?php
require __DIR__ . '/lib/notice.php';
send_notice('a@example.org, b@example.org');
eval('mail("c@example.org", "from eval", "x");');
`;

describe('PHP mail.log', () => {
  let before1 = 0;
  let after1 = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sendtrace-phpmail-'));
    outDir = join(dir, 'out');
    mailLog = join(dir, 'mail.log');
    await mkdir(join(dir, 'httpdocs', 'lib'), { recursive: true });
    await mkdir(outDir);
    await writeFile(join(dir, 'fake-sendmail.sh'), `#!/bin/sh\ncat > "${outDir}/msg.$(date +%s%N).$$"\n`);
    await chmod(join(dir, 'fake-sendmail.sh'), 0o755);
    await writeFile(join(dir, 'httpdocs', 'mail.php'), FORM);
    await writeFile(join(dir, 'httpdocs', 'lib', 'notice.php'), LIB);
    await writeFile(join(dir, 'httpdocs', 'index.php'), ENTRY);
    // php_getuid() is the owner of the main script: make it a subscription user.
    await chown(join(dir, 'httpdocs', 'mail.php'), OWNER_UID, OWNER_UID);
    before1 = Math.floor(Date.now() / 1000) * 1000;
    await php(join(dir, 'httpdocs', 'mail.php'), 'Asia/Tokyo', ['victim@example.net', 'spam@example.com']);
    await php(join(dir, 'httpdocs', 'index.php'), 'Europe/Berlin');
    after1 = Date.now();
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the script path, line, recipient and time of a real mail() call', async () => {
    const first = (await readFile(mailLog, 'utf8')).split('\n')[0]!;
    const r = parsePhpMailLogLine(first, 'UTC');
    assert.ok(r, first);
    assert.equal(r.path, join(dir, 'httpdocs', 'mail.php'));
    assert.equal(r.line, lineOf(FORM, 'mail($to'));
    assert.equal(r.to, 'victim@example.net');
    assert.equal(r.subject, 'Inquiry');
    assert.match(r.headers, /Reply-To: spam@example\.com/);
    assert.equal(r.dynamicCode, null);
    assert.ok(r.ts !== null && r.ts >= before1 && r.ts <= after1, `ts ${r.ts} not within the run`);
  });

  it('agrees with the X-PHP-Originating-Script header PHP added to the same message', async () => {
    const msgs = await sentMessages();
    const header = msgs[0]!.split('\n').find((l) => l.startsWith('X-PHP-Originating-Script:'))!;
    const origin = parseOriginatingScript(header.slice('X-PHP-Originating-Script:'.length));
    assert.deepEqual(origin, { uid: OWNER_UID, file: 'mail.php' });
    // A library function: the header names the library file, mail.log its full path.
    const lib = msgs.find((m) => m.includes('Subject: Notice'))!;
    assert.match(lib, /X-PHP-Originating-Script: 0:notice\.php/);
  });

  it('names the real file and the eval line for mail() called from eval()d code', async () => {
    const lines = (await readFile(mailLog, 'utf8')).trim().split('\n');
    const r = lines.map((l) => parsePhpMailLogLine(l, 'UTC')).find((x) => x?.subject === 'from eval');
    assert.ok(r);
    assert.equal(r.path, join(dir, 'httpdocs', 'index.php'));
    assert.deepEqual(r.dynamicCode, { kind: "eval()'d code", line: lineOf(ENTRY, 'eval(') });
  });

  it('summarizes per script across a rotated .gz and the live file, counting garbled lines', async () => {
    const text = await readFile(mailLog, 'utf8');
    const rotated = join(dir, 'mail.log.1.gz');
    await writeFile(rotated, gzipSync(text));
    const live = join(dir, 'mail.log.live');
    await writeFile(live, `${text}garbage that is not a mail() line\n\n`);
    const sum = await readPhpMailLogs([rotated, live, join(dir, 'missing.log')], { timezone: 'UTC' });
    const form = sum.scripts.get(join(dir, 'httpdocs', 'mail.php'))!;
    assert.equal(form.count, 2);
    assert.deepEqual([...form.lines], [lineOf(FORM, 'mail($to')]);
    assert.deepEqual(form.recipients, ['victim@example.net']);
    const lib = sum.scripts.get(join(dir, 'httpdocs', 'lib', 'notice.php'))!;
    assert.equal(lib.recipientTotal, 4);
    assert.deepEqual(lib.recipients, ['a@example.org', 'b@example.org']);
    assert.equal(sum.scripts.get(join(dir, 'httpdocs', 'index.php'))!.dynamicCode, 2);
    assert.equal(sum.unparsed, 1);
    assert.equal(sum.records, 6);
    assert.ok(sum.warnings.some((w) => w.includes('missing.log') && w.includes('ENOENT')));
    const hours = [...form.hourly.values()].reduce((a, b) => a + b, 0);
    assert.equal(hours, 2);
  });

  it('ignores records after `until`', async () => {
    const sum = await readPhpMailLogs([mailLog], { timezone: 'UTC', until: before1 - 1000 });
    assert.equal(sum.records, 0);
    assert.equal(sum.outsideWindow, 3);
  });

  it('reads the zone name of the prefix, and falls back to the configured zone for an unknown one', () => {
    const body = 'mail() on [/var/www/vhosts/a.jp/httpdocs/m.php:7]: To: x@y -- Headers:  -- Subject: s';
    assert.equal(parsePhpMailLogLine(`[03-Dec-2024 18:34:44 UTC] ${body}`, 'Asia/Tokyo')!.ts, Date.parse('2024-12-03T18:34:44Z'));
    assert.equal(parsePhpMailLogLine(`[03-Jul-2024 18:34:44 Europe/Berlin] ${body}`, 'UTC')!.ts, Date.parse('2024-07-03T18:34:44+02:00'));
    assert.equal(parsePhpMailLogLine(`[03-Jul-2024 18:34:44 CEST] ${body}`, 'UTC')!.ts, Date.parse('2024-07-03T18:34:44+02:00'));
    const notes = { unknownZones: new Map<string, number>() };
    assert.equal(parsePhpMailLogLine(`[03-Dec-2024 18:34:44 XYZT] ${body}`, 'Asia/Tokyo', notes)!.ts, Date.parse('2024-12-03T18:34:44+09:00'));
    assert.equal(notes.unknownZones.get('XYZT'), 1);
    assert.equal(parsePhpMailLogLine(body, 'UTC')!.ts, null);
  });

  it('keeps forged separators and headers from moving the script path', () => {
    const line = '[03-Dec-2024 18:34:44 UTC] mail() on [/home/a/m.php:3]: To: x@y -- Subject: fake -- Headers: X-PHP-Originating-Script: 0:/etc/passwd  From: a -- Subject: real';
    const r = parsePhpMailLogLine(line, 'UTC')!;
    assert.equal(r.path, '/home/a/m.php');
    assert.equal(r.line, 3);
    assert.equal(r.originatingScript, undefined);
    assert.equal(parseOriginatingScript('10001:../../etc/passwd'), null);
    assert.equal(parseOriginatingScript('x:mail.php'), null);
    assert.deepEqual(parseOriginatingScript(' 10001:mail.php\r'), { uid: 10001, file: 'mail.php' });
  });

  it('rejects lines that only look like mail() records', () => {
    for (const bad of ['', 'mail() on [/a.php]: To: x', 'mail() on [/a.php:x]: To: y', '[99-Foo-2024 18:34:44 UTC] mail() on [/a.php:1]: To: y', 'mail() on [:1]: To: y']) {
      assert.equal(parsePhpMailLogLine(bad, 'UTC'), null, bad);
    }
  });
});
