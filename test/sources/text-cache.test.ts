import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TextCache } from '../../service/sources/text-cache.ts';

describe('TextCache', () => {
  it('gives the decoded text of the bytes, the same string again for the same bytes anywhere', () => {
    const cache = new TextCache();
    const a = Buffer.from('xx www@easytone.example yy');
    const b = Buffer.from('www@easytone.example');
    const first = cache.utf8(a, 3, 23);
    assert.equal(first, 'www@easytone.example');
    assert.equal(cache.utf8(b, 0, b.length), first);
    assert.equal(cache.utf8(a, 3, 22), 'www@easytone.exampl');
    assert.equal(cache.utf8(a, 3, 3), '');
  });

  it('keeps UTF-8 and Latin-1 readings of the same bytes apart', () => {
    const cache = new TextCache();
    const bytes = Buffer.from('müller@example.de', 'utf8');
    assert.equal(cache.utf8(bytes, 0, bytes.length), 'müller@example.de');
    assert.equal(cache.latin1(bytes, 0, bytes.length), bytes.toString('latin1'));
    assert.equal(cache.utf8(bytes, 0, bytes.length), 'müller@example.de');
    const bad = Buffer.from([0x61, 0xff, 0x62]);
    assert.equal(cache.utf8(bad, 0, 3), 'a\ufffdb');
    assert.equal(cache.latin1(bad, 0, 3), 'a\u00ffb');
  });

  it('stays right when thousands of values share its slots, and decodes long values without caching them', () => {
    const cache = new TextCache();
    const values = Array.from({ length: 100_000 }, (_, i) => `user${i}@site${i % 977}.example.jp`);
    for (let round = 0; round < 2; round++) {
      for (const v of values) {
        const b = Buffer.from(`<${v}>`);
        assert.equal(cache.utf8(b, 1, b.length - 1), v);
      }
    }
    for (const n of [61, 62, 63, 64, 300]) {
      const v = 'a'.repeat(n - 12) + '@example.org';
      const b = Buffer.from(v);
      assert.equal(cache.utf8(b, 0, b.length), v);
      assert.equal(cache.latin1(b, 0, b.length), v);
    }
  });
});
