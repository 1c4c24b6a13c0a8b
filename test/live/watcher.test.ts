// The watcher as `serve` runs it: restart from the checkpoint counts every
// message once; /metrics shows the live series; transitions reach the event hub.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../service/config.ts';
import { createLiveWatcher } from '../../service/live/live-sidecar.ts';
import { createSidecarMetrics } from '../../service/http/metrics.ts';
import type { Sidecar } from '../../service/http/sidecar.ts';
import type { ServerEvent } from '../../service/http/contract.ts';
import { directory, pickupLines, ZONE } from './live-world.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-watcher-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fakeSidecar() {
  const published: Array<{ e: ServerEvent; sub: number | null }> = [];
  const logs: string[] = [];
  const log = (level: string) => (obj: object, msg: string) => void logs.push(`${level} ${msg} ${JSON.stringify(obj)}`);
  const sidecar = {
    app: { log: { info: log('info'), warn: log('warn'), error: log('error') }, sidecarMetrics: createSidecarMetrics() },
    events: { publish: (e: ServerEvent, sub: number | null) => void published.push({ e, sub }) },
    pool: { run: async () => { throw new Error('no actions here'); } },
  } as unknown as Sidecar;
  return { sidecar, published, logs };
}

const lines = (from: number, n: number, t0: number, uid = 10001) => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(...pickupLines(t0 + (from + i) * 50, uid, 'info@easytone.example'));
  return `${out.join('\n')}\n`;
};

describe('the live watcher in the sidecar', () => {
  it('restarts from its checkpoint without counting a message twice or missing one, and exposes the live metrics', async () => {
    const maillog = join(dir, 'maillog');
    await writeFile(maillog, lines(0, 100, Date.now() - 60_000, 10002));   // before the first start: not counted
    const config = parseConfig({ stateDir: 'state', timezone: ZONE, maillog: [maillog], phpMailLog: [], accessLogs: [], sendmail: null, livePollMs: 60_000 }, 'test', dir);
    const over = { loadDirectory: async () => ({ directory: directory(), warnings: [] }), quarantine: null };
    let f = fakeSidecar();
    let w = createLiveWatcher(config, f.sidecar, {}, over);
    await w.start();
    const t0 = Date.now() - 30_000;
    await appendFile(maillog, lines(0, 300, t0));
    await w.scan();
    const text = lines(300, 200, t0);
    await appendFile(maillog, text.slice(0, 5000));                        // a line cut in half at the stop
    await w.scan();
    const metrics = f.sidecar.app.sidecarMetrics.registry.render();
    assert.match(metrics, /^sendtrace_live_messages_total\{subscription_id="10",kind="system-user"\} \d+$/m);
    assert.match(metrics, /^sendtrace_live_log_lag_seconds\{log="maillog"\} 0$/m);
    assert.match(metrics, /^sendtrace_live_last_scan_timestamp_seconds \d+$/m);
    assert.match(metrics, /^sendtrace_live_open_incidents\{kind="burst"\} 1$/m);
    await w.stop();
    await appendFile(maillog, text.slice(5000));
    f = fakeSidecar();
    w = createLiveWatcher(config, f.sidecar, {}, over);
    await w.start();
    assert.equal(w.counters().sources.get('uid:10001')!.messages.total, 500);
    assert.equal(w.counters().sources.get('uid:10002'), undefined);
    // The burst opened before the restart is still the same incident: nothing new published.
    assert.equal(f.published.length, 0);
    assert.equal(w.incidents().filter((i) => i.state === 'open').length, 1);
    await w.stop();
  });

  it('publishes each transition of a subscription\'s incident to the event hub', async () => {
    const maillog = join(dir, 'maillog2');
    await writeFile(maillog, '');
    const config = parseConfig({ stateDir: 'state2', timezone: ZONE, maillog: [maillog], phpMailLog: [], accessLogs: [], sendmail: null, livePollMs: 60_000 }, 'test', dir);
    const f = fakeSidecar();
    const w = createLiveWatcher(config, f.sidecar, {}, { loadDirectory: async () => ({ directory: directory(), warnings: [] }), quarantine: null });
    await w.start();
    await appendFile(maillog, lines(0, 200, Date.now() - 20_000));
    await w.scan();
    assert.deepEqual(f.published.map((p) => [p.e.type, p.sub]), [['incident', 10]]);
    await w.stop();
  });
});
