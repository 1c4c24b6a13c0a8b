// The cache entry's bytes (service/sources/state-cache.ts): written a chunk at
// a time, an entry is still exactly the header `{"key","sha256"}` line and the
// text's UTF-8 — whatever characters straddle a chunk's edge, whether the text
// comes whole or in parts — and reads back as the text.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCacheDir, writeCacheEntry } from '../../service/sources/state-cache.ts';
import { readCacheText } from '../helpers/cache-text.ts';

const CHUNK = 1 << 20;   // state-cache.ts's chunk: the edges below are placed around its multiples

let dir = '';
let cacheDir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-state-cache-'));
  const cache = await openCacheDir(join(dir, 'state'));
  assert.ok(cache.dir, 'reason' in cache ? cache.reason : '');
  cacheDir = cache.dir;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The entry as the one-buffer writer laid it out: header line (key, sha256 of the body), then the body. */
function expectedBytes(key: string, text: string): Buffer {
  const body = Buffer.from(text);
  return Buffer.concat([Buffer.from(`${JSON.stringify({ key, sha256: createHash('sha256').update(body).digest('hex') })}\n`), body]);
}

const keyOf = (name: string) => createHash('sha256').update(name).digest('hex');

async function stored(key: string): Promise<Buffer> {
  const names = (await readdir(cacheDir)).filter((n) => n.startsWith(key));
  assert.deepEqual(names, [`${key}.json`], 'one entry file, no temp file left');
  return readFile(join(cacheDir, names[0]!));
}

describe('cache entry bytes', () => {
  it('are the header and the UTF-8 of the text, with 2-, 3- and 4-byte characters across every chunk edge', async () => {
    // The first character of `wide` begins 0..3 bytes before a chunk's end, so its bytes (and a
    // surrogate pair's halves) fall on both sides; after it, more text of mixed widths, over 2 chunks.
    const wide = ['é', '日', '😀'];
    for (const c of wide) {
      for (let before = 0; before < 4; before++) {
        const text = `${'x'.repeat(CHUNK - before)}${c}${'aé日😀'.repeat(120_000)}${c}`;
        const key = keyOf(`${c}${before}`);
        await writeCacheEntry(cacheDir, key, text);
        assert.ok((await stored(key)).equals(expectedBytes(key, text)), `${c} starting ${before} bytes before the edge`);
        assert.deepEqual(await readCacheText(cacheDir, key), { text });
      }
    }
  });

  it('are the same whether the text comes whole or in parts of any size, empty ones included', async () => {
    const parts = ['{"head":1}', '\n', '', 'é'.repeat(CHUNK), '\n', '😀'.repeat(CHUNK / 2 + 3), 'tail'];
    const key = keyOf('parts');
    await writeCacheEntry(cacheDir, key, parts);
    assert.ok((await stored(key)).equals(expectedBytes(key, parts.join(''))));
    assert.deepEqual(await readCacheText(cacheDir, key), { text: parts.join('') });
  });

  it('encode a lone surrogate as the replacement character, as Buffer.from did, and store an empty text', async () => {
    const key = keyOf('lone');
    const text = `a\ud800b${'x'.repeat(CHUNK - 2)}\udc00`;
    await writeCacheEntry(cacheDir, key, text);
    assert.ok((await stored(key)).equals(expectedBytes(key, text)));
    const empty = keyOf('empty');
    await writeCacheEntry(cacheDir, empty, []);
    assert.ok((await stored(empty)).equals(expectedBytes(empty, '')));
    assert.deepEqual(await readCacheText(cacheDir, empty), { text: '' });
  });
});
