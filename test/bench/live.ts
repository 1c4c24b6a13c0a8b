// Benchmark of the live watcher (`npm run bench:live`): a child process
// appends Postfix lines to a maillog at a steady rate (default 5,000 lines/s)
// spread over 10,000 subscriptions' system users; after a warm-up one UID
// starts a burst. This process runs the watcher (the real follower, parsers,
// counters, detection, incident store; notifications off) and reports:
// detection latency (first burst line written → incident open), the
// watcher's CPU time as a share of one core and per 1,000 lines/s, and memory
// (RSS, heap, the counters' own estimate) with 10,000 subscriptions.
// BENCH_LIVE_RATE, BENCH_LIVE_SECONDS tune it; it stays under 2 minutes.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../service/config.ts';
import { ensurePrivateDir } from '../../service/actions/state-files.ts';
import { DEFAULT_SETTINGS } from '../../service/http/settings-store.ts';
import { buildDirectory } from '../../service/live/directory.ts';
import { createWatcher } from '../../service/live/watcher.ts';

const RATE = Number(process.env.BENCH_LIVE_RATE ?? 5000);
const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 45);
const SUBS = 10_000;
const BURST_AT = Math.min(25, Math.floor(SECONDS / 2));

// The appender: a separate process so that its CPU is not the watcher's. Lines are
// pickups (5 Postfix lines per message) of UIDs 20000..29999; from BURST_AT s on,
// UID 20000 also sends 50 messages a second. It prints the instant of the first burst line.
const APPENDER = `
const fs = require('node:fs');
const [file, rate, seconds, subs, burstAt] = process.argv.slice(1).map((v, i) => i ? Number(v) : v);
const fd = fs.openSync(file, 'a');
const p2 = (n) => String(n).padStart(2, '0');
const stamp = (ms) => { const d = new Date(ms + 9 * 3600e3); return d.getUTCFullYear() + '-' + p2(d.getUTCMonth() + 1) + '-' + p2(d.getUTCDate()) + 'T' + p2(d.getUTCHours()) + ':' + p2(d.getUTCMinutes()) + ':' + p2(d.getUTCSeconds()) + '.000+09:00'; };
let q = 0x100000, n = 0, burstStarted = false;
const msg = (t, uid) => { const id = (q++).toString(16).toUpperCase().padStart(10, '0'); const s = stamp(t);
  return s + ' plesk postfix/pickup[6185]: ' + id + ': uid=' + uid + ' from=<u' + uid + '@example.test>\\n'
    + s + ' plesk postfix/cleanup[6204]: ' + id + ': message-id=<' + id + '@plesk.example.test>\\n'
    + s + " plesk /usr/lib/plesk-9.0/psa-pc-remote[5778]: PASS during call 'limit-out' handler\\n"
    + s + ' plesk postfix/qmgr[6186]: ' + id + ': from=<u' + uid + '@example.test>, size=489, nrcpt=1 (queue active)\\n'
    + s + ' plesk postfix/qmgr[6186]: ' + id + ': removed\\n'; };
const start = Date.now();
const tick = () => {
  const now = Date.now();
  const el = (now - start) / 1000;
  if (el >= seconds) { fs.closeSync(fd); process.stdout.write(JSON.stringify({ lines: n }) + '\\n'); return; }
  const due = Math.floor(el * rate);
  let out = '';
  while (n < due) { out += msg(now, 20000 + Math.floor(Math.random() * subs)); n += 5; }
  if (el >= burstAt) {
    if (!burstStarted) { burstStarted = true; process.stdout.write(JSON.stringify({ burstAt: now }) + '\\n'); }
    for (let k = 0; k < 5; k++) { out += msg(now, 20000); n += 5; }
  }
  if (out) fs.writeSync(fd, out);
  setTimeout(tick, 100);
};
tick();
`;

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'sendtrace-bench-live-'));
  try {
    const maillog = join(dir, 'maillog');
    await writeFile(maillog, '');
    const config = parseConfig({ stateDir: join(dir, 'state'), timezone: 'Asia/Tokyo', maillog: [maillog], phpMailLog: [], accessLogs: [], sendmail: null, livePollMs: 1000 }, 'bench', dir);
    ensurePrivateDir(config.stateDir);
    const subscriptions = Array.from({ length: SUBS }, (_, i) => ({ id: i + 1, name: `site${i}.example`, ownerId: 2, sysUser: { login: `u${i}`, home: `/var/www/vhosts/site${i}.example` }, limits: { subscription: 100_000 } }));
    const passwd = { byUid: new Map(), byLogin: new Map(subscriptions.map((s, i) => [s.sysUser.login, { login: s.sysUser.login, uid: 20000 + i, gid: 1003, home: s.sysUser.home, shell: '/bin/false' }])) };
    const directory = buildDirectory({ owners: [{ id: 1, login: 'admin', type: 'admin', parentId: null, email: null, locale: null }, { id: 2, login: 'c', type: 'client', parentId: 1, email: null, locale: null }], subscriptions, domains: subscriptions.map((s) => ({ name: s.name, subscriptionId: s.id })), mailboxes: [] }, passwd, '/var/www/vhosts');
    const watcher = createWatcher({
      config, settingsOf: () => DEFAULT_SETTINGS, loadDirectory: async () => ({ directory, warnings: [] }),
      notify: { sendmail: null, from: 'bench@localhost', adminEmail: null, webhook: null }, quarantine: null, publish: () => undefined, log: () => undefined,
    });
    await watcher.start();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const child = spawn(process.execPath, ['-e', APPENDER, maillog, String(RATE), String(SECONDS), String(SUBS), String(BURST_AT)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let burstAt: number | null = null;
    let lines = 0;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      for (const l of text.split('\n').filter(Boolean)) {
        const m = JSON.parse(l) as { burstAt?: number; lines?: number };
        if (m.burstAt) burstAt = m.burstAt;
        if (m.lines) lines = m.lines;
      }
    });
    let detectedAt: number | null = null;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (detectedAt === null && watcher.incidents().some((i) => i.kind === 'burst' && i.source?.id === '20000')) detectedAt = Date.now();
    }, 20);
    await new Promise<void>((ok) => child.on('close', () => ok()));
    // Let the watcher catch up with the last lines.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && watcher.ingest().stats.maillog.lines < lines) await new Promise((r) => setTimeout(r, 100));
    clearInterval(sampler);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const mem = process.memoryUsage();
    const c = watcher.counters();
    await watcher.stop();
    const read = watcher.ingest().stats.maillog.lines;
    const report = {
      rateLinesPerSecond: RATE, seconds: Math.round(wall), linesWritten: lines, linesRead: read,
      subscriptionsWithCounters: c.subscriptions.size, sources: c.sources.size,
      detectionLatencySeconds: burstAt !== null && detectedAt !== null ? Math.round((detectedAt - burstAt) / 100) / 10 : null,
      cpuShareOfOneCore: Math.round((cpuSeconds / wall) * 1000) / 1000,
      cpuMsPerThousandLines: Math.round((cpuSeconds * 1000 * 1000) / Math.max(1, read) * 10) / 10,
      rssMb: Math.round(mem.rss / 1048576), peakRssMb: Math.round(peakRss / 1048576), heapUsedMb: Math.round(mem.heapUsed / 1048576),
      countersEstimateMb: Math.round(c.approxBytes() / 1048576 * 10) / 10,
      lagSecondsAtEnd: watcher.status().lagSeconds.maillog,
    };
    console.log(JSON.stringify(report, null, 2));
    if (read !== lines) throw new Error(`the watcher read ${read} of ${lines} lines`);
    if (report.detectionLatencySeconds === null) throw new Error('the burst was not detected');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
