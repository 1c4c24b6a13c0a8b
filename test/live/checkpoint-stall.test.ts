// How long a checkpoint holds the sidecar's thread (decision 013): with 4,000
// warm series (2,000 sources + 2,000 subscriptions, 48 h of minutes and 35
// days of hours each), the format-1 checkpoint held it ~1.4 s every 30 s
// (spreading every chunk into arrays, JSON of 33 MB, a synchronous fsync).
// Now only the changed chunks are copied and the writing is asynchronous:
// the synchronous part of a checkpoint after a minute of mail from every
// series must stay under 100 ms of CPU (measured 18-76 ms on a 2-core box
// shared with other work; CPU, not wall time, so that the box's load does not
// decide), and no event-loop delay while the files are written may exceed
// 300 ms (loose: on a loaded box the loop waits for a core too; it catches
// the writing going back to blocking for long, not a few milliseconds).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openCheckpointStore } from '../../service/live/cursor-store.ts';
import { LiveCounters } from '../../service/live/counters.ts';
import type { Series } from '../../service/live/series.ts';
import { DAY, HOUR, MINUTE } from '../../service/time.ts';
import { addSubscription, NOW, phpMail } from './checkpoint-world.ts';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'sendtrace-checkpoint-stall-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * 2,000 script sources and 2,000 subscriptions with a chunk in every hour of
 * the last 48 h and every day of the last 35: what a month of mail round the
 * clock leaves. The chunks are set directly (adding a count per minute for
 * 4,000 series would take the test ~20 s); the save is the same either way.
 */
function warmCounters(): { counters: LiveCounters; series: Series[] } {
  const c = new LiveCounters();
  const series: Series[] = [];
  for (let i = 0; i < 2000; i++) {
    const path = `/var/www/vhosts/site${i}.example/httpdocs/mail.php`;
    c.addPhpMail(phpMail(path, NOW - 35 * DAY + HOUR), NOW);
    series.push(c.sources.get(`script:${path}`)!.messages);
  }
  for (let i = 0; i < 2000; i++) series.push(addSubscription(c, 100 + i).messages);
  const hour = Math.floor(NOW / HOUR);
  const day = Math.floor(NOW / DAY);
  for (const [n, s] of series.entries()) {
    for (let k = hour - 47; k <= hour; k++) s.minutes.set(k, new Uint32Array(60).fill(1 + (n % 3)));
    for (let k = day - 34; k <= day; k++) s.hours.set(k, new Uint32Array(24).fill(60 * (1 + (n % 3))));
    s.total = 35 * 24 * 60 * (1 + (n % 3));
    s.first = NOW - 35 * DAY;
    s.last = NOW - MINUTE;
  }
  return { counters: c, series };
}

const follow = { maillog: { cursors: [], retired: [] } };

describe('the live checkpoint: time on the thread', () => {
  it('with 4,000 warm series, a checkpoint after a minute of mail from each holds the thread under 100 ms', async () => {
    const { counters, series } = warmCounters();
    const stateDir = await mkdtemp(join(root, 'warm-'));
    const store = openCheckpointStore(stateDir, NOW);
    const cpu0 = process.cpuUsage();
    let t = performance.now();
    const full = store.save(NOW, follow, counters);
    const fullSync = performance.now() - t;
    const fullCpu = process.cpuUsage(cpu0);
    const first = await full;
    assert.ok(first.written.length === 48 + 35, `the first checkpoint writes every chunk: ${first.written.length} files`);

    const figures: string[] = [`first (every chunk, ${first.written.length} files): synchronous ${((fullCpu.user + fullCpu.system) / 1000).toFixed(0)} ms CPU (${fullSync.toFixed(0)} ms wall)`];
    const rounds: Array<{ cpu: number; maxDelay: number }> = [];
    // Round 0 is reported, not held to the bound: it pays for the full save's garbage and a cold JIT (once per start).
    for (let round = 0; round <= 3; round++) {
      const now = NOW + round * MINUTE;
      for (const s of series) s.add(now - 1000);
      const eld = monitorEventLoopDelay({ resolution: 1 });
      const c0 = process.cpuUsage();
      t = performance.now();
      const p = store.save(now, follow, counters);
      const wall = performance.now() - t;
      const used = process.cpuUsage(c0);
      const cpu = (used.user + used.system) / 1000;
      // The rest of the checkpoint (writing, fsync, rename, removing old files) must leave the loop free.
      eld.enable();
      const r = await p;
      const total = performance.now() - t;
      eld.disable();
      const maxDelay = eld.max / 1e6;
      figures.push(`round ${round}: synchronous ${cpu.toFixed(1)} ms CPU (${wall.toFixed(1)} ms wall), whole checkpoint ${total.toFixed(0)} ms, longest event-loop delay while writing ${maxDelay.toFixed(1)} ms`);
      assert.deepEqual(r.written.map((n) => n.split('.')[0]).sort(), [`h-${Math.floor(now / DAY)}`, `m-${Math.floor(now / HOUR)}`], 'only the current hour and day are written');
      if (round > 0) rounds.push({ cpu, maxDelay });
    }
    console.log(figures.join('\n'));
    for (const r of rounds) {
      assert.ok(r.cpu < 100, figures.join('\n'));
      assert.ok(r.maxDelay < 300, figures.join('\n'));
    }
  });
});
