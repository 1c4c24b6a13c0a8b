// Corrupted state files other than the live ones (issue 10, Faults; the live
// checkpoint: test/live/follow.test.ts; incidents: live-watcher.test.ts).
// Settings refuse clearly (the file named, left as it is, nothing overwritten);
// a damaged mail-flow cache entry reads as a miss, never as a wrong answer.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, openSettingsStore } from '../../service/http/settings-store.ts';
import { SendtraceError, EXIT } from '../../service/errors.ts';
import { openCacheDir, writeCacheEntry } from '../../service/sources/state-cache.ts';
import { readCacheText } from '../helpers/cache-text.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-faults-state-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('faults: corrupted state files', () => {
  it('settings: a torn file is refused naming it, for reads and writes, and is not overwritten', async () => {
    const stateDir = join(dir, 'settings-state');
    const store = openSettingsStore(stateDir, 'UTC');
    store.put(3, DEFAULT_SETTINGS, { actor: 'admin', now: 0 });
    const path = join(stateDir, 'settings', '3.json');
    const torn = (await readFile(path, 'utf8')).slice(0, 40);
    await writeFile(path, torn);
    const refused = (err: unknown) => {
      assert.ok(err instanceof SendtraceError);
      assert.equal(err.code, 'SENDTRACE_ERR_STATE');
      assert.equal(err.exit, EXIT.unreadable);
      assert.ok(err.message.includes(path), err.message);
      return true;
    };
    assert.throws(() => store.get(3), refused);
    assert.throws(() => store.put(3, DEFAULT_SETTINGS, { actor: 'admin', now: 1 }), refused);
    assert.equal(await readFile(path, 'utf8'), torn, 'the bad file is left for the admin to look at');
    // Other subscriptions are unaffected.
    assert.equal(store.put(4, DEFAULT_SETTINGS, { actor: 'admin', now: 1 }).revision, 1);
  });

  it('mail-flow cache: a damaged entry is a miss (damaged: true), and a new write replaces it', async () => {
    const cache = await openCacheDir(join(dir, 'cache-state'));
    assert.ok(cache.dir, 'reason' in cache ? cache.reason : '');
    const key = 'a'.repeat(64);
    await writeCacheEntry(cache.dir, key, '{"flow":1}');
    assert.deepEqual(await readCacheText(cache.dir, key), { text: '{"flow":1}' });
    const [name] = (await readdir(cache.dir)).filter((n) => n.includes(key.slice(0, 16)));
    assert.ok(name, `entry file of ${key} not found`);
    const path = join(cache.dir, name);
    const bytes = await readFile(path);
    for (const bad of [bytes.subarray(0, bytes.length - 3), Buffer.concat([bytes, Buffer.from('x')]), Buffer.from('garbage'), Buffer.alloc(0)]) {
      await writeFile(path, bad);
      assert.deepEqual(await readCacheText(cache.dir, key), { text: null, damaged: true });
    }
    await writeCacheEntry(cache.dir, key, '{"flow":2}');
    assert.deepEqual(await readCacheText(cache.dir, key), { text: '{"flow":2}' });
  });
});
