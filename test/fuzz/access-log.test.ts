// Property tests of the access-log reader (Apache/nginx combined format, as
// Plesk writes it): any line → a record that validates against
// AccessRecordSchema, or null; no control character survives into any text
// field (a crafted user agent cannot drive a terminal or smuggle a newline);
// escapes decode; a line rendered from known values reads back to them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { check, fc } from './fuzz-config.ts';
import { AccessRecordSchema, parseAccessLogLine, unescapeLogField } from '../../service/sources/access-log.ts';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const hostile = fc.constantFrom('\\x1b[31m', '\x1b]0;t\x07', '\\"', '\\\\', '\\n', '\\xff\\xfe', '%00', '%0a', '%2e%2e/', '../', '//', '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '\u202e', '\x00', ' ', '"', '[', ']');
const junk = fc.array(fc.oneof(hostile, fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 12 }).map((a) => a.join(''));
// Mostly text without quotes, so the fields line up often enough to reach the decoding of each.
const part = fc.oneof({ arbitrary: fc.array(fc.oneof(hostile, fc.string({ maxLength: 8 })), { maxLength: 6 }).map((a) => a.join('').replace(/"/g, '')), weight: 4 }, { arbitrary: junk, weight: 1 });
const shaped = fc.tuple(fc.constantFrom('203.0.113.7', '::1', 'x'), part, fc.constantFrom('[03/Feb/2022:22:15:01 +0900] "', '[31/Foo/2022:99:15:01 +0900] "', '['),
  part, fc.constantFrom('" 200 123 "', '" 404 - "', '" 2000 1 "', '"'), part, fc.constantFrom('" "', '"'), part, fc.constantFrom('"', ''))
  .map((p) => `${p[0]} - ${p[1]} ${p[2]}${p[3]}${p[4]}${p[5]}${p[6]}${p[7]}${p[8]}`);

describe('fuzz: access logs', () => {
  it('parses any line to a record that fits its schema and holds no control characters, or to null', () => {
    let records = 0;
    check(fc.property(fc.oneof(shaped, junk, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b))), (line) => {
      const r = parseAccessLogLine(line, 'a.example');
      if (r === null) return;
      records++;
      AccessRecordSchema.parse(r);
      for (const [k, v] of Object.entries(r)) if (typeof v === 'string') assert.doesNotMatch(v, CONTROL, `${k}: ${JSON.stringify(v)}`);
    }), 3000);
    assert.ok(records > 100, `the generator reaches records (${records})`);
  });

  it('decodes log escapes to text without control characters, whatever the bytes', () => {
    check(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (raw) => {
      assert.doesNotMatch(unescapeLogField(raw), CONTROL);
    }), 2000);
  });

  const seg = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
  it('reads back the values of a rendered combined line', () => {
    check(fc.property(fc.ipV4(), fc.constantFrom('GET', 'POST', 'HEAD'), fc.array(seg, { minLength: 1, maxLength: 5 }), fc.option(fc.stringMatching(/^[a-z0-9=&]{1,30}$/), { nil: null }),
      fc.integer({ min: 100, max: 599 }), fc.integer({ min: 0, max: 1e9 }), fc.stringMatching(/^[ -!#-[\]-~]{1,100}$/), (ip, method, segs, query, status, bytes, ua) => {
        const path = `/${segs.join('/')}`;
        const line = `${ip} - - [03/Feb/2022:22:15:01 +0900] "${method} ${path}${query === null ? '' : `?${query}`} HTTP/1.1" ${status} ${bytes} "-" "${ua}"`;
        const r = parseAccessLogLine(line, null);
        assert.ok(r, line);
        assert.deepEqual([r.ip, r.method, r.path, r.query, r.status, r.bytes, r.userAgent, r.ts], [ip, method, path, query, status, bytes, ua === '-' ? null : ua, Date.UTC(2022, 1, 3, 13, 15, 1)]);
      }), 500);
  });
});
