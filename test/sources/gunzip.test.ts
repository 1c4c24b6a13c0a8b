// Inflating on the reading thread (gunzip.ts) must give what node:zlib's
// stream gives: the same bytes for every way a .gz file can be laid out, the
// same error where it cannot be read. Files made by gzip(1) (what logrotate
// runs) and by zlib.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { open, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { directInflater, gunzipDirect, gunzipStreamed, readGzip } from '../../service/sources/gunzip.ts';
import { FileSkipped } from '../../service/sources/log-file-open.ts';
import { runCommand } from '../../service/sources/run-command.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-gunzip-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Outcome = { bytes: Buffer; pushes: number; error: { skipped: boolean; code: unknown; message: string } | null };

async function inflate(path: string, chunk: number, how: 'direct' | 'streamed'): Promise<Outcome> {
  const parts: Buffer[] = [];
  const sink = { push: (b: Buffer, len: number) => parts.push(Buffer.from(b.subarray(0, len))) };
  const fh = await open(path, 'r');
  let error: Outcome['error'] = null;
  try {
    if (how === 'direct') {
      const z = directInflater();
      assert.ok(z, 'the direct inflater exists on this Node');
      gunzipDirect(path, fh.fd, chunk, sink, z);
    } else {
      await gunzipStreamed(path, fh.fd, chunk, sink);
    }
  } catch (err) {
    assert.ok(err instanceof Error);
    error = { skipped: err instanceof FileSkipped, code: (err as NodeJS.ErrnoException).code, message: err.message };
  } finally {
    await fh.close();
  }
  return { bytes: Buffer.concat(parts), pushes: parts.length, error };
}

const text = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `Feb  3 10:00:${String(i % 60).padStart(2, '0')} h postfix/qmgr[2]: ${tag}${i}: removed`).join('\n') + '\n';

describe('gunzip on the reading thread', () => {
  it('is available on this Node (else every .gz goes through the slower stream)', () => {
    assert.ok(directInflater());
  });

  it('gives the stream\'s bytes: gzip(1) files, several members, empty members, zero padding, any read size', async () => {
    const big = text(40_000, 'A');                 // 2 MB: many output buffers per input chunk
    await writeFile(join(dir, 'big.log'), big);
    assert.equal((await runCommand(['gzip', '-k', '-6', join(dir, 'big.log')], { timeoutMs: 30_000 })).code, 0);
    const members = [text(3000, 'B'), '', text(1, 'C'), text(5000, 'D')];
    await writeFile(join(dir, 'members.log.gz'), Buffer.concat(members.map((m) => gzipSync(m, { level: 1 }))));
    await writeFile(join(dir, 'empty.log.gz'), gzipSync(''));
    // Zeros after the last member (padding to a block, as some copying tools leave): ignored.
    await writeFile(join(dir, 'padded.log.gz'), Buffer.concat([gzipSync(members[0]!), Buffer.alloc(10_000)]));
    const cases: Array<[string, string]> = [['big.log.gz', big], ['members.log.gz', members.join('')], ['empty.log.gz', ''], ['padded.log.gz', members[0]!]];
    for (const [name, want] of cases) {
      for (const chunk of [1, 7, 4096, 1 << 20]) {
        if (chunk === 1 && want.length > 100_000) continue;   // a byte at a time over 2 MB: slow, and 7 covers odd borders
        const d = await inflate(join(dir, name), chunk, 'direct');
        const s = await inflate(join(dir, name), chunk, 'streamed');
        assert.equal(d.error, null, `${name} at ${chunk}`);
        assert.equal(s.error, null);
        assert.ok(d.bytes.equals(Buffer.from(want)), `${name} at ${chunk}: ${d.bytes.length} bytes, want ${want.length}`);
        assert.ok(s.bytes.equals(d.bytes));
      }
    }
    // Output comes in buffers of the reused array's size, not one push per read.
    const d = await inflate(join(dir, 'big.log.gz'), 1 << 20, 'direct');
    assert.ok(d.pushes >= 8 && d.pushes <= 16, `${d.pushes} pushes for 2 MB`);
  });

  it('fails as the stream does: truncated, corrupt, garbage after the end, binary inside', async () => {
    const full = gzipSync(text(20_000, 'E'));
    const corrupt = Buffer.from(full);
    for (let i = 2000; i < 2100; i++) corrupt[i] = corrupt[i]! ^ 0x5a;
    await writeFile(join(dir, 'cut.log.gz'), full.subarray(0, Math.floor(full.length / 2)));
    await writeFile(join(dir, 'corrupt.log.gz'), corrupt);
    await writeFile(join(dir, 'garbage.log.gz'), Buffer.concat([full, Buffer.from('not gzip at all')]));
    await writeFile(join(dir, 'binary.log.gz'), gzipSync(Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) % 9))));
    const expected: Record<string, RegExp> = {
      'cut.log.gz': /^unexpected end of file$/, 'corrupt.log.gz': /./, 'garbage.log.gz': /./, 'binary.log.gz': /decompressed data looks binary, skipped$/,
    };
    const cutBytes: number[] = [];
    for (const [name, message] of Object.entries(expected)) {
      const path = join(dir, name);
      for (const chunk of [4096, 1 << 20]) {
        const d = await inflate(path, chunk, 'direct');
        const s = await inflate(path, chunk, 'streamed');
        assert.ok(d.error, `${name}: an error`);
        assert.deepEqual(d.error, s.error, `${name} at ${chunk}: the stream's error`);
        assert.match(d.error.message, message);
        assert.equal(d.error.skipped, name === 'binary.log.gz');
        if (!d.error.skipped) assert.match(String(d.error.code), /^Z_/);
        // Before the error, the text the stream hands out and no less: the stream, destroyed by the error,
        // may drop what it had not handed out yet (that varies from run to run); both drop the output
        // of the call that failed. For a cut file and garbage after the end, that text is the file's own.
        assert.ok(d.bytes.length >= s.bytes.length && d.bytes.subarray(0, s.bytes.length).equals(s.bytes), `${name}: ${d.bytes.length} bytes before the error, stream ${s.bytes.length}`);
        if (name === 'cut.log.gz' || name === 'garbage.log.gz') assert.ok(Buffer.from(text(20_000, 'E')).subarray(0, d.bytes.length).equals(d.bytes));
        if (name === 'cut.log.gz') cutBytes.push(d.bytes.length);
      }
    }
    // The part of a cut file before the cut is read, all of it, whatever the read size.
    assert.ok(cutBytes[0]! > 400_000, `${cutBytes[0]} bytes of ~504,000 before the cut`);
    assert.equal(cutBytes[1], cutBytes[0]);
  });

  it('readGzip leaves the descriptor it was given open (the worker shares it)', async () => {
    const fh = await open(join(dir, 'members.log.gz'), 'r');
    try {
      let n = 0;
      await readGzip(join(dir, 'members.log.gz'), fh.fd, 1 << 20, { push: (_b, len) => (n += len) });
      assert.ok(n > 0);
      assert.equal((await fh.stat()).isFile(), true);
    } finally {
      await fh.close();
    }
  });
});
