import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expandPaths, orderByRotation, readLines } from '../../service/sources/log-files.ts';
import { runCommand } from '../../service/sources/run-command.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-logfiles-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads files and returns their lines as strings (the test's view; the reader hands out byte ranges). */
async function linesOf(paths: string[], chunkBytes?: number) {
  const lines: string[] = [];
  const overlong: string[] = [];
  const result = await readLines(paths, (buf, s, e) => lines.push(buf.toString('latin1', s, e)), {
    ...(chunkBytes ? { chunkBytes } : {}),
    onOverlong: (_i, head) => overlong.push(head.toString('latin1')),
  });
  return { lines, overlong, ...result };
}

describe('expandPaths', () => {
  it('expands * and ? in any path segment and skips dotfiles like a shell', async () => {
    for (const [domain, file] of [['a.example', 'access_log'], ['b.example', 'access_ssl_log'], ['c.example', 'error_log']]) {
      await mkdir(join(dir, 'system', domain!, 'logs'), { recursive: true });
      await writeFile(join(dir, 'system', domain!, 'logs', file!), 'x\n');
    }
    await writeFile(join(dir, 'system', 'a.example', 'logs', '.access_log.swp'), 'x\n');
    const r = await expandPaths([join(dir, 'system', '*', 'logs', '*access*log*')]);
    assert.deepEqual(r.files, [join(dir, 'system/a.example/logs/access_log'), join(dir, 'system/b.example/logs/access_ssl_log')]);
    assert.deepEqual(r.warnings, []);
    const q = await expandPaths([join(dir, 'system', '?.example', 'logs', 'error_lo?')]);
    assert.deepEqual(q.files, [join(dir, 'system/c.example/logs/error_log')]);
  });

  it('warns about a missing literal path by name, but not about a glob that matches nothing', async () => {
    const missing = join(dir, 'nope', 'mail.log');
    const r = await expandPaths([missing, join(dir, 'nope', 'maillog*')]);
    assert.deepEqual(r.files, []);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /nope\/mail\.log.*ENOENT/);
    assert.deepEqual(r.unmatched, [join(dir, 'nope', 'maillog*')]);
  });

  it('refuses a directory or a FIFO given as a log, and reads a file linked under two names once', async () => {
    await mkdir(join(dir, 'links'));
    await writeFile(join(dir, 'links', 'maillog'), 'x\n');
    await symlink(join(dir, 'links', 'maillog'), join(dir, 'links', 'psa-maillog'));
    const fifo = join(dir, 'links', 'fifo.log');
    assert.equal((await runCommand(['mkfifo', fifo], { timeoutMs: 5000 })).code, 0);
    const r = await expandPaths([join(dir, 'links'), join(dir, 'links', 'maillog'), join(dir, 'links', 'psa-maillog'), fifo]);
    assert.deepEqual(r.files, [join(dir, 'links', 'maillog')]);
    assert.equal(r.warnings.length, 2);
    assert.ok(r.warnings.some((w) => w.includes(`${join(dir, 'links')}: not a regular file`)));
    assert.ok(r.warnings.some((w) => w.includes('fifo.log: not a regular file')));
  });

  it('orders rotated files oldest first, numbered and dateext, .gz or not', async () => {
    assert.deepEqual(
      orderByRotation(['/l/mail.log', '/l/mail.log.1', '/l/mail.log.3.gz', '/l/mail.log.2.gz', '/l/mail.log.10.gz']),
      ['/l/mail.log.10.gz', '/l/mail.log.3.gz', '/l/mail.log.2.gz', '/l/mail.log.1', '/l/mail.log'],
    );
    assert.deepEqual(
      orderByRotation(['/l/maillog', '/l/maillog-20220301', '/l/maillog-20220201.gz']),
      ['/l/maillog-20220201.gz', '/l/maillog-20220301', '/l/maillog'],
    );
    // Families keep the order they were named in.
    assert.deepEqual(orderByRotation(['/b/maillog', '/a/mail.log', '/b/maillog.1']), ['/b/maillog.1', '/b/maillog', '/a/mail.log']);
  });

  it('returns the files of a glob in rotation order', async () => {
    await mkdir(join(dir, 'rot'));
    for (const n of ['mail.log', 'mail.log.1', 'mail.log.2.gz', 'mail.log.3.gz']) await writeFile(join(dir, 'rot', n), '');
    const r = await expandPaths([join(dir, 'rot', 'mail.log*')]);
    assert.deepEqual(r.files.map((f) => f.slice(join(dir, 'rot').length + 1)), ['mail.log.3.gz', 'mail.log.2.gz', 'mail.log.1', 'mail.log']);
  });
});

describe('readLines', () => {
  it('splits on newlines across chunk borders, strips CR, keeps a last line without newline', async () => {
    const text = 'first line\r\nsecond, a bit longer line\n\nfourth\nno newline at the end';
    await writeFile(join(dir, 'plain.log'), text);
    for (const chunk of [3, 7, 1024]) {
      const r = await linesOf([join(dir, 'plain.log')], chunk);
      assert.deepEqual(r.lines, ['first line', 'second, a bit longer line', '', 'fourth', 'no newline at the end'], `chunk ${chunk}`);
      assert.equal(r.files[0]!.complete, true);
    }
  });

  it('reads .gz transparently, including several gzip members', async () => {
    const a = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
    await writeFile(join(dir, 'multi.log.gz'), Buffer.concat([gzipSync(`${a.slice(0, 2500).join('\n')}\n`), gzipSync(`${a.slice(2500).join('\n')}\n`)]));
    const r = await linesOf([join(dir, 'multi.log.gz')]);
    assert.deepEqual(r.lines, a);
    assert.equal(r.files[0]!.gzip, true);
    assert.deepEqual(r.warnings, []);
  });

  it('skips an overlong line without holding it, and reports its head', async () => {
    const long = `HEAD${'y'.repeat(200_000)}`;
    await writeFile(join(dir, 'long.log'), `before\n${long}\nafter\n${'z'.repeat(70_000)}`);
    for (const chunk of [4096, 1024 * 1024]) {
      const r = await linesOf([join(dir, 'long.log')], chunk);
      assert.deepEqual(r.lines, ['before', 'after'], `chunk ${chunk}`);
      assert.equal(r.overlong.length, 2);
      assert.ok(r.overlong[0]!.startsWith('HEAD'));
      assert.ok(r.overlong[0]!.length < 1000);
      assert.equal(r.files[0]!.overlong, 2);
    }
  });

  it('hands out bytes as they are: invalid UTF-8 and NUL survive', async () => {
    const bytes = Buffer.from([0x61, 0xff, 0xfe, 0x00, 0x62, 0x0a, 0x63]);
    await writeFile(join(dir, 'bytes.log'), bytes);
    const got: Buffer[] = [];
    await readLines([join(dir, 'bytes.log')], (buf, s, e) => got.push(Buffer.from(buf.subarray(s, e))));
    assert.deepEqual(got, [bytes.subarray(0, 5), bytes.subarray(6)]);
  });

  it('warns by name about a missing, a binary, a truncated .gz and a fake .gz file, and reads the rest', async () => {
    const full = gzipSync(Array.from({ length: 20_000 }, (_, i) => `gz line ${i}`).join('\n'));
    await writeFile(join(dir, 'cut.log.gz'), full.subarray(0, Math.floor(full.length / 2)));
    await writeFile(join(dir, 'fake.log.gz'), 'plain text\n');
    await writeFile(join(dir, 'image.log'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) % 9)));
    await writeFile(join(dir, 'good.log'), 'good\n');
    const paths = ['missing.log', 'cut.log.gz', 'fake.log.gz', 'image.log', 'good.log'].map((n) => join(dir, n));
    const r = await linesOf(paths);
    assert.equal(r.warnings.length, 4);
    for (const name of ['missing.log', 'cut.log.gz', 'fake.log.gz', 'image.log']) {
      assert.ok(r.warnings.some((w) => w.includes(join(dir, name))), `a warning names ${name}: ${r.warnings.join(' | ')}`);
    }
    assert.match(r.warnings.find((w) => w.includes('cut.log.gz'))!, /truncated or corrupt after \d+ lines/);
    const cut = r.files[1]!;
    assert.ok(cut.lines > 1000 && cut.lines < 20_000, `read the part before the cut (${cut.lines} lines)`);
    assert.equal(cut.complete, false);
    assert.equal(r.lines.at(-1), 'good');
    assert.equal(r.readable, 2);        // the truncated .gz in part, good.log in full
  });

  it('does not hang on a FIFO handed to it directly', async () => {
    const fifo = join(dir, 'direct.fifo');
    assert.equal((await runCommand(['mkfifo', fifo], { timeoutMs: 5000 })).code, 0);
    const r = await linesOf([fifo]);
    assert.deepEqual(r.lines, []);
    assert.match(r.warnings[0]!, /direct\.fifo: not a regular file/);
    assert.equal(r.readable, 0);
  });
});
