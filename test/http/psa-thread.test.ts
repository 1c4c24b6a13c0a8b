// The sidecar's psa thread (service/http/cache/psa-thread.ts): the reads it
// makes in a real worker thread give exactly what the same reads give on this
// thread, on the fixture world's psa (the plesk simulator); errors keep their
// code; an idle thread ends and the next read starts another; close() refuses
// what comes after.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Config } from '../../service/config.ts';
import { readPanelLight } from '../../service/http/cache/panel-light.ts';
import { createPsaThread, type PsaThread } from '../../service/http/cache/psa-thread.ts';
import { ownershipOf } from '../../service/http/cache/snapshot.ts';
import { readHourlyStats } from '../../service/http/cache/stats-reader.ts';
import { readLiveDirectoryParts } from '../../service/live/live-panel.ts';
import { DAY } from '../../service/time.ts';
import { cachedWorld, writeWorldConfig, type World } from '../fixtures/expand/world.ts';
import { waitFor } from '../fixtures/capture/wait-for.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';
import { repoRoot } from '../helpers/repo-root.ts';

const launcher = { entry: pathToFileURL(join(repoRoot, 'service/main.ts')), execArgv: ['--import', join(repoRoot, 'test/helpers/register-ts.mjs')] };

describe('the psa thread', () => {
  let world: World;
  let sim: PleskSim;
  let dir: string;
  let config: Config;
  let thread: PsaThread;

  before(async () => {
    world = await cachedWorld();
    sim = await makePleskSim({ sqlite: join(world.dir, 'psa.sql') });
    dir = await mkdtemp(join('/tmp', 'st-psathread-'));
    config = loadConfig(await writeWorldConfig(world, { plesk: sim.path, dir }), {});
    thread = createPsaThread(launcher, { idleMs: 300 });
  });
  after(async () => {
    await thread?.close();
    await sim?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads ownership, the live directory and hourly rows as this thread would', async () => {
    const now = Date.parse(world.now);
    const range = { since: now - 35 * DAY, until: now, subscriptionIds: world.expected.subscriptions.map((_, i) => i + 1) };
    const [own, dirParts, hourly] = await Promise.all([
      thread.read({ kind: 'ownership', config }),
      thread.read({ kind: 'live-directory', config }),
      thread.read({ kind: 'hourly', config, ...range }),
    ]);
    assert.equal(thread.pending(), 0);
    const here = ownershipOf((await readPanelLight(config)).panel, config.vhostsRoot);
    assert.ok(here.subscriptions.length === world.expected.subscriptions.length && here.owners.length > 0);
    assert.deepEqual(own, here);
    assert.deepEqual(dirParts, await readLiveDirectoryParts(config));
    const hourlyHere = await readHourlyStats(config, range, 60_000);
    assert.ok(hourlyHere.rows > 0, 'the fixture has hourly rows');
    assert.deepEqual(hourly, hourlyHere);
  });

  it('keeps the code of a refused read, and ends when idle; the next read starts it again', async () => {
    const broken = { ...config, plesk: join(dir, 'no-such-plesk') };
    await assert.rejects(thread.read({ kind: 'ownership', config: broken }), (err: Error & { code?: string }) => err.code === 'SENDTRACE_ERR_PANEL_DB' && /no-such-plesk|ENOENT/.test(err.message));
    await waitFor(() => !thread.running(), { timeoutMs: 10_000, what: 'the idle psa thread to end' });
    const own = await thread.read({ kind: 'ownership', config });
    assert.equal(own.subscriptions.length, world.expected.subscriptions.length);
    assert.ok(thread.running());
  });

  it('does not fail the reads of a new thread when the idle one it replaced ends', async () => {
    // Found here: the old thread's exit failed every read waiting, the new thread's too.
    const t = createPsaThread(launcher, { idleMs: 50 });
    try {
      for (let i = 0; i < 2; i++) {
        await t.read({ kind: 'ownership', config });
        // The moment the idle thread is told to end (its exit comes later), a read starts the next one.
        while (t.running()) await new Promise((r) => setTimeout(r, 1));
        const own = await t.read({ kind: 'ownership', config });
        assert.equal(own.subscriptions.length, world.expected.subscriptions.length);
      }
    } finally {
      await t.close();
    }
  });

  it('refuses reads once closed, and fails those in flight instead of leaving them hanging', async () => {
    const t = createPsaThread(launcher);
    const inFlight = assert.rejects(t.read({ kind: 'live-directory', config }), /shutting down/);
    await t.close();
    await inFlight;
    await assert.rejects(t.read({ kind: 'ownership', config }), /shutting down/);
    assert.equal(t.running(), false);
  });
});
