import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCommand } from '../../service/sources/run-command.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { createSendersEnv, maillogArgs, row, runSendersCli, type Report, type SendersEnv } from './senders-run.ts';

const INDIVIDUAL = resolve(repoRoot, '../shared/realdata/postfix-lightmeter/individual');

let env: SendersEnv;
before(async () => {
  env = await createSendersEnv();
});
after(async () => {
  await env.cleanup();
});

/** A few Plesk-style lines of one script message at `time` (classic timestamp). */
const scriptLines = (qid: string, when: string, uid = 10001) => [
  `${when} host postfix/pickup[1]: ${qid}: uid=${uid} from=<www@example.jp>`,
  `${when} host postfix/qmgr[2]: ${qid}: from=<www@example.jp>, size=900, nrcpt=1 (queue active)`,
  `${when} host postfix/smtp[3]: ${qid}: to=<r@example.com>, relay=mx[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)`,
  `${when} host postfix/qmgr[2]: ${qid}: removed`,
];

describe('senders over damaged input', () => {
  it('reports unparsed lines with examples, reads what it can, and names what it could not read (exit 1)', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => scriptLines((0x100000 + i).toString(16).toUpperCase(), 'Jan 10 08:00:00')).flat().join('\n');
    const gz = gzipSync(`${many}\n`);
    await writeFile(join(env.dir, 'dmg.log.2.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    const bad = [
      'garbled line without any header',
      '\0\0\0\0\0\0\0\0',
      Buffer.from([0xff, 0xfe, 0x41, 0xc3]).toString('latin1'),
      `Jan 11 08:00:00 host postfix/smtp[3]: ${'A'.repeat(1024 * 1024)}`,
      'Jan 11 08:00:01 host postfix/qmgr[2]: ABCDEF1234: from=<broken',
    ];
    await writeFile(join(env.dir, 'dmg.log.1'), Buffer.from([...scriptLines('AAAAA11111', 'Jan 11 07:00:00'), ...bad, ...scriptLines('AAAAA22222', 'Jan 11 09:00:00')].join('\n'), 'latin1'));
    await writeFile(join(env.dir, 'dmg.log'), `${scriptLines('BBBBB11111', 'Jan 12 07:00:00', 10002).join('\n')}\n`);
    const missing = join(env.dir, 'gone', 'maillog');
    const { code, report, stderr } = await runSendersCli(env, maillogArgs([join(env.dir, 'dmg.log*'), missing]));
    assert.equal(code, 1);
    assert.equal(report.warnings.length, 2, report.warnings.join(' | '));
    assert.ok(report.warnings.some((w) => w.includes(join(env.dir, 'dmg.log.2.gz')) && /truncated/.test(w)));
    assert.ok(report.warnings.some((w) => w.includes(missing)));
    assert.equal(report.unparsed, bad.length);
    assert.equal(report.unparsedExamples.length, 5);
    assert.ok(report.unparsedExamples.some((e) => e.includes('longer than 64 KiB')));
    assert.ok(report.unparsedExamples.some((e) => e.includes('\\x00')), 'NUL bytes shown escaped');
    assert.match(stderr, /5 of \d+ lines looked like Postfix but did not parse/);
    assert.ok(stderr.includes(missing));
    const uid = row(report, 'uid', '10001');
    assert.ok(uid.messages > 2 && uid.messages < 3002, `read the part of the .gz before the cut (${uid.messages})`);
    assert.equal(uid.login, 'example');
    assert.equal(row(report, 'uid', '10002').messages, 1);
  });

  it('exits 4 when nothing at all can be read, still naming each input', async () => {
    const a = join(env.dir, 'none-a.log');
    const b = join(env.dir, 'none-b.log');
    const { code, report } = await runSendersCli(env, maillogArgs([a, b]));
    assert.equal(code, 4);
    assert.ok(report.warnings.some((w) => w.includes(a)) && report.warnings.some((w) => w.includes(b)));
    assert.deepEqual(report.senders, []);
    const glob = await runSendersCli(env, ['--maillog', join(env.dir, 'nothing-here*')]);
    assert.equal(glob.code, 4);
    assert.match(glob.report.warnings[0]!, /no mail log found/);
  });

  it('refuses a malformed --since or --until with a usage error', async () => {
    for (const args of [['--since', 'yesterday'], ['--until', '2022-13-01'], ['--since', '2022-02-03', '--until', '2022-02-01']]) {
      const { code, report } = await runSendersCli(env, ['--maillog', join(INDIVIDUAL, '26_two_recipients.log'), ...args]);
      assert.equal(code, 2, args.join(' '));
      assert.equal((report as unknown as { error: { code: string } }).error.code, 'SENDTRACE_ERR_USAGE');
    }
  });
});

describe('senders text output', () => {
  it('shows sender IDs from the log with control characters escaped, so a log cannot drive the terminal', async () => {
    const log = join(env.dir, 'esc.log');
    await writeFile(log, [
      'Feb  3 10:00:00 h postfix/smtpd[1]: 1234567890: client=c[192.0.2.7], sasl_method=PLAIN, sasl_username=evil\x1b[2J\x1b]0;owned\x07@x.jp',
      'Feb  3 10:00:00 h postfix/qmgr[2]: 1234567890: from=<a@x.jp>, size=1, nrcpt=1 (queue active)',
    ].join('\n'));
    const { code, stdout } = await runSendersCli(env, ['--maillog', log], false);
    assert.equal(code, 0);
    assert.ok(!stdout.includes('\x1b') && !stdout.includes('\x07'), 'no raw control characters');
    assert.match(stdout, /evil\\x1b\[2J\\x1b\]0;owned\\x07@x\.jp/);
    assert.match(stdout, /^Mail log: 1 of 1 files, 2 lines \(0 unparsed\), 1 messages/m);
  });
});

describe('senders over rotated files', () => {
  it('reads rotated files oldest first across New Year, .gz included, and cuts by --since/--until', async () => {
    const rot = await mkdtemp(join(env.dir, 'rot-'));
    const files: Array<[string, string[], string]> = [
      ['mail.log.2.gz', [...scriptLines('1000000001', 'Dec 30 10:00:00'), ...scriptLines('1000000002', 'Dec 31 23:59:59')], '2023-01-01T00:00:00Z'],
      ['mail.log.1', [...scriptLines('1000000003', 'Dec 31 23:59:59'), ...scriptLines('1000000004', 'Jan  1 00:00:01')], '2023-01-02T00:00:00Z'],
      ['mail.log', [...scriptLines('1000000005', 'Jan  2 12:00:00')], '2023-01-03T00:00:00Z'],
    ];
    for (const [name, lines, mtime] of files) {
      const text = `${lines.join('\n')}\n`;
      await writeFile(join(rot, name), name.endsWith('.gz') ? gzipSync(text) : text);
      await utimes(join(rot, name), new Date(mtime), new Date(mtime));
    }
    const all = await runSendersCli(env, ['--maillog', join(rot, 'mail.log*')]);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(all.report.files.map((f) => f.path.slice(rot.length + 1)), ['mail.log.2.gz', 'mail.log.1', 'mail.log']);
    assert.equal(all.report.first, '2022-12-30T10:00:00+00:00');
    assert.equal(all.report.last, '2023-01-02T12:00:00+00:00');
    assert.equal(row(all.report, 'uid', '10001').messages, 5);
    const cut = await runSendersCli(env, ['--maillog', join(rot, 'mail.log*'), '--since', '2022-12-31T00:00:00Z', '--until', '2023-01-01T00:00:00Z']);
    assert.equal(row(cut.report, 'uid', '10001').messages, 2);
  });
});

describe('senders through the built CLI', () => {
  const dist = join(repoRoot, 'dist/sendtrace.mjs');
  it('prints the table and exits 0, or 4 with nothing readable', { skip: !existsSync(dist) && 'dist/sendtrace.mjs not built (npm run build)' }, async () => {
    const ok = await runCommand(['node', dist, 'senders', '--config', env.config, '--maillog', join(INDIVIDUAL, '26_two_recipients.log')], { timeoutMs: 30_000 });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /sasl\s+sender@internal\.org\s+1\s+2\s+2\s/);
    const none = await runCommand(['node', dist, 'senders', '--config', env.config, '--maillog', join(env.dir, 'absent.log'), '--json'], { timeoutMs: 30_000 });
    assert.equal(none.code, 4);
    assert.ok((JSON.parse(none.stdout) as Report).warnings[0]!.includes('absent.log'));
  });
});
