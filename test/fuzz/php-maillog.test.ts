// Property tests of PHP's mail.log reader: any text or bytes → a record that
// validates against PhpMailRecordSchema, or null — never an exception; the
// summary counts every line exactly once (record, unparsed or empty) and
// shows unparsed examples without control characters; a line rendered the way
// php-src's mail.c writes it reads back to the same path, line and fields.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { check, fc } from './fuzz-config.ts';
import { PhpMailRecordSchema, addPhpMailLogLine, createPhpMailLogSummary, parseOriginatingScript, parsePhpMailLogLine } from '../../service/sources/php-maillog.ts';

const piece = fc.constantFrom('[03-Dec-2024 18:34:44 UTC] ', '[03-Dec-2024 18:34:44 Asia/Tokyo] ', '[31-Feb-2024 25:61:61 Mars/Olympus] ', 'mail() on [', ']: To: ', ' -- Headers: ', ' -- Subject: ',
  '/var/www/vhosts/a.jp/httpdocs/x.php', ':12', '(3) : eval()\'d code', 'X-PHP-Originating-Script: 10001:mail.php', '  ', '\x1b]0;owned\x07', '\x00', '<script>alert(1)</script>', ':', '(', ')');
const junk = fc.array(fc.oneof(piece, fc.string({ maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 20 }).map((a) => a.join(''));
// Mostly the shape of a record with hostile pieces inside, so the parser gets past its first checks.
const shaped = fc.tuple(fc.constantFrom('', '[03-Dec-2024 18:34:44 UTC] ', '[03-Dec-2024 18:34:44 Bogus/Zone] ', 'Feb 3 host php: '), junk, fc.constantFrom(':1', ':123456789', ':x', ''), fc.constantFrom(']: To: ', ']:To: '), junk)
  .map(([pre, where, line, sep, rest]) => `${pre}mail() on [${where}${line}${sep}${rest}`);
const text = fc.oneof(shaped, junk);

describe('fuzz: PHP mail.log', () => {
  it('parses any line to a record that fits its schema, or to null', () => {
    let records = 0;
    check(fc.property(fc.oneof(text, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b))), fc.constantFrom('UTC', 'Asia/Tokyo'), (line, zone) => {
      const r = parsePhpMailLogLine(line, zone, { unknownZones: new Map() });
      if (r === null) return;
      records++;
      PhpMailRecordSchema.parse(r);
    }), 3000);
    assert.ok(records > 50, `the generator reaches records (${records})`);
  });

  it('counts every line once and shows unparsed examples without control characters', () => {
    check(fc.property(fc.array(fc.oneof(text, fc.constant('')), { maxLength: 30 }), (lines) => {
      const sum = createPhpMailLogSummary();
      let parsed = 0;
      for (const l of lines) if (addPhpMailLogLine(sum, Buffer.from(l), { timezone: 'UTC' })) parsed++;
      const empty = lines.filter((l) => Buffer.byteLength(l) === 0).length;
      assert.equal(sum.lines, lines.length);
      assert.equal(parsed + sum.unparsed + empty, lines.length);
      for (const ex of sum.unparsedExamples) assert.doesNotMatch(ex, /[\x00-\x1f\x7f]/);
    }), 500);
  });

  const path = fc.array(fc.stringMatching(/^[A-Za-z0-9._ -]{1,12}$/), { minLength: 1, maxLength: 6 }).map((s) => `/var/www/vhosts/${s.join('/')}.php`);
  const field = fc.string({ maxLength: 60 }).filter((s) => !s.includes(' -- ') && !/[\r\n]/.test(s));

  it('reads back the path, line and fields of a line as mail.c writes it', () => {
    check(fc.property(path, fc.integer({ min: 0, max: 999_999_999 }), field, field, field, fc.boolean(), (p, line, to, headers, subject, dated) => {
      const prefix = dated ? '[03-Dec-2024 18:34:44 UTC] ' : '';
      const r = parsePhpMailLogLine(`${prefix}mail() on [${p}:${line}]: To: ${to} -- Headers: ${headers} -- Subject: ${subject}`, 'Asia/Tokyo');
      assert.ok(r, 'a record');
      assert.deepEqual([r.path, r.line, r.to, r.headers, r.subject, r.dynamicCode], [p, line, to, headers, subject, null]);
      assert.equal(r.ts, dated ? Date.UTC(2024, 11, 3, 18, 34, 44) : null);
    }), 500);
  });

  it('reads the X-PHP-Originating-Script header back, and only in its own shape', () => {
    check(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/), (uid, file) => {
      assert.deepEqual(parseOriginatingScript(`${uid}:${file}`), { uid, file });
    }), 500);
    check(fc.property(fc.string({ maxLength: 400 }), (s) => {
      const r = parseOriginatingScript(s);
      if (r) assert.ok(!r.file.includes('/') && r.uid <= 0xffffffff && r.file.length <= 255);
    }), 1000);
  });
});
