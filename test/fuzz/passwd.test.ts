// Property tests of /etc/passwd reading: any text → entries and a count of
// lines that did not parse, never an exception; every line is either an entry,
// skipped as unparsed, or a comment/blank; well-formed entries read back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { check, fc } from './fuzz-config.ts';
import { parsePasswd } from '../../service/sources/passwd.ts';

const entry = fc.record({
  login: fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,31}$/),
  uid: fc.integer({ min: 0, max: 2 ** 32 - 2 }),
  gid: fc.integer({ min: 0, max: 2 ** 32 - 2 }),
  home: fc.stringMatching(/^\/[^:\n]{0,40}$/),
  shell: fc.stringMatching(/^[^:\n]{0,20}$/),
});

describe('fuzz: passwd', () => {
  it('reads any text without an exception, accounting for every line', () => {
    check(fc.property(fc.string({ unit: fc.constantFrom('a', ':', '\n', '0', '9', '#', 'x', ' ', '\0', '-'), maxLength: 200 }), (text) => {
      const { passwd, unparsed } = parsePasswd(text);
      const content = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
      assert.ok(unparsed <= content && passwd.byLogin.size <= content - unparsed);
      for (const e of passwd.byUid.values()) assert.ok(Number.isInteger(e.uid) && e.uid >= 0 && e.login !== '');
    }), 3000);
  });

  it('reads back well-formed entries, the first of a UID or login winning', () => {
    check(fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
      const text = entries.map((e) => `${e.login}:x:${e.uid}:${e.gid}:gecos:${e.home}:${e.shell}`).join('\n');
      const { passwd, unparsed } = parsePasswd(text);
      assert.equal(unparsed, 0);
      for (const e of entries) {
        const first = entries.find((x) => x.uid === e.uid)!;
        assert.deepEqual(passwd.byUid.get(e.uid), { login: first.login, uid: first.uid, gid: first.gid, home: first.home, shell: first.shell });
      }
    }), 500);
  });
});
