// The maillog pass on two threads must give exactly what one thread gives:
// the whole mail flow (every sender, every count, the order of the maps) and
// the line counts, over real Postfix logs, the fixture world's logs (rotated,
// .gz) and lines built to fall on the borders of the units of work. Units are
// made tiny here so that every kind of line meets a border.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createMailFlow } from '../../service/analysis/mail-flow.ts';
import { storeFlow } from '../../service/analysis/mail-flow-codec.ts';
import { inflateThroughStream } from '../../service/sources/gunzip.ts';
import { readLines } from '../../service/sources/log-files.ts';
import { expandMaillog, scanMaillogFiles, type MaillogScanOptions } from '../../service/sources/maillog-scan.ts';
import { decodeEvents, EventBatchWriter, type EventBatch, TextSlots } from '../../service/sources/maillog-event-codec.ts';
import { createMaillogEvent, MaillogLineParser, type MaillogEvent } from '../../service/sources/maillog-line.ts';
import { maillogWasm } from '../../service/sources/maillog-wasm.ts';
import { LINE } from '../../service/sources/maillog-event.ts';
import { closeGzipCursors, readUnit } from '../../service/sources/maillog-unit-read.ts';
import { planUnits } from '../../service/sources/maillog-units.ts';
import { nextWorkerUnit } from '../../service/sources/maillog-worker.ts';
import { cachedWorld } from '../fixtures/expand/world.ts';
import { repoRoot } from '../helpers/repo-root.ts';

const REAL = resolve(repoRoot, '../shared/realdata/postfix-lightmeter');
const BUNDLE = pathToFileURL(resolve(repoRoot, 'dist/sendtrace.mjs'));

type Tuning = NonNullable<MaillogScanOptions['tuning']>;

/** The pass as the commands see it: the stored form of the flow holds every number and every map in order. */
async function pass(patterns: string[], threads: 1 | 2, tuning: Tuning = {}, zone = 'UTC', referenceMs = Date.UTC(2023, 0, 15), watch?: (e: MaillogEvent) => void) {
  const acc = createMailFlow({ minuteWindow: { from: 0, to: referenceMs } });
  const onEvent = watch ? (e: MaillogEvent) => (watch(e), acc.add(e)) : acc.add;
  const scan = await scanMaillogFiles(await expandMaillog(patterns), { zone, referenceMs, onEvent, threads, tuning });
  const flow = acc.finish(scan);
  return { flow: JSON.stringify(storeFlow(flow)), messages: flow.messages, lines: scan.lines, unparsed: scan.unparsed, examples: scan.unparsedExamples, files: scan.files, warnings: scan.warnings, worker: scan.worker };
}

/**
 * One thread, then two: the main thread leaving every other unit to the
 * worker (borders between the threads' units everywhere), then all of them
 * (the worker reads each file from a later unit on, the main thread only checks).
 */
async function assertSame(patterns: string[], tuning: Tuning, zone?: string, referenceMs?: number, opts: { balanced?: boolean } = {}) {
  const one = await pass(patterns, 1, tuning, zone, referenceMs);
  assert.equal(one.worker, null);
  const { worker: _a, ...a } = one;
  for (const leave of [(i: number) => i % 2 === 1, () => true]) {
    const two = await pass(patterns, 2, { parallelMinBytes: 0, leaveToWorker: leave, ...tuning }, zone, referenceMs);
    assert.ok(two.worker && two.worker.units > 0, `the worker parsed part of it (${JSON.stringify(two.worker)})`);
    assert.equal(two.worker.failure, null);
    const { worker: _b, ...b } = two;
    assert.deepEqual(b, a);
  }
  if (opts.balanced) {
    // As in production: the threads share the units as their speed goes (nextWorkerUnit).
    const two = await pass(patterns, 2, { parallelMinBytes: 0, ...tuning }, zone, referenceMs);
    assert.ok(two.worker, 'a worker was started');
    assert.equal(two.worker.failure, null);
    const { worker: _b, ...b } = two;
    assert.deepEqual(b, a);
  }
  return one;
}

/**
 * The fixture world's rotated maillog (`mail.log.2.gz`, `mail.log.1`), each cut to its first `bytes`
 * at a line end, written to `<name>.2.gz` and `<name>.1` in the test folder.
 */
async function worldHead(name: string, bytes: number) {
  const world = await cachedWorld();
  const logs = join(world.dir, 'var/log');
  const head = (b: Buffer) => b.subarray(0, b.lastIndexOf(0x0a, bytes) + 1);
  await writeFile(join(dir, `${name}.2.gz`), gzipSync(head(gunzipSync(await readFile(join(logs, 'mail.log.2.gz'))))));
  await writeFile(join(dir, `${name}.1`), head(await readFile(join(logs, 'mail.log.1'))));
  return world;
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-parallel-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('maillog pass on two threads', () => {
  it('counts the real Postfix logs exactly as one thread, with units cut every few KB', async () => {
    const files = (await readdir(join(REAL, 'individual'))).filter((f) => f.endsWith('.log')).map((f) => join(REAL, 'individual', f));
    const one = await assertSame([join(REAL, 'sample/mail.log*'), ...files], { unitBytes: 4096 }, undefined, undefined, { balanced: true });
    assert.ok(one.messages > 100, `${one.messages} messages`);
  });

  it('counts the same on TypeScript alone (no WebAssembly: parser, reader and the worker\'s writer) as on WebAssembly', async () => {
    const patterns = [join(REAL, 'sample/mail.log.1'), join(REAL, 'sample/mail.log')];
    // Every other unit left to the worker: both threads parse, and the worker's batches carry half the log.
    const tuning = { parallelMinBytes: 0, unitBytes: 8192, leaveToWorker: (i: number) => i % 2 === 1 };
    // Which engines ran: the main thread's module is taken while its WebAssembly reader reads; the
    // worker's events come with table strings (fromText) only from its WebAssembly writer.
    const seen = { mainWasm: false, workerWasm: false };
    const watch = (e: MaillogEvent) => {
      seen.mainWasm ||= maillogWasm()?.inUse === true;
      seen.workerWasm ||= e.fromText !== null;
    };
    const wasm = await pass(patterns, 2, tuning, undefined, undefined, watch);
    assert.deepEqual(seen, { mainWasm: true, workerWasm: true });
    seen.mainWasm = seen.workerWasm = false;
    const js = await pass(patterns, 2, { ...tuning, engine: 'js' }, undefined, undefined, watch);
    assert.deepEqual(seen, { mainWasm: false, workerWasm: false });
    assert.ok(wasm.worker && js.worker && js.worker.units > 0, 'both with a worker that parsed units');
    assert.deepEqual({ ...js, worker: null }, { ...wasm, worker: null });
    assert.ok(wasm.messages > 100, `${wasm.messages} messages`);
  });

  it('counts the fixture world (rotated logs, a .gz) exactly as one thread', async () => {
    // The world's logs are 280 MB; their first 12 MB each keep every kind of line and the rotation
    // (.gz, then plain) at a twentieth of the time, three passes over them being the test.
    const world = await worldHead('mail.log', 12 << 20);
    const one = await assertSame([join(dir, 'mail.log.2.gz'), join(dir, 'mail.log.1')], { unitBytes: 1 << 20 }, 'Asia/Tokyo', Date.parse(world.now), { balanced: true });
    assert.ok(one.messages > 10_000);
  });

  it('gives lines on unit borders to exactly one unit: CRLF, an overlong line, no final newline, unparsed lines', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const qid = (0x1000000 + i).toString(16).toUpperCase();
      lines.push(`Feb  3 10:${String(i % 60).padStart(2, '0')}:00 h postfix/pickup[1]: ${qid}: uid=${10000 + (i % 7)} from=<www@s${i % 5}.jp>${i % 3 ? '' : '\r'}`);
      if (i % 50 === 0) lines.push(`Feb  3 10:00:00 h postfix/qmgr[2]: ${qid}: from=<x${'y'.repeat(70_000)}>, size=1, nrcpt=1 (queue active)`);
      if (i % 37 === 0) lines.push(`Feb  3 10:00:00 h postfix/qmgr[2]: ${qid}: from=<broken`);
      lines.push(`Feb  3 10:00:01 h postfix/qmgr[2]: ${qid}: removed`);
    }
    await writeFile(join(dir, 'borders.log'), lines.join('\n'));
    // The same text gzipped: its units are ranges of the inflated text, and a 70 KB line spans many.
    await writeFile(join(dir, 'borders.log.gz'), gzipSync(lines.join('\n')));
    for (const name of ['borders.log', 'borders.log.gz']) {
      for (const unitBytes of [1000, 4093, 65_536]) {
        const one = await assertSame([join(dir, name)], { unitBytes });
        assert.equal(one.lines, lines.length);
        assert.equal(one.messages, 3000);
        assert.equal(one.unparsed, 60 + 82);
      }
    }
  });

  it('reads a year change inside a file the same way when a unit starts after it, or on a late line before it', async () => {
    // Envelope senders that change every ten lines: a value first met in a unit whose reading is discarded
    // is met again in the next (the text table must follow the discarded batches too: maillog-event-codec.ts).
    const at = (stamp: string, n: number) => `${stamp} h postfix/pickup[1]: ${(0xa00000 + n).toString(16).toUpperCase()}: uid=10001 from=<a${Math.floor(n / 10)}@b.jp>`;
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) lines.push(at(i < 2000 ? 'Dec 31 23:59:59' : 'Jan  1 00:00:00', i));
    // Late lines from the old year after the first January line: a worker starting on one would guess wrong.
    for (let i = 0; i < 4000; i++) lines.push(at(i % 2 ? 'Dec 31 23:59:59' : 'Jan  1 00:00:01', 4000 + i));
    await writeFile(join(dir, 'newyear.log'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'newyear.log.gz'), gzipSync(`${lines.join('\n')}\n`));
    for (const name of ['newyear.log', 'newyear.log.gz']) {
      for (const unitBytes of [3000, 20_000]) await assertSame([join(dir, name)], { unitBytes }, 'UTC', Date.UTC(2023, 0, 2));
    }
  });

  it('reads .gz members and plain files mixed in rotation order', async () => {
    const text = (from: number) => Array.from({ length: 2000 }, (_, i) => `Feb  3 10:00:00 h postfix/pickup[1]: ${(from + i).toString(16).toUpperCase()}: uid=1 from=<a@b.jp>`).join('\n');
    await writeFile(join(dir, 'rot.log.2.gz'), Buffer.concat([gzipSync(`${text(0x100000)}\n`), gzipSync(text(0x200000))]));
    await writeFile(join(dir, 'rot.log.1'), text(0x300000));
    await writeFile(join(dir, 'rot.log'), text(0x400000));
    const one = await assertSame([join(dir, 'rot.log*')], { unitBytes: 8192 });
    assert.equal(one.messages, 8000);
  });

  it('stops a cut .gz where one thread does, and counts its lines for the warning over all its units', async () => {
    const text = Array.from({ length: 30_000 }, (_, i) => `Feb  3 10:00:00 h postfix/pickup[1]: ${(0x500000 + i).toString(16).toUpperCase()}: uid=1 from=<a@b.jp>`).join('\n');
    const full = gzipSync(`${text}\n`);
    await writeFile(join(dir, 'cut.log.1.gz'), full.subarray(0, Math.floor(full.length * 0.6)));
    await writeFile(join(dir, 'cut.log'), text.split('\n').slice(0, 100).join('\n'));
    const one = await assertSame([join(dir, 'cut.log*')], { unitBytes: 50_000 }, undefined, undefined, { balanced: true });
    // The file as one sequential reader sees it: every line before the cut, in the warning's count too.
    const whole = { lines: 0 };
    const r = await readLines([join(dir, 'cut.log.1.gz')], () => whole.lines++);
    assert.ok(whole.lines > 10_000 && whole.lines < 30_000, `${whole.lines} lines before the cut`);
    assert.equal(one.files[0]!.lines, whole.lines);
    assert.equal(one.files[0]!.complete, false);
    assert.deepEqual(one.warnings, r.warnings);
    assert.match(one.warnings[0]!, new RegExp(`truncated or corrupt after ${whole.lines} lines`));
    assert.equal(one.lines, whole.lines + 100);
  });

  it('reads a .gz unit the same after a later one (the inflater starts again from the file\'s start)', async () => {
    const text = Array.from({ length: 3000 }, (_, i) => `Feb  3 10:00:00 h postfix/pickup[1]: ${(0x600000 + i).toString(16).toUpperCase()}: uid=${i} from=<a@b.jp>`).join('\n');
    await writeFile(join(dir, 'back.log.gz'), gzipSync(text));
    const plan = await planUnits([join(dir, 'back.log.gz')], 20_000, Date.UTC(2023, 0, 15));
    try {
      assert.ok(plan.units.length >= 5, `${plan.units.length} units`);
      const uidsOf = async (i: number) => {
        const uids: number[] = [];
        const parser = new MaillogLineParser('UTC');
        parser.startFile(Date.UTC(2023, 0, 15));
        const r = await readUnit(plan.files[0]!, plan.units[i]!, parser, createMaillogEvent(), { onEvent: (e) => uids.push(e.uid), maxExamples: 0, maxLineBytes: 65_536, chunkBytes: 4096 });
        assert.equal(r.error, null);
        return uids;
      };
      const forward: number[][] = [];
      for (let i = 0; i < plan.units.length; i++) forward.push(await uidsOf(i));
      assert.deepEqual(forward.flat(), Array.from({ length: 3000 }, (_, i) => i));
      for (const i of [3, 1, 4, 0, 2]) assert.deepEqual(await uidsOf(i), forward[i], `unit ${i} read after a later one`);
    } finally {
      closeGzipCursors();
      await plan.close();
    }
  });

  it('reads .gz files the same through node:zlib\'s stream (a Node without the direct inflater): each one unit', async () => {
    const world = await worldHead('stream.log', 4 << 20);
    const patterns = [join(dir, 'stream.log*')];
    const tuning = { unitBytes: 1 << 20 };
    const direct = await pass(patterns, 1, tuning, 'Asia/Tokyo', Date.parse(world.now));
    inflateThroughStream(true);
    try {
      const plan = await planUnits([join(dir, 'stream.log.2.gz')], 1 << 20, Date.parse(world.now));
      await plan.close();
      assert.deepEqual(plan.units, [{ file: 0, start: 0, end: -1 }]);
      const streamed = await pass(patterns, 1, tuning, 'Asia/Tokyo', Date.parse(world.now));
      assert.deepEqual(streamed, direct);
    } finally {
      inflateThroughStream(false);
    }
    assert.ok(direct.messages > 1000);
  });

  it('does not believe a .gz trailer that claims more than deflate can expand to', async () => {
    const text = Array.from({ length: 30_000 }, (_, i) => `Feb  3 10:00:00 h postfix/pickup[1]: ${(0x700000 + i).toString(16).toUpperCase()}: uid=1 from=<a@b.jp>`).join('\n');
    const gz = gzipSync(`${text}\n`);
    gz.writeUInt32LE(0xffffffff, gz.length - 4);     // ISIZE: "4 GiB"
    await writeFile(join(dir, 'forged.log.gz'), gz);
    const plan = await planUnits([join(dir, 'forged.log.gz')], 65_536, Date.UTC(2023, 0, 15));
    await plan.close();
    assert.ok(plan.units.length <= Math.ceil((gz.length * 1032) / 65_536), `${plan.units.length} units for ${gz.length} bytes`);
    // zlib checks the length at the end of the member: the text before the last inflate call is read
    // (that call's output, at most 256 KiB, is dropped with the error, as node:zlib's stream does).
    const one = await assertSame([join(dir, 'forged.log.gz')], { unitBytes: 65_536 });
    assert.ok(one.lines >= 30_000 - (256 * 1024) / 80 && one.lines < 30_000, `${one.lines} lines`);
    assert.match(one.warnings[0]!, new RegExp(`forged\\.log\\.gz: gzip data truncated or corrupt after ${one.lines} lines \\(incorrect length check\\)`));
  });

  it('leaves the main thread the next unit only when the worker has only just reached it', () => {
    // The worker ahead of the main thread (at 3, the worker free for 6): it takes 6.
    assert.equal(nextWorkerUnit(6, 3, 10, true), 6);
    assert.equal(nextWorkerUnit(5, 3, 10, true), 5);
    // Just in time (the main thread at 4, about to need 5): 5 is left to the main thread.
    assert.equal(nextWorkerUnit(5, 4, 10, true), 6);
    // Behind: it goes on from the unit the main thread is at (which that thread has usually claimed).
    assert.equal(nextWorkerUnit(2, 4, 10, true), 4);
    assert.equal(nextWorkerUnit(2, 3, 10, true), 3);
    // The last unit is taken, not left; without balance, nothing is left.
    assert.equal(nextWorkerUnit(9, 8, 10, true), 9);
    assert.equal(nextWorkerUnit(5, 4, 10, false), 5);
  });

  it('hands events over in shared memory: a posted batch is neither copied nor detached, there or back', () => {
    // A transferred (detached) ArrayBuffer would make V8 check every typed array access of that thread from then on,
    // the parser's included (maillog-event-codec.ts): the hand-over must not detach, in either direction.
    const p = new MaillogLineParser('UTC');
    p.startFile(Date.UTC(2023, 0, 15));
    const e = createMaillogEvent();
    const line = Buffer.from('Feb  3 22:15:01 mail postfix/pickup[1]: 4F1E220C10B: uid=10007 from=<www@site7.example.jp>');
    assert.equal(p.parse(line, 0, line.length, e), LINE.event);
    const writer = new EventBatchWriter(4, 4096);
    writer.write(e);
    const batch = writer.take();
    assert.ok(batch.nums.buffer instanceof SharedArrayBuffer && batch.bytes.buffer instanceof SharedArrayBuffer);
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage(batch);
      const there = receiveMessageOnPort(port2)!.message as EventBatch;
      port2.postMessage(there);
      const back = receiveMessageOnPort(port1)!.message as EventBatch;
      assert.equal(batch.nums.byteLength, 4 * 8 * 8, 'the writer\'s arrays are still whole');
      assert.equal(there.bytes.byteLength, 4096);
      there.nums[0] = 12345;
      assert.equal(batch.nums[0], 12345, 'the same memory, not a copy');
      assert.equal(back.nums[0], 12345);
      const decoded: Array<[string, number, string]> = [];
      decodeEvents(back, createMaillogEvent(), (d) => decoded.push([d.kind, d.uid, d.buf.toString('latin1', d.fromS, d.fromE)]), new TextSlots());
      assert.equal(decoded.length, 1);
    } finally {
      port1.close();
    }
  });

  it('runs its worker from the single-file bundle without starting the CLI in it', async () => {
    const files = (await readdir(join(REAL, 'individual'))).filter((f) => f.endsWith('.log')).map((f) => join(REAL, 'individual', f));
    await assertSame([join(REAL, 'sample/mail.log*'), ...files], { unitBytes: 8192, workerEntry: BUNDLE });
  });
});
