// Property tests of the Postfix/Plesk maillog line parser (the one the
// diagnose and senders passes both use): any bytes, with or without a syslog
// header in front, give one of the four line results and never an exception;
// an event's fields stay inside the line and under the field cap (the worker
// codec's budget per event assumes it); the codec hands every event across
// unchanged; and lines rendered from known values read back to those values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { check, fc } from './fuzz-config.ts';
import { DELIVERY_STATUSES, EVENT_KINDS, FIELD_CAP } from '../../service/sources/maillog-event.ts';
import { EventBatchWriter, decodeEvents, TextSlots } from '../../service/sources/maillog-event-codec.ts';
import { LINE, MaillogLineParser, createMaillogEvent, type MaillogEvent } from '../../service/sources/maillog-line.ts';
import { maillogWasm, wasmFailure } from '../../service/sources/maillog-wasm.ts';

const REF = Date.UTC(2022, 1, 10);
const Range = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).refine(([s, e]) => s <= e && e - s <= FIELD_CAP, 'a range within the field cap');
const EventSchema = z.object({
  kind: z.enum(EVENT_KINDS),
  ts: z.number().int().refine(Number.isFinite),
  uid: z.number().int().min(-1),
  nrcpt: z.number().int().min(-1),
  size: z.number().int().min(-1),
  status: z.enum(DELIVERY_STATUSES),
  milter: z.boolean(), commandLevel: z.boolean(), limit: z.boolean(),
  qid: z.string().max(24), origQid: z.string().max(24), queuedAs: z.string().max(24),
  from: z.string(), clientIp: z.string().max(64), sasl: z.string(), name: z.string().max(128), value: z.string(),
});

// Pieces a real line is made of, so random lines get deep into the parser rather than failing at the timestamp.
const header = fc.constantFrom('Feb  3 22:15:01 mail ', '2022-02-03T22:15:01.123456+09:00 mail ', 'Dec 31 23:59:60 h ', '2022-02-03 22:15:01Z h ');
const prog = fc.constantFrom('postfix/smtpd[123]: ', 'postfix/pickup[1]: ', 'postfix-out/qmgr[9]: ', 'psa-pc-remote[77]: ', 'plesk-sendmail[5]: ', 'postfix: ', 'dovecot: ', '');
const word = fc.constantFrom('4A3B2C1D0E: ', '4bZq7x0zJfz9vGd: ', 'NOQUEUE: ', 'reject: ', 'milter-reject: ', 'client=', 'uid=', 'from=<', 'to=<', '>, ', 'size=', ', nrcpt=', ', status=', 'sent', 'deferred', 'expired', 'queued as ', ', sasl_username=', ', orig_queue_id=', 'removed', 'warning: header ', 'Subject: ', '; from=<', ' from ', 'REJECT', ' during call \'', '\' handler', 'limit-out', 'The limit on the number of allowed outgoing messages was exceeded', '[', ']', ':', ' ', '10001', '1.2.3.4', '\x1b[2J', '\x00', '\xff\xfe');
const tail = fc.array(fc.oneof(word, fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b).toString('latin1'))), { maxLength: 24 }).map((a) => a.join(''));
const qidPart = fc.constantFrom('4A3B2C1D0E: ', '4bZq7x0zJfz9vGd: ', 'NOQUEUE: ', '');
const keyword = fc.constantFrom('uid=10001 from=<', 'from=<a@b.jp>, size=', 'from=<', 'to=<x@y.jp>, relay=none, status=sent (250 queued as ', 'client=h[1.2.3.4], sasl_username=',
  'removed', 'reject: RCPT from x: ', 'milter-reject: END-OF-MESSAGE ', 'warning: header Subject: ', 'REJECT during call \'limit-out\' handler', 'PASS during call \'', '');
const structured = fc.tuple(header, prog, qidPart, keyword, tail).map((p) => Buffer.from(p.join(''), 'latin1'));
const anyLine = fc.oneof(structured, fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)));

function parseIn(p: MaillogLineParser, line: Buffer, e: MaillogEvent): number {
  // Inside a bigger buffer with bytes on both sides, as the chunked reader hands lines over.
  const buf = Buffer.concat([Buffer.from('xx\n'), line, Buffer.from('\nyy')]);
  return p.parse(buf, 3, 3 + line.length, e);
}

describe('fuzz: maillog lines', () => {
  it('gives a line result for any bytes, and an event only with sane fields inside the line', () => {
    const p = new MaillogLineParser('Asia/Tokyo');
    p.startFile(REF);
    const e = createMaillogEvent();
    const seen = new Set<string>();
    check(fc.property(anyLine, (line) => {
      const r = parseIn(p, line, e);
      assert.ok(Object.values(LINE).includes(r as 0), `result ${r}`);
      if (r !== LINE.event) return;
      seen.add(e.kind);
      EventSchema.parse({ ...e });
      const end = 3 + line.length;
      for (const [s, x] of [[e.fromS, e.fromE], [e.ipS, e.ipE], [e.saslS, e.saslE], [e.nameS, e.nameE], [e.valueS, e.valueE]] as const) {
        Range.parse([s, x]);
        if (x > s) assert.ok(s >= 3 && x <= end, `range [${s}, ${x}) outside the line [3, ${end})`);
      }
    }), 3000);
    assert.ok(seen.size >= 4, `the generator reaches events of several kinds (got ${[...seen].join(', ')})`);
  });

  it('hands every event through the worker codec unchanged', () => {
    const p = new MaillogLineParser('UTC');
    p.startFile(REF);
    check(fc.property(fc.array(structured, { minLength: 1, maxLength: 40 }), (lines) => {
      const e = createMaillogEvent();
      const writer = new EventBatchWriter(64, 64 * 2048);
      const direct: object[] = [];
      for (const line of lines) {
        if (parseIn(p, line, e) !== LINE.event) continue;
        direct.push({ ...e, buf: undefined, fromS: 0, fromE: 0, ipS: 0, ipE: 0, saslS: 0, saslE: 0, nameS: 0, nameE: 0, valueS: 0, valueE: 0 });
        writer.write(e);
      }
      const decoded: object[] = [];
      decodeEvents(writer.take(), createMaillogEvent(), (d) => decoded.push({ ...d, buf: undefined, fromS: 0, fromE: 0, ipS: 0, ipE: 0, saslS: 0, saslE: 0, nameS: 0, nameE: 0, valueS: 0, valueE: 0 }), new TextSlots());
      assert.deepEqual(decoded, direct);
    }), 500);
  });

  it('reads any line as maillog-line.as (the WebAssembly parser the pass uses) does', () => {
    const w = maillogWasm();
    assert.ok(w, `WebAssembly runs here (${wasmFailure()})`);
    const js = new MaillogLineParser('Asia/Tokyo');
    const wasm = new MaillogLineParser('Asia/Tokyo');
    js.startFile(REF);
    wasm.startFile(REF);
    const a = createMaillogEvent();
    const b = createMaillogEvent();
    const base = w.input.byteOffset;
    // Ranges as offsets from the line's start (an unset range is 0 in both).
    const plain = (e: MaillogEvent, at: number) => {
      const v: Record<string, unknown> = { ...e, buf: undefined };
      for (const k of ['fromS', 'fromE', 'ipS', 'ipE', 'saslS', 'saslE', 'nameS', 'nameE', 'valueS', 'valueE'] as const) v[k] = e[k] === 0 ? 0 : e[k] - at;
      return v;
    };
    check(fc.property(anyLine, (line) => {
      const r = parseIn(js, line, a);
      Buffer.concat([Buffer.from('xx\n'), line, Buffer.from('\nyy')]).copy(w.input, 0);
      assert.equal(w.ex.parse(base + 3, base + 3 + line.length), r);
      if (r !== LINE.event) return;
      wasm.fromWasm(w, b);
      assert.deepEqual(plain(b, base + 3), plain(a, 3));
    }), 3000);
  });

  const address = fc.tuple(fc.stringMatching(/^[a-z0-9._+-]{1,20}$/), fc.stringMatching(/^[a-z0-9-]{1,20}\.[a-z]{2,6}$/)).map(([l, d]) => `${l}@${d}`);
  const qid = fc.stringMatching(/^[0-9A-F]{10,12}$/);

  it('reads back the values a rendered pickup, qmgr and client line carries', () => {
    const p = new MaillogLineParser('UTC');
    p.startFile(REF);
    const e = createMaillogEvent();
    check(fc.property(qid, address, fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 999 }),
      fc.ipV4(), fc.option(address, { nil: undefined }), (q, from, uid, size, nrcpt, ip, sasl) => {
        const h = 'Feb  3 22:15:01 mail ';
        assert.equal(parseIn(p, Buffer.from(`${h}postfix/pickup[1]: ${q}: uid=${uid} from=<${from}>`), e), LINE.event);
        assert.deepEqual([e.kind, e.qid, e.uid, e.from, e.ts], ['pickup', q, uid, from, Date.UTC(2022, 1, 3, 22, 15, 1)]);
        assert.equal(parseIn(p, Buffer.from(`${h}postfix/qmgr[2]: ${q}: from=<${from}>, size=${size}, nrcpt=${nrcpt} (queue active)`), e), LINE.event);
        assert.deepEqual([e.kind, e.qid, e.from, e.size, e.nrcpt], ['queued', q, from, size, nrcpt]);
        const saslPart = sasl ? `, sasl_method=PLAIN, sasl_username=${sasl}` : '';
        assert.equal(parseIn(p, Buffer.from(`${h}postfix/smtpd[3]: ${q}: client=host.example[${ip}]${saslPart}`), e), LINE.event);
        assert.deepEqual([e.kind, e.qid, e.clientIp, e.sasl], ['client', q, ip, sasl ?? '']);
      }), 500);
  });
});
