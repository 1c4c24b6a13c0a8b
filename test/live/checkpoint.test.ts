// The live checkpoint in segment files (decision 013): every count comes back
// exactly; a checkpoint rewrites only the chunks that changed; a crash or a
// failed write between the segments and checkpoint.json leaves the previous
// checkpoint whole; a format-1 checkpoint still loads; a damaged segment sets
// the checkpoint aside, naming the file.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../service/sources/run-command.ts';
import { openCheckpointStore } from '../../service/live/cursor-store.ts';
import { LiveCounters } from '../../service/live/counters.ts';
import { parseSegmentName } from '../../service/live/segment-file.ts';
import { DAY, HOUR, MINUTE } from '../../service/time.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { busyCounters, chunkIndexes, digest, NOW, phpMail } from './checkpoint-world.ts';
import { checkpointV1Text } from './v1-checkpoint.ts';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'sendtrace-checkpoint-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const follow = { maillog: { cursors: [{ dev: 1, ino: 2, path: '/var/log/maillog', offset: 1234, size: 5000, headLen: 64, headHash: 'ab'.repeat(16), skipping: false }], retired: [] } };

async function fresh(name: string) {
  const stateDir = await mkdtemp(join(root, `${name}-`));
  return { stateDir, live: join(stateDir, 'live') };
}

/** The segment files on disk, and those checkpoint.json names: after a checkpoint they are the same. */
async function files(live: string) {
  const onDisk = (await readdir(live)).filter((n) => parseSegmentName(n) !== null).sort();
  const named = (JSON.parse(await readFile(join(live, 'checkpoint.json'), 'utf8')) as { segments: string[] }).segments.slice().sort();
  return { onDisk, named, others: (await readdir(live)).filter((n) => parseSegmentName(n) === null) };
}

const hourIndex = (t: number) => Math.floor(t / HOUR);
const dayIndex = (t: number) => Math.floor(t / DAY);

describe('the live checkpoint in segment files', () => {
  it('saves and loads every count of many series exactly, one segment file per hour of minutes and per day of hours', async () => {
    const { stateDir, live } = await fresh('round-trip');
    const c = busyCounters({ scripts: 400, seed: 1 });
    const store = openCheckpointStore(stateDir, NOW);
    assert.equal(store.loaded, null);
    const r = await store.save(NOW, follow, c);
    const want = digest(c);
    const idx = chunkIndexes(c);
    assert.ok(idx.m.size >= 40 && idx.h.size >= 30, `chunks spread over the windows: ${idx.m.size} hours, ${idx.h.size} days`);
    assert.equal(r.written.length, idx.m.size + idx.h.size);
    const f = await files(live);
    assert.deepEqual(f.onDisk, f.named);
    assert.deepEqual(f.onDisk, [...[...idx.m].map((i) => `m-${i}.1.bin`), ...[...idx.h].map((i) => `h-${i}.1.bin`)].sort());
    assert.deepEqual(f.others.sort(), ['checkpoint.json']);
    const again = openCheckpointStore(stateDir, NOW + 1);
    assert.deepEqual(again.warnings, []);
    assert.deepEqual(again.loaded!.follow, follow);
    assert.equal(again.loaded!.savedAt, NOW);
    assert.deepEqual(digest(again.loaded!.counters), want);
    assert.ok(want.subscriptions.length >= 2 && want.sources.some((s) => s[4] !== null), 'subscriptions and rejects are part of it');
  });

  it('rewrites only the segments whose chunks changed: the current hour and day, and an old hour touched by a late line', async () => {
    const { stateDir, live } = await fresh('incremental');
    const c = busyCounters({ scripts: 200, seed: 2 });
    const store = openCheckpointStore(stateDir, NOW);
    await store.save(NOW, follow, c);
    const before = new Map<string, { ino: number; mtimeMs: number }>();
    for (const n of (await files(live)).onDisk) before.set(n, await stat(join(live, n)));

    // Nothing new: no segment written, checkpoint.json only.
    let r = await store.save(NOW + 1000, follow, c);
    assert.deepEqual(r.written, []);
    assert.deepEqual((await files(live)).onDisk, [...before.keys()].sort());

    // Mail in the current hour: that hour's and that day's segments, under the new generation.
    const t1 = NOW + 2 * MINUTE;
    c.addPhpMail(phpMail('/var/www/vhosts/site1.example/httpdocs/s1.php', t1), t1);
    c.addPhpMail(phpMail('/var/www/vhosts/new.example/httpdocs/new.php', t1), t1);
    r = await store.save(t1, follow, c);
    assert.deepEqual(r.written.sort(), [`h-${dayIndex(t1)}.3.bin`, `m-${hourIndex(t1)}.3.bin`]);
    assert.deepEqual(r.removed.sort(), [`h-${dayIndex(t1)}.1.bin`, `m-${hourIndex(t1)}.1.bin`]);
    let f = await files(live);
    assert.deepEqual(f.onDisk, f.named);
    for (const n of f.onDisk.filter((x) => x.endsWith('.1.bin'))) {
      const s = await stat(join(live, n));
      assert.deepEqual({ ino: s.ino, mtimeMs: s.mtimeMs }, { ino: before.get(n)!.ino, mtimeMs: before.get(n)!.mtimeMs }, `${n} untouched`);
    }
    assert.equal(f.onDisk.length, before.size);

    // A late line 30 hours back (the log was behind): that hour's segment is rewritten too.
    const late = NOW - 30 * HOUR + 17 * MINUTE;
    c.addPhpMail(phpMail('/var/www/vhosts/site2.example/httpdocs/s2.php', late), NOW + 3 * MINUTE);
    r = await store.save(NOW + 3 * MINUTE, follow, c);
    assert.deepEqual(r.written.sort(), [`h-${dayIndex(late)}.4.bin`, `m-${hourIndex(late)}.4.bin`]);
    f = await files(live);
    assert.deepEqual(f.onDisk, f.named);
    assert.deepEqual(digest(openCheckpointStore(stateDir, NOW).loaded!.counters), digest(c));
  });

  it('drops the segments of chunks that left the 48 h / 35 d windows, and keeps the counts of evicted sources out', async () => {
    const { stateDir, live } = await fresh('windows');
    const c = busyCounters({ scripts: 120, seed: 3, maxSources: 100 });
    assert.ok(c.stats.evicted > 0, 'sources were evicted');
    const store = openCheckpointStore(stateDir, NOW);
    await store.save(NOW, follow, c);
    // Three days later, after more sources pushed out older ones.
    const later = NOW + 3 * DAY;
    for (let i = 0; i < 30; i++) c.addPhpMail(phpMail(`/var/www/vhosts/late.example/httpdocs/l${i}.php`, later - i * MINUTE), later);
    await store.save(later, follow, c);
    const f = await files(live);
    assert.deepEqual(f.onDisk, f.named);
    for (const n of f.onDisk) {
      const p = parseSegmentName(n)!;
      if (p.kind === 'm') assert.ok(p.index > hourIndex(later) - 48, `${n} is older than 48 h`);
      else assert.ok(p.index > dayIndex(later) - 35, `${n} is older than 35 days`);
    }
    const loaded = openCheckpointStore(stateDir, later).loaded!.counters;
    assert.deepEqual(digest(loaded, later), digest(c, later));
    assert.equal(loaded.sources.size, 100);
  });

  it('a segment holding only the chunks of evicted sources goes once its chunk is out of the window', async () => {
    const { stateDir, live } = await fresh('evicted-only');
    const c = new LiveCounters({ maxSources: 2 });
    const old = NOW - 40 * HOUR;
    c.addPhpMail(phpMail('/var/www/vhosts/a.example/httpdocs/a.php', old), NOW);
    const store = openCheckpointStore(stateDir, NOW);
    await store.save(NOW, follow, c);
    const segment = `m-${hourIndex(old)}.1.bin`;
    assert.ok((await files(live)).named.includes(segment));
    c.addPhpMail(phpMail('/var/www/vhosts/a.example/httpdocs/b.php', NOW), NOW);
    c.addPhpMail(phpMail('/var/www/vhosts/a.example/httpdocs/c.php', NOW), NOW);
    assert.equal(c.stats.evicted, 1);
    await store.save(NOW + MINUTE, follow, c);
    assert.ok((await files(live)).named.includes(segment), 'kept while its hour is in the window');
    const later = NOW + 9 * HOUR;
    await store.save(later, follow, c);
    const f = await files(live);
    assert.deepEqual(f.onDisk, f.named);
    assert.ok(!f.onDisk.includes(segment), `${segment} is 49 hours old`);
    assert.deepEqual(digest(openCheckpointStore(stateDir, later).loaded!.counters, later), digest(c, later));
  });

  it('a chunk a series drops by itself (its newest count an hour ahead) leaves the segment too', async () => {
    const { stateDir } = await fresh('self-dropped');
    const c = new LiveCounters();
    const edge = NOW - 47 * HOUR;
    for (const p of ['a', 'b']) c.addPhpMail(phpMail(`/var/www/vhosts/a.example/httpdocs/${p}.php`, edge), NOW);
    const store = openCheckpointStore(stateDir, NOW);
    await store.save(NOW, follow, c);
    // A line stamped in the next hour (a clock a little ahead): a.php's window moves, its chunk 47 h back goes.
    const ahead = NOW + 40 * MINUTE;
    c.addPhpMail(phpMail('/var/www/vhosts/a.example/httpdocs/a.php', ahead), NOW + 1000);
    const a = c.sources.get('script:/var/www/vhosts/a.example/httpdocs/a.php')!.messages;
    assert.equal(a.minutes.has(hourIndex(edge)), false);
    await store.save(NOW + 1000, follow, c);
    assert.deepEqual(digest(openCheckpointStore(stateDir, NOW).loaded!.counters), digest(c));
  });

  it('series numbers that run out are given again from 1, and no old segment is read with the new numbers', async () => {
    const { stateDir, live } = await fresh('renumber');
    const c = new LiveCounters({ maxSources: 1 });
    const old = NOW - 30 * HOUR;
    c.addPhpMail(phpMail('/var/www/vhosts/a.example/httpdocs/a.php', old), NOW);
    const store = openCheckpointStore(stateDir, NOW);
    await store.save(NOW, follow, c);
    c.addPhpMail(phpMail('/var/www/vhosts/a.example/httpdocs/b.php', NOW), NOW);   // a.php evicted; its chunk stays in m-<old>
    await store.save(NOW + 1000, follow, c);
    assert.ok((await files(live)).named.includes(`m-${hourIndex(old)}.1.bin`));
    c.ledger.nextSid = 0x1_0000_0000;
    const r = await store.save(NOW + 2000, follow, c);
    assert.deepEqual([...c.allSeries()].map((x) => x.sid), [1]);
    assert.deepEqual(r.written.sort(), [`h-${dayIndex(NOW)}.3.bin`, `m-${hourIndex(NOW)}.3.bin`]);
    const f = await files(live);
    assert.deepEqual(f.onDisk, f.named);
    assert.deepEqual(digest(openCheckpointStore(stateDir, NOW).loaded!.counters), digest(c));
  });

  it('a failed write between the segments and checkpoint.json: the previous checkpoint stays whole, the new files go, the next checkpoint writes what was missed', async () => {
    const { stateDir, live } = await fresh('failed-write');
    const c = busyCounters({ scripts: 100, seed: 4 });
    let fail = false;
    const store = openCheckpointStore(stateDir, NOW, { beforeCommit: () => {
      if (fail) throw new Error('injected: the disk went away');
    } });
    await store.save(NOW, follow, c);
    const first = digest(c);
    const firstFiles = await files(live);
    const firstText = await readFile(join(live, 'checkpoint.json'), 'utf8');
    const t1 = NOW + 5 * MINUTE;
    c.addPhpMail(phpMail('/var/www/vhosts/site3.example/httpdocs/s3.php', t1), t1);
    fail = true;
    await assert.rejects(store.save(t1, follow, c), /live checkpoint not saved, the previous one stays: writing .*injected: the disk went away/);
    fail = false;
    assert.equal(await readFile(join(live, 'checkpoint.json'), 'utf8'), firstText);
    assert.deepEqual(await files(live), firstFiles, 'the segments of the failed attempt are removed, those of the previous checkpoint kept');
    assert.deepEqual(digest(openCheckpointStore(stateDir, NOW).loaded!.counters), first);
    // The next checkpoint writes the chunks the failed one had taken.
    const r = await store.save(t1 + 1000, follow, c);
    assert.deepEqual(r.written.sort(), [`h-${dayIndex(t1)}.3.bin`, `m-${hourIndex(t1)}.3.bin`]);
    assert.deepEqual(digest(openCheckpointStore(stateDir, NOW).loaded!.counters), digest(c));
  });

  it('a crash (SIGKILL) after the new segments are on disk, before checkpoint.json: the restart loads the previous checkpoint exactly; the next checkpoint clears the orphans', async () => {
    const { stateDir, live } = await fresh('crash');
    const out = `${stateDir}.digests`;
    const r = await runCommand([process.execPath, '--import', join(repoRoot, 'test/helpers/register-ts.mjs'), join(repoRoot, 'test/live/checkpoint-crash-child.ts'), stateDir, out], { timeoutMs: 60_000 });
    assert.equal(r.signal, 'SIGKILL', r.stdout + r.stderr);
    const [saved, lost] = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.notDeepEqual(saved, lost);
    const names = await readdir(live);
    const orphans = names.filter((n) => n.endsWith('.2.bin'));
    assert.ok(orphans.length >= 2, `the second checkpoint's segments were on disk: ${names.join(' ')}`);
    const store = openCheckpointStore(stateDir, NOW);
    assert.deepEqual(store.warnings, []);
    assert.deepEqual(digest(store.loaded!.counters), saved);
    assert.equal(store.loaded!.savedAt, NOW);
    // The restart's first checkpoint: everything it names is there, nothing else.
    const c = store.loaded!.counters;
    c.addPhpMail(phpMail('/var/www/vhosts/site9.example/httpdocs/s9.php', NOW + MINUTE), NOW + MINUTE);
    await store.save(NOW + MINUTE, follow, c);
    const f = await files(live);
    assert.deepEqual(f.onDisk, f.named);
    assert.deepEqual(f.others, ['checkpoint.json']);
    assert.deepEqual(digest(openCheckpointStore(stateDir, NOW).loaded!.counters), digest(c));
  });

  it('loads a format-1 checkpoint (written before decision 013) and turns it into segments at the next checkpoint', async () => {
    const { stateDir, live } = await fresh('v1');
    const c = busyCounters({ scripts: 150, seed: 5 });
    openCheckpointStore(stateDir, NOW);   // creates live/
    await writeFile(join(live, 'checkpoint.json'), checkpointV1Text(NOW, follow, c), { mode: 0o600 });
    const store = openCheckpointStore(stateDir, NOW);
    assert.deepEqual(store.warnings, []);
    assert.deepEqual(store.loaded!.follow, follow);
    const loaded = store.loaded!.counters;
    assert.deepEqual(digest(loaded), digest(c));
    const r = await store.save(NOW + 1000, follow, loaded);
    const idx = chunkIndexes(c);
    assert.equal(r.written.length, idx.m.size + idx.h.size, 'every chunk written once');
    assert.equal(JSON.parse(await readFile(join(live, 'checkpoint.json'), 'utf8')).v, 2);
    assert.deepEqual(digest(openCheckpointStore(stateDir, NOW).loaded!.counters), digest(c));
  });

  for (const damage of ['torn', 'missing'] as const) {
    it(`a ${damage} segment file: the checkpoint is set aside with its segments, never deleted, with a warning naming the file`, async () => {
      const { stateDir, live } = await fresh(`damaged-${damage}`);
      const c = busyCounters({ scripts: 50, seed: 6 });
      await openCheckpointStore(stateDir, NOW).save(NOW, follow, c);
      const { named } = await files(live);
      const victim = named.find((n) => n.startsWith('m-'))!;
      if (damage === 'torn') await truncate(join(live, victim), 100);
      else await unlink(join(live, victim));
      const store = openCheckpointStore(stateDir, 777);
      assert.equal(store.loaded, null);
      assert.equal(store.warnings.length, 1);
      assert.ok(store.warnings[0]!.includes(join(live, victim)), store.warnings[0]);
      assert.ok(store.warnings[0]!.includes(`${join(live, 'checkpoint.json')}.unusable-777`), store.warnings[0]);
      const left = await readdir(live);
      assert.ok(left.includes('checkpoint.json.unusable-777'));
      const kept = named.filter((n) => damage === 'torn' || n !== victim);
      for (const n of kept) assert.ok(left.includes(`${n}.unusable-777`), `${n} kept aside`);
      // A fresh start saves a new checkpoint beside what was set aside, and leaves that alone.
      const again = openCheckpointStore(stateDir, 778);
      assert.deepEqual(again.warnings, []);
      await again.save(NOW, follow, busyCounters({ scripts: 5, seed: 7 }));
      const after = await readdir(live);
      for (const n of kept) assert.ok(after.includes(`${n}.unusable-777`));
    });
  }
});
