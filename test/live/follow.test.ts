import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, copyFile, mkdir, mkdtemp, rename, rm, truncate, unlink, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LogFollower } from '../../service/live/follow.ts';
import { openCheckpointStore } from '../../service/live/cursor-store.ts';
import { LiveCounters } from '../../service/live/counters.ts';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'sendtrace-follow-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes numbered lines; the test checks each number arrives exactly once. */
function lines(from: number, to: number): string {
  let s = '';
  for (let i = from; i <= to; i++) s += `Feb  3 22:15:01 host postfix/pickup[1]: line ${i} ${'x'.repeat(i % 50)}\n`;
  return s;
}

class Seen {
  readonly counts = new Map<number, number>();
  sink = (buf: Buffer, s: number, e: number) => {
    const m = / line (\d+) /.exec(buf.toString('latin1', s, e));
    assert.ok(m, `unexpected line ${buf.toString('latin1', s, e)}`);
    const n = Number(m[1]);
    this.counts.set(n, (this.counts.get(n) ?? 0) + 1);
  };
  assertExactly(from: number, to: number) {
    const missing: number[] = [];
    const twice: number[] = [];
    for (let i = from; i <= to; i++) {
      const c = this.counts.get(i) ?? 0;
      if (c === 0) missing.push(i);
      if (c > 1) twice.push(i);
    }
    const extra = [...this.counts.keys()].filter((n) => n < from || n > to);
    assert.deepEqual({ missing, twice, extra }, { missing: [], twice: [], extra: [] });
    assert.equal([...this.counts.values()].reduce((a, b) => a + b, 0), to - from + 1);
  }
}

async function fresh(name: string) {
  const dir = await mkdtemp(join(root, `${name}-`));
  return { dir, log: join(dir, 'mail.log'), patterns: [join(dir, 'mail.log*')] };
}

describe('LogFollower', () => {
  it('starts at the end of existing files on its very first poll, then reads what is appended', async () => {
    const { log, patterns } = await fresh('start');
    await writeFile(log, lines(1, 50));
    const seen = new Seen();
    const f = new LogFollower({ patterns, startAtEnd: true }, null);
    const r0 = await f.poll(seen.sink);
    assert.equal(r0.lines, 0);
    await appendFile(log, lines(51, 80));
    const r1 = await f.poll(seen.sink);
    assert.equal(r1.lines, 30);
    seen.assertExactly(51, 80);
  });

  it('holds a partial last line until its newline arrives', async () => {
    const { log, patterns } = await fresh('partial');
    const f = new LogFollower({ patterns, startAtEnd: false }, null);
    const seen = new Seen();
    const text = lines(1, 10) + lines(11, 11);
    await writeFile(log, text.slice(0, -20));
    assert.equal((await f.poll(seen.sink)).lines, 10);
    await appendFile(log, text.slice(-20));
    assert.equal((await f.poll(seen.sink)).lines, 1);
    seen.assertExactly(1, 11);
  });

  it('rename + new file: finishes the renamed file from its cursor, reads the new one from 0', async () => {
    const { log, patterns } = await fresh('rename');
    const f = new LogFollower({ patterns, startAtEnd: false }, null);
    const seen = new Seen();
    await writeFile(log, lines(1, 1000));
    await f.poll(seen.sink);
    await appendFile(log, lines(1001, 1200));        // written after our poll, before the rotation
    await rename(log, `${log}.1`);
    await writeFile(log, lines(1201, 1500));
    const r = await f.poll(seen.sink);
    assert.ok(r.events.some((e) => e.startsWith('rotated:')), r.events.join('; '));
    await appendFile(`${log}.1`, lines(1501, 1510));  // a late write to the old inode (syslog before its HUP)
    await appendFile(log, lines(1511, 1600));
    await f.poll(seen.sink);
    seen.assertExactly(1, 1600);
  });

  it('copytruncate: reads the lines between its last poll and the copy from the copy, and the truncated file from 0', async () => {
    const { log, patterns } = await fresh('copytruncate');
    const f = new LogFollower({ patterns, startAtEnd: false }, null);
    const seen = new Seen();
    await writeFile(log, lines(1, 700));
    await f.poll(seen.sink);
    await appendFile(log, lines(701, 900));
    await copyFile(log, `${log}.1`);
    await truncate(log, 0);
    await appendFile(log, lines(901, 950));
    const r = await f.poll(seen.sink);
    assert.ok(r.events.some((e) => e.startsWith('truncated:')), r.events.join('; '));
    assert.ok(r.events.some((e) => e.startsWith('copy:')), r.events.join('; '));
    seen.assertExactly(1, 950);
  });

  it('copytruncate seen half-way (a poll between the copy and the truncation) counts nothing twice', async () => {
    const { log, patterns } = await fresh('copytruncate-halfway');
    const f = new LogFollower({ patterns, startAtEnd: false }, null);
    const seen = new Seen();
    await writeFile(log, lines(1, 300));
    await f.poll(seen.sink);
    await appendFile(log, lines(301, 400));
    await copyFile(log, `${log}.1`);
    await f.poll(seen.sink);                           // reads 301..400 from the live file; the copy starts at its end
    await truncate(log, 0);
    await appendFile(log, lines(401, 420));
    await f.poll(seen.sink);
    seen.assertExactly(1, 420);
  });

  it('does not follow a FIFO or a directory under a log\'s name (named: a warning; matched by a pattern: silently), no hang; the real log is still read', async () => {
    const { log, patterns } = await fresh('fifo');
    const fifo = `${log}.fifo`;
    const made = spawnSync('mkfifo', [fifo]);
    assert.equal(made.status, 0, String(made.stderr));
    await mkdir(`${log}.d`);
    await writeFile(log, lines(1, 20));
    const f = new LogFollower({ patterns: [...patterns, fifo], startAtEnd: false }, null);
    const seen = new Seen();
    const r = await f.poll(seen.sink);
    assert.deepEqual(r.warnings, [`${fifo}: not a regular file, skipped`]);
    assert.equal(r.files, 1);
    assert.deepEqual(f.state().cursors.map((c) => c.path), [log]);
    seen.assertExactly(1, 20);
  });

  it('never reads .gz rotations, whether present at start or appearing later', async () => {
    const { log, patterns } = await fresh('gz');
    await writeFile(`${log}.3.gz`, gzipSync(lines(9001, 9100)));
    const f = new LogFollower({ patterns, startAtEnd: false }, null);
    const seen = new Seen();
    await writeFile(log, lines(1, 100));
    let r = await f.poll(seen.sink);
    assert.equal(r.gzSkipped, 1);
    await rename(log, `${log}.1`);
    await writeFile(log, lines(101, 150));
    await f.poll(seen.sink);
    // logrotate's next run: .1 compressed to .2.gz, the live file renamed to .1.
    await writeFile(`${log}.2.gz`, gzipSync(await readFile(`${log}.1`)));
    await unlink(`${log}.1`);
    await rename(log, `${log}.1`);
    await writeFile(log, lines(151, 160));
    r = await f.poll(seen.sink);
    assert.equal(r.gzSkipped, 2);
    seen.assertExactly(1, 160);
  });

  it('resumes after a restart mid-file from the saved checkpoint, partial line included, without repeats or gaps', async () => {
    const { dir, log, patterns } = await fresh('restart');
    const stateDir = join(dir, 'state');
    const seen = new Seen();
    const text = lines(1, 2000);
    const cut = text.length - 777;                      // inside a line
    await writeFile(log, text.slice(0, cut));
    const store = openCheckpointStore(stateDir, 0);
    let f = new LogFollower({ patterns, startAtEnd: true }, store.loaded?.follow.maillog ?? null);
    await f.poll(seen.sink);                            // first start: at the end
    await appendFile(log, text.slice(cut) + lines(2001, 2500).slice(0, 1234));
    await f.poll(seen.sink);
    await store.save(1, { maillog: f.state() }, new LiveCounters());
    // The process is gone; lines keep arriving, and the log rotates while it is down.
    await appendFile(log, lines(2001, 2500).slice(1234));
    await rename(log, `${log}.1`);
    await writeFile(log, lines(2501, 2600));
    const saved = openCheckpointStore(stateDir, 0);
    assert.deepEqual(saved.warnings, []);
    f = new LogFollower({ patterns, startAtEnd: true }, saved.loaded!.follow.maillog!);
    await f.poll(seen.sink);
    // The first start began after the last complete line: the line cut in half is the first one read.
    const first = Number(/ line (\d+) /.exec(text.slice(text.slice(0, cut).lastIndexOf('\n') + 1))![1]);
    seen.assertExactly(first, 2600);
  });

  it('skips a line longer than the limit, counts it, and goes on', async () => {
    const { log, patterns } = await fresh('overlong');
    const f = new LogFollower({ patterns, startAtEnd: false, maxLineBytes: 1024, chunkBytes: 4096 }, null);
    const seen = new Seen();
    await writeFile(log, lines(1, 5) + 'y'.repeat(10_000) + '\n' + lines(6, 10));
    const r = await f.poll(seen.sink);
    assert.equal(r.overlong, 1);
    seen.assertExactly(1, 10);
  });

  it('an unusable checkpoint is set aside with a warning naming it', async () => {
    const { dir } = await fresh('bad-checkpoint');
    const stateDir = join(dir, 'state');
    openCheckpointStore(stateDir, 0);
    await writeFile(join(stateDir, 'live', 'checkpoint.json'), '{"v":1,');
    const r = openCheckpointStore(stateDir, 42);
    assert.equal(r.loaded, null);
    assert.match(r.warnings[0]!, /checkpoint\.json is unusable .*unusable-42/);
  });
});
