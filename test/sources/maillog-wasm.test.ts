// The WebAssembly parser (maillog-line.as, read through maillog-wasm.ts) against
// the TypeScript one it was ported from (maillog-line.ts, postfix-message.ts):
// line by line on real and generated Postfix logs and on mutations of their
// lines, and reader by reader (readUnit with each engine) on files cut into
// units and chunks at awkward places, with CRLF, overlong and unfinished lines.
// Any difference in a line's result, an event's field, its instant, a count or
// an example fails.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { LINE, MaillogLineParser, createMaillogEvent, type MaillogEvent } from '../../service/sources/maillog-line.ts';
import { maillogWasm, wasmFailure, WasmEventWriter, type MaillogWasm } from '../../service/sources/maillog-wasm.ts';
import { decodeEvents, EventBatchWriter, TextSlots } from '../../service/sources/maillog-event-codec.ts';
import { copyStats, emptyStats, readUnit, type UnitStats } from '../../service/sources/maillog-unit-read.ts';
import { generateMaillog } from '../bench/maillog-generator.ts';
import { cachedWorld } from '../fixtures/expand/world.ts';
import { Rng } from '../fixtures/expand/prng.ts';
import { repoRoot } from '../helpers/repo-root.ts';

const REF = Date.UTC(2022, 1, 10);

/** A seeded generator with `int(n)`: an integer in [0, n). */
function seeded(seed: string): { int(n: number): number } {
  const r = new Rng(seed);
  return { int: (n) => r.int(0, n - 1) };
}
const REAL = resolve(repoRoot, '../shared/realdata/postfix-lightmeter');

let dir: string;
let w: MaillogWasm;
/** Lines of every log the corpus has: real Postfix logs, the fixture world's (captured Postfix lines), the bench generator's. */
const corpus: Buffer[] = [];

function linesOf(text: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let s = 0;
  for (let nl = text.indexOf(10); nl >= 0; nl = text.indexOf(10, s)) {
    out.push(text.subarray(s, nl));
    s = nl + 1;
  }
  if (s < text.length) out.push(text.subarray(s));
  return out;
}

before(async () => {
  const m = maillogWasm();
  assert.ok(m, `WebAssembly runs here (${wasmFailure()})`);
  w = m;
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-wasm-'));
  const files: string[] = [];
  for (const sub of ['sample', 'individual']) for (const f of readdirSync(join(REAL, sub))) files.push(join(REAL, sub, f));
  const generated = join(dir, 'generated.log');
  await generateMaillog(generated, 2 << 20);
  files.push(generated);
  for (const f of files) for (const line of linesOf(readFileSync(f))) corpus.push(line);
  // The fixture world's logs are large (~280 MB): 3 MB of each (the incident is at the end of mail.log).
  const logs = join((await cachedWorld()).dir, 'var/log');
  const window = 3 << 20;
  for (const f of readdirSync(logs).filter((n) => n.startsWith('mail.log'))) {
    const part = f.endsWith('.gz') ? gunzipSync(readFileSync(join(logs, f))).subarray(0, window) : slice(join(logs, f), window, f === 'mail.log');
    for (const line of linesOf(part).slice(1, -1)) corpus.push(line);     // the first and last may be cut
  }
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `bytes` of the file at `path`: its last ones, or its first. */
function slice(path: string, bytes: number, last: boolean): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(bytes, size);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, last ? size - n : 0);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** An event's values, whatever buffer its ranges point into (the ranges as offsets from the line's start). */
function valuesOf(e: MaillogEvent, lineStart: number): Record<string, unknown> {
  const v: Record<string, unknown> = { ...e, buf: undefined };
  for (const k of ['fromS', 'fromE', 'ipS', 'ipE', 'saslS', 'saslE', 'nameS', 'nameE', 'valueS', 'valueE'] as const) v[k] = e[k] === 0 ? 0 : e[k] - lineStart;
  return v;
}

/** Both parsers over the same lines in order (their year inference moves alike); the first difference fails. */
function compareLines(lines: Buffer[], zone = 'Asia/Tokyo'): { events: number; kinds: Set<string> } {
  const js = new MaillogLineParser(zone);
  const wasm = new MaillogLineParser(zone);
  js.startFile(REF);
  wasm.startFile(REF);
  const a = createMaillogEvent();
  const b = createMaillogEvent();
  const kinds = new Set<string>();
  let events = 0;
  for (const line of lines) {
    if (line.length > 60_000) continue;
    // The same bytes around the line in both buffers, as a reader hands lines over.
    const buf = Buffer.concat([Buffer.from('xx\n'), line, Buffer.from('\nyy')]);
    const r1 = js.parse(buf, 3, 3 + line.length, a);
    buf.copy(w.input, 0);
    const base = w.input.byteOffset;
    const r2 = w.ex.parse(base + 3, base + 3 + line.length);
    const shown = JSON.stringify(line.toString('latin1'));
    assert.equal(r2, r1, `the line's result: ${shown}`);
    if (r1 !== LINE.event) continue;
    wasm.fromWasm(w, b);
    assert.deepEqual(valuesOf(b, base + 3), valuesOf(a, 3), `the event of ${shown}`);
    events++;
    kinds.add(a.kind);
  }
  return { events, kinds };
}

describe('maillog parser on WebAssembly', () => {
  it('reads every line of real, captured and generated Postfix logs as the TypeScript parser does', () => {
    assert.ok(corpus.length > 20_000, `corpus of ${corpus.length} lines`);
    const { events, kinds } = compareLines(corpus);
    assert.ok(events > 10_000, `${events} events compared`);
    for (const k of ['pickup', 'client', 'queued', 'delivery', 'removed', 'reject', 'handler', 'expired']) assert.ok(kinds.has(k), `events of kind ${k} compared`);
  });

  it('reads mutated lines as the TypeScript parser does (bytes changed, cut, doubled)', () => {
    const rng = seeded('mutations');
    const special = [...' :[]<>,=;.+-Z\r\n\'', '0', '9', 'T', 'z'].map((c) => c.charCodeAt(0)).concat([0, 0xff, 0x1b]);
    const pool = corpus.filter((l) => l.length > 20);
    const mutated: Buffer[] = [];
    for (let i = 0; i < 40_000; i++) {
      const line = Buffer.from(pool[rng.int(pool.length)]!);
      const at = rng.int(line.length);
      switch (rng.int(5)) {
        case 0: line[at] = special[rng.int(special.length)]!; mutated.push(line); break;
        case 1: mutated.push(line.subarray(0, at)); break;
        case 2: mutated.push(Buffer.concat([line.subarray(0, at), line.subarray(at + 1 + rng.int(8))])); break;
        case 3: mutated.push(Buffer.concat([line.subarray(0, at), line.subarray(rng.int(line.length))])); break;
        default: mutated.push(Buffer.concat([line.subarray(0, at), Buffer.alloc(1 + rng.int(600), special[rng.int(special.length)]!), line.subarray(at)]));
      }
    }
    const { events } = compareLines(mutated, 'UTC');
    assert.ok(events > 5_000, `${events} events compared`);
  });

  it('reads hand-made edge lines as the TypeScript parser does', () => {
    const lines = [
      '', ' ', 'Feb  3 22:15:01', 'Feb 30 22:15:01 h postfix/qmgr[1]: ABCDE12345: removed', 'Feb  3 24:15:01 h postfix/qmgr[1]: ABCDE12345: removed',
      'Feb  3 22:15:01.123456 h postfix/qmgr[1]: ABCDE12345: removed', 'Feb  3 22:15:01.', 'Feb  3 22:15:01.123',
      '2022-02-03T22:15:01Z h postfix/qmgr[1]: ABCDE12345: removed', '2022-02-03T22:15:01.5+0930 h postfix/qmgr[1]: ABCDE12345: removed',
      '2022-02-03 22:15:01-05:00 h postfix/qmgr[1]: ABCDE12345: removed', '2022-02-03T22:15:01', '2022-02-03T22:15:01+09',
      'Feb  3 22:15:01 h postfix/qmgr[1]: 4bZq7x0zJfz9vGd: removed', 'Feb  3 22:15:01 h postfix/qmgr[1]: 4bZq7x0zJfz9vGdq: removed',
      'Feb  3 22:15:01 h postfix/qmgr[1]: ABCDE123456789ABCDEF01: removed', 'Feb  3 22:15:01 h postfix/qmgr[1]: ABCDE12345: removed ',
      'Feb  3 22:15:01 h postfix/smtpd[1]: ABCDE12345: client=h[1.2.3.4], sasl_method=PLAIN, sasl_username=u@x.jp, orig_queue_id=FFFFF00000',
      'Feb  3 22:15:01 h postfix/smtpd[1]: ABCDE12345: client=h[1.2.3.4], orig_queue_id=4bZq7x0zJfz9vGd, orig_client=x',
      'Feb  3 22:15:01 h postfix/smtpd[1]: ABCDE12345: client=h[]', `Feb  3 22:15:01 h postfix/smtpd[1]: ABCDE12345: client=h[${'1'.repeat(70)}]`,
      'Feb  3 22:15:01 h postfix/pickup[1]: ABCDE12345: uid=99999999999999999 from=<a@b>', 'Feb  3 22:15:01 h postfix/pickup[1]: ABCDE12345: uid= from=<a@b>',
      `Feb  3 22:15:01 h postfix/pickup[1]: ABCDE12345: uid=1 from=<${'a'.repeat(2000)}>`,
      'Feb  3 22:15:01 h postfix/qmgr[1]: ABCDE12345: from=<a@b>, size=1, nrcpt=3 (queue active)', 'Feb  3 22:15:01 h postfix/qmgr[1]: ABCDE12345: from=<a@b>, status=force-expired, returned',
      'Feb  3 22:15:01 h postfix/smtp[1]: ABCDE12345: to=<x@y>, relay=r, status=sent (250 ok queued as ABCD)', 'Feb  3 22:15:01 h postfix/smtp[1]: ABCDE12345: to=<x@y>, relay=r, status=sent (250 queued as 0123456789ABCDEF0123456789)',
      'Feb  3 22:15:01 h postfix/cleanup[1]: ABCDE12345: milter-reject: END-OF-MESSAGE from x: 5.7.0 The limit on the number of allowed outgoing messages was exceeded; from=<a@b> to=<c@d>',
      'Feb  3 22:15:01 h postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: 554 5.7.1 <c@d>: Relay access denied; from=<a@b> to=<c@d>',
      'Feb  3 22:15:01 h postfix/smtpd[1]: NOQUEUE: reject: ', 'Feb  3 22:15:01 h postfix/smtpd[1]: ABCDE12345: reject: AUTH x',
      'Feb  3 22:15:01 h postfix/cleanup[1]: ABCDE12345: warning: header X-PHP-Originating-Script: 10001:mail.php from local; from=<a@b> to=<c@d>',
      'Feb  3 22:15:01 h postfix/cleanup[1]: ABCDE12345: info: header Subject: hi from me from local; from=<a@b>', 'Feb  3 22:15:01 h postfix/cleanup[1]: ABCDE12345: info: header :x',
      "Feb  3 22:15:01 h /usr/lib64/plesk-9.0/psa-pc-remote[1]: REJECT during call 'limit-out' handler", "Feb  3 22:15:01 h psa-pc-remote[1]: DEFER during call 'x' handler",
      "Feb  3 22:15:01 h psa-pc-remote[1]: PASS during call 'x' handler", "Feb  3 22:15:01 h psa-pc-remote[1]: STOP during call '' handler",
      "Feb  3 22:15:01 h psa-pc-remote[1]: STOP during call 'limit-out' handler", "Feb  3 22:15:01 h psa-pc-remote[1]: SKIP during call 'limit-out' handler", "Feb  3 22:15:01 h psa-pc-remote[1]: BOGUS during call 'x' handler",
      'Feb  3 22:15:01 h plesk-sendmail[1]: The limit on the number of allowed outgoing messages was exceeded', "Feb  3 22:15:01 h plesk-sendmail[1]: SKIP during call 'x' handler",
      'Feb  3 22:15:01 h postfix/qmgr[1]', 'Feb  3 22:15:01 h postfix/qmgr[1]:', 'Feb  3 22:15:01 h postfix', 'Feb  3 22:15:01 h postfix-x/y: ABCDE12345: removed',
      'Feb  3 22:15:01 h postfixer[1]: ABCDE12345: removed', 'Feb  3 22:15:01 h psa-pc-remote[1]', 'Feb  3 22:15:01 h dovecot: imap-login: x',
      'Feb  3 22:15:01 h  postfix/qmgr[1]: ABCDE12345: removed', 'Feb  3 22:15:01 h postfix/qmgr[123456789012345678901234]: ABCDE12345: removed',
    ].map((l) => Buffer.from(l, 'utf8'));
    const { events } = compareLines(lines);
    assert.ok(events >= 20, `${events} events compared`);
  });
});

type Read = { stats: UnitStats; error: string | null; events: Array<Record<string, unknown>>; classic: Array<[number, UnitStats]> };

async function readWith(engine: 'js' | 'wasm', path: string, gzip: boolean, units: Array<[number, number]>, o: { chunk: number; maxLine: number; skip?: number; taken?: boolean }): Promise<Read[]> {
  const fd = openSync(path, 'r');
  try {
    const parser = new MaillogLineParser('UTC');
    const event = createMaillogEvent();
    const out: Read[] = [];
    for (const [start, end] of units) {
      parser.startFile(REF);
      const events: Array<Record<string, unknown>> = [];
      const classic: Array<[number, UnitStats]> = [];
      const r = await readUnit({ path, fd, gzip, referenceMs: REF }, { file: 0, start, end }, parser, event, {
        onEvent: (e) => {
          // The reader the engine asked for really reads: the module is taken while the WebAssembly one does
          // (`taken`: the test holds the module itself).
          if (!o.taken) assert.equal(w.inUse, engine === 'wasm');
          events.push({ ...e, buf: undefined, fromS: e.fromE - e.fromS, ipS: e.ipE - e.ipS, saslS: e.saslE - e.saslS, nameS: e.nameE - e.nameS, valueS: e.valueE - e.valueS, fromE: 0, ipE: 0, saslE: 0, nameE: 0, valueE: 0 });
        },
        onFirstClassic: (line, stats) => classic.push([line, stats]),
        stats: emptyStats(), skipLines: o.skip ?? 0, maxExamples: 50, maxLineBytes: o.maxLine, chunkBytes: o.chunk, engine,
      });
      out.push({ stats: r.stats, error: r.error ? r.error.message : null, events, classic });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

describe('maillog reader on WebAssembly', () => {
  let file: string;
  let gz: string;
  let size: number;

  before(async () => {
    // RFC 3339 lines first, classic ones after (onFirstClassic), with CRLF endings, empty lines, lines
    // longer than the limit (alone and spanning chunks), and no newline at the very end.
    const rng = seeded('reader');
    const pool = corpus.filter((l) => l.length > 0 && l.length < 400);
    const parts: string[] = [];
    for (let i = 0; i < 40; i++) parts.push(`2022-02-03T22:15:${String(i % 60).padStart(2, '0')}+09:00 h postfix/qmgr[1]: ABCDE${String(10000 + i)}: removed\n`);
    for (let i = 0; i < 4000; i++) {
      const k = rng.int(100);
      const line = pool[rng.int(pool.length)]!.toString('latin1');
      if (k < 5) parts.push('\n');
      else if (k < 10) parts.push(`${line}\r\n`);
      else if (k < 12) parts.push(`${line} ${'x'.repeat(300 + rng.int(900))}\n`);
      else parts.push(`${line}\n`);
    }
    parts.push('Feb  3 22:15:01 h postfix/qmgr[1]: ABCDE12345: removed');
    const text = Buffer.from(parts.join(''), 'latin1');
    size = text.length;
    file = join(dir, 'reader.log');
    gz = join(dir, 'reader.log.gz');
    await writeFile(file, text);
    await writeFile(gz, gzipSync(text));
  });

  const cases: Array<{ name: string; chunk: number; maxLine: number; skip?: number; cuts?: number }> = [
    { name: 'whole file, 1 MiB chunks', chunk: 1 << 20, maxLine: 1024 },
    { name: 'chunks of 37 bytes (every line spans chunks)', chunk: 37, maxLine: 1024 },
    { name: 'chunks of 4 KiB, units cut mid-line', chunk: 4096, maxLine: 1024, cuts: 5 },
    { name: 'a unit resumed after 700 lines', chunk: 1500, maxLine: 1024, skip: 700 },
    { name: 'a line limit of 200 bytes (many overlong lines)', chunk: 1000, maxLine: 200, cuts: 3 },
  ];
  for (const c of cases) {
    it(`reads as the TypeScript reader does: ${c.name}`, async () => {
      const units: Array<[number, number]> = [];
      const cuts = c.cuts ?? 1;
      for (let i = 0; i < cuts; i++) units.push([Math.floor((size * i) / cuts) + (i > 0 ? 13 : 0), i === cuts - 1 ? -1 : Math.floor((size * (i + 1)) / cuts) + 13]);
      for (const [path, gzip] of [[file, false], [gz, true]] as const) {
        const opts = { chunk: c.chunk, maxLine: c.maxLine, skip: c.skip };
        const js = await readWith('js', path, gzip, gzip ? [[0, -1]] : units, opts);
        const wasm = await readWith('wasm', path, gzip, gzip ? [[0, -1]] : units, opts);
        assert.deepEqual(wasm, js, `${path}`);
        const total = js.reduce((n, r) => n + r.stats.lines, 0);
        assert.ok(total + (c.skip ?? 0) > 3000, `${total} lines read`);
        assert.ok(js.reduce((n, r) => n + r.events.length, 0) > 1000, 'events read');
        if (c.maxLine === 200) assert.ok(js.reduce((n, r) => n + r.stats.overlong, 0) > 50, 'overlong lines met');
        if (!c.skip && !gzip) assert.equal(js[0]!.classic.length, 1, 'the first classic line is reported');
      }
    });
  }

  /** The worker's batches (maillog-worker.ts's use of readUnit): each post's kind, line, counts, clock and decoded events. */
  async function batchesWith(engine: 'js' | 'wasm', path: string, gzip: boolean, o: { chunk: number; busy?: boolean }): Promise<unknown[]> {
    cachedTexts = 0;
    const fd = openSync(path, 'r');
    try {
      const parser = new MaillogLineParser('UTC');
      parser.startFile(REF);
      const event = createMaillogEvent();
      const writer = engine === 'wasm' ? new WasmEventWriter(w, (t) => parser.instant(t), 64, 8192) : new EventBatchWriter(64, 8192);
      const posts: unknown[] = [];
      const stats = emptyStats();
      const slots = new TextSlots();
      const post = (kind: string, line: number, counts: UnitStats) => {
        const events: unknown[] = [];
        decodeEvents(writer.take(), createMaillogEvent(), (e) => {
          // A value's string from the text table is the value its bytes say (then left out: the TypeScript writer has none).
          const headerValue = e.buf.toString('utf8', e.valueS, e.valueE);
          for (const [text, value] of [[e.fromText, e.from], [e.ipText, e.clientIp], [e.saslText, e.sasl], [e.valueText, headerValue]] as const) {
            if (text === null) continue;
            assert.equal(text, value);
            cachedTexts++;
          }
          events.push({ ...valuesOf(e, 0), fromText: null, ipText: null, saslText: null, valueText: null });
        }, slots);
        posts.push({ kind, line, counts, clock: parser.clock.state, events });
      };
      if (o.busy) w.inUse = true;
      try {
        const r = await readUnit({ path, fd, gzip, referenceMs: REF }, { file: 0, start: 0, end: -1 }, parser, event, {
          onEvent: (e) => {
            writer.write(e);
            if (writer.full) post('batch', stats.lines, copyStats(stats));
          },
          onFirstClassic: (line, before) => post('split', line, before),
          stats, maxExamples: 50, maxLineBytes: 1024, chunkBytes: o.chunk, engine,
          batch: writer instanceof WasmEventWriter ? { writer, full: () => post('batch', stats.lines, copyStats(stats)) } : undefined,
        });
        post('done', stats.lines, r.stats);
      } finally {
        if (o.busy) w.inUse = false;
      }
      return posts;
    } finally {
      closeSync(fd);
    }
  }

  let cachedTexts = 0;

  for (const chunk of [1 << 20, 4096, 37]) {
    it(`writes the worker's batches as the TypeScript writer does (chunks of ${chunk} bytes)`, async () => {
      for (const [path, gzip] of [[file, false], [gz, true]] as const) {
        const js = await batchesWith('js', path, gzip, { chunk });
        assert.equal(cachedTexts, 0, 'the TypeScript writer keeps no text table');
        const wasm = await batchesWith('wasm', path, gzip, { chunk });
        // (With 37-byte chunks every line is completed in the carry and comes back to JavaScript: none.)
        if (chunk >= 4096) assert.ok(cachedTexts > 500, `values taken from the text table: ${cachedTexts}`);
        assert.deepEqual(wasm, js, path);
        assert.ok(js.length > 20, `${js.length} batches posted`);
        assert.equal(js.filter((p) => (p as { kind: string }).kind === 'split').length, 1, 'the first classic line is reported once');
      }
    });
  }

  it('writes the same batches when every event comes back to JavaScript (the module taken by another reader)', async () => {
    const js = await batchesWith('js', file, false, { chunk: 4096 });
    const busy = await batchesWith('wasm', file, false, { chunk: 4096, busy: true });
    assert.deepEqual(busy, js);
  });

  it('gives the module to one reader at a time: a second reader in the same thread uses TypeScript', async () => {
    assert.equal(w.inUse, false);
    w.inUse = true;
    try {
      const [r] = await readWith('wasm', file, false, [[0, -1]], { chunk: 4096, maxLine: 1024, taken: true });
      const [js] = await readWith('js', file, false, [[0, -1]], { chunk: 4096, maxLine: 1024, taken: true });
      assert.deepEqual(r, js);
      assert.equal(w.inUse, true, 'the module stays taken by its reader');
    } finally {
      w.inUse = false;
    }
  });
});
