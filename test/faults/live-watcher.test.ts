// Faults around the live watcher (issue 10, Faults): an unusable incidents
// file, a log deleted while it is followed, and the clock jumping by hours.
// Each asserts what the admin sees (a warning naming the file, metrics) and
// that nothing is lost or doubled (the bad file kept aside, incidents, counts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, unlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../service/config.ts';
import { createLiveWatcher } from '../../service/live/live-sidecar.ts';
import { createSidecarMetrics } from '../../service/http/metrics.ts';
import type { Sidecar } from '../../service/http/sidecar.ts';
import { directory, pickupLines, ZONE } from '../live/live-world.ts';
import { HOUR } from '../../service/time.ts';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'sendtrace-faults-live-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function fakeSidecar() {
  const logs: string[] = [];
  const log = (level: string) => (obj: object, msg: string) => void logs.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  const published: unknown[] = [];
  const sidecar = {
    app: { log: { info: log('info'), warn: log('warn'), error: log('error') }, sidecarMetrics: createSidecarMetrics() },
    events: { publish: (e: unknown) => void published.push(e) },
    pool: { run: async () => { throw new Error('no actions here'); } },
  } as unknown as Sidecar;
  return { sidecar, logs, published };
}

const lines = (n: number, t0: number, uid = 10001) => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(...pickupLines(t0 + i * 50, uid, 'info@easytone.example'));
  return `${out.join('\n')}\n`;
};

async function setup(name: string) {
  const dir = await mkdtemp(join(root, `${name}-`));
  const maillog = join(dir, 'maillog');
  await writeFile(maillog, '');
  const config = parseConfig({ stateDir: 'state', timezone: ZONE, maillog: [maillog], phpMailLog: [], accessLogs: [], sendmail: null, livePollMs: 60_000 }, 'test', dir);
  return { dir, maillog, config, stateDir: join(dir, 'state') };
}
const over = { loadDirectory: async () => ({ directory: directory(), warnings: [] }), quarantine: null };

/** Every sample of /metrics, as numbers: none may be negative or not a number. */
function samples(text: string): Array<[string, number]> {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const i = l.lastIndexOf(' ');
    return [l.slice(0, i), Number(l.slice(i + 1))];
  });
}

describe('faults: the live watcher', () => {
  it('an unusable incidents file: starts with none, warns naming it, keeps the bad file aside (found here: it threw at every start)', async () => {
    const { config, stateDir } = await setup('incidents');
    await mkdir(join(stateDir, 'live'), { recursive: true, mode: 0o700 });
    const path = join(stateDir, 'live', 'incidents.json');
    const garbage = '{"v":1,"incidents":[{"id":';
    await writeFile(path, garbage, { mode: 0o600 });
    const f = fakeSidecar();
    const w = createLiveWatcher(config, f.sidecar, {}, { ...over, clock: () => 1_700_000_000_000 });
    await w.start();
    assert.deepEqual(w.incidents(), []);
    const warning = f.logs.find((l) => l.startsWith('warn live incidents'));
    assert.ok(warning, f.logs.join('\n'));
    assert.ok(warning.includes(path) && warning.includes(`${path}.unusable-1700000000000`), warning);
    assert.equal(await readFile(`${path}.unusable-1700000000000`, 'utf8'), garbage, 'the bad file is kept, byte for byte');
    await w.stop();
    // The next start finds a good file (written at stop) and says nothing more.
    const again = fakeSidecar();
    const w2 = createLiveWatcher(config, again.sidecar, {}, over);
    await w2.start();
    assert.equal(again.logs.filter((l) => l.startsWith('warn')).length, 0, again.logs.join('\n'));
    await w2.stop();
  });

  it('a log deleted while followed: no crash, what was read stays counted, a new log of that name is read from its start', async () => {
    const { maillog, config } = await setup('deleted');
    const f = fakeSidecar();
    const w = createLiveWatcher(config, f.sidecar, {}, over);
    await w.start();
    const t0 = Date.now() - 30_000;
    await appendFile(maillog, lines(40, t0));
    await w.scan();
    assert.equal(w.counters().sources.get('uid:10001')!.messages.total, 40);
    await unlink(maillog);
    await w.scan();
    await w.scan();
    assert.equal(w.counters().sources.get('uid:10001')!.messages.total, 40, 'nothing lost, nothing counted twice');
    await writeFile(maillog, lines(7, t0 + 10_000));
    await w.scan();
    assert.equal(w.counters().sources.get('uid:10001')!.messages.total, 47);
    assert.equal(f.logs.filter((l) => l.startsWith('error')).length, 0, f.logs.join('\n'));
    await w.stop();
  });

  it('the clock jumping back and forward by hours: no crash, no negative metric, one incident', async () => {
    const { maillog, config, stateDir } = await setup('clock');
    let now = Date.now();
    const f = fakeSidecar();
    const w = createLiveWatcher(config, f.sidecar, {}, { ...over, clock: () => now, checkpointMs: 1 });
    await w.start();
    const t0 = now - 30_000;
    await appendFile(maillog, lines(300, t0));
    await w.scan();
    const open = () => w.incidents().filter((i) => i.state === 'open' && i.kind === 'burst');
    assert.equal(open().length, 1, 'the burst is seen');
    const id = open()[0]!.id;
    for (const jump of [-5 * HOUR, +10 * HOUR, -3 * HOUR, -2 * HOUR]) {
      now += jump;
      await appendFile(maillog, lines(50, now - 1000));
      await w.scan();
      for (const [name, value] of samples(f.sidecar.app.sidecarMetrics.registry.render())) {
        assert.ok(Number.isFinite(value) && value >= 0, `${name} = ${value} after a jump of ${jump / HOUR} h`);
      }
      for (const v of Object.values(w.status().lagSeconds)) assert.ok(v >= 0);
      const bursts = w.incidents().filter((i) => i.kind === 'burst' && i.state === 'open');
      assert.ok(bursts.length <= 1, `duplicated incidents after a jump of ${jump / HOUR} h: ${bursts.map((b) => b.id).join(', ')}`);
    }
    assert.equal(f.logs.filter((l) => l.startsWith('error')).length, 0, f.logs.join('\n'));
    assert.equal(w.counters().sources.get('uid:10001')!.messages.total >= 300, true);
    await w.stop();
    const ids = new Set(w.incidents().filter((i) => i.kind === 'burst').map((i) => i.id));
    assert.ok(ids.has(id) || ids.size <= 1, `bursts: ${[...ids].join(', ')}`);
    assert.ok((await readdir(join(stateDir, 'live'))).includes('checkpoint.json'));
  });
});
