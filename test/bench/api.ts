// Benchmark of the sidecar's API at hosting-provider scale (issue 4):
// psa in a real MariaDB filled with 10,000 subscriptions and 30 days of hourly
// OMC statistics (api-data.ts), the sidecar started as its own process
// (`sendtrace serve`, exactly as systemd would), and signed requests over its
// unix socket from this process with 32 in flight.
//
//   node --import ./test/helpers/register-ts.mjs test/bench/api.ts [--subscriptions 10000] [--days 30]
//        [--activity 1] [--requests 2000] [--concurrency 32] [--dist] [--server-log FILE]
//
// Reports the first full load (start → first diagnosis served) and p50/p99
// and requests/s per request kind; --json prints the numbers as JSON.
import { spawn } from 'node:child_process';
import { appendFileSync, openSync, closeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { loadSecret } from '../../service/http/auth/secret-file.ts';
import type { Identity } from '../../service/http/auth/signature.ts';
import { clientArgv, startMariadb } from '../helpers/mariadb.ts';
import { makePleskSim } from '../helpers/plesk-sim.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { callAs, requestSocket } from '../http/socket-client.ts';
import { ownerOfSubscription, writeBenchWorld } from './api-data.ts';
import { stopChild } from './bench-runner.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : Number(args[i + 1]);
};
const N = opt('subscriptions', 10_000);
const DAYS = opt('days', 30);
const ACTIVITY = opt('activity', 1);
const REQUESTS = opt('requests', 2_000);
const CONCURRENCY = opt('concurrency', 32);
/** --server-log FILE: the sidecar's log lines, each prefixed with ms since its start (where the first load goes). */
const serverLog = args.includes('--server-log') ? args[args.indexOf('--server-log') + 1] : undefined;
const ZONE = 'Asia/Tokyo';
// The sidecar runs on the real clock (`serve` has no --now outside the development signer): data is dated from now.
const NOW = Date.now();
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

type Result = { kind: string; requests: number; p50: number; p99: number; max: number; perSecond: number; bytes: number; errors: number; serverMeanMs?: number };

/** Total time and count of requests the sidecar itself measured (its /metrics histogram), all routes. */
async function serverTime(socket: string): Promise<{ sum: number; count: number }> {
  const text = (await requestSocket(socket, { path: '/metrics' })).body;
  let sum = 0;
  let count = 0;
  for (const m of text.matchAll(/^sendtrace_http_request_duration_seconds_(sum|count)\{route="\/api[^"]*"\} ([0-9.e+-]+)$/gm)) {
    if (m[1] === 'sum') sum += Number(m[2]);
    else count += Number(m[2]);
  }
  return { sum, count };
}

async function load(kind: string, n: number, request: (i: number) => Promise<{ status: number; body: string }>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  let bytes = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) {
      const i = next++;
      const t0 = performance.now();
      const r = await request(i);
      latencies.push(performance.now() - t0);
      bytes = r.body.length;
      if (r.status !== 200) errors++;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]!;
  return { kind, requests: n, p50: at(0.5), p99: at(0.99), max: latencies.at(-1)!, perSecond: n / seconds, bytes, errors };
}

const dir = await mkdtemp(join('/tmp', 'st-bench-api-'));
const db = await startMariadb();
let server: ReturnType<typeof spawn> | null = null;
const sim = await makePleskSim({ socket: db.socket });
try {
  let t = performance.now();
  const world = await writeBenchWorld(dir, { subscriptions: N, days: DAYS, activity: ACTIVITY, now: NOW, zone: ZONE });
  log(`generated ${N} subscriptions, ${world.statsRows} hourly statistics rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  const fd = openSync(world.sql, 'r');
  const loader = spawn(clientArgv(db.socket, 'psa')[0]!, clientArgv(db.socket, 'psa').slice(1), { stdio: [fd, 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((ok) => loader.once('exit', ok));
  closeSync(fd);
  if (code !== 0) throw new Error(`loading psa failed (exit ${code})`);
  log(`loaded psa into MariaDB in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const config = join(dir, 'sendtrace.json');
  await writeFile(config, JSON.stringify({
    plesk: sim.path, maillog: [world.maillog], phpMailLog: [], accessLogs: [], vhostsRoot: world.vhosts, passwdFile: world.passwd, timezone: ZONE,
    stateDir: join(dir, 'state'), socketPath: join(dir, 'api.sock'), socketGroup: 'root', secretFile: join(dir, 'api-secret'),
  }));
  const entry = args.includes('--dist') ? [join(repoRoot, 'dist/sendtrace.mjs')] : ['--import', join(repoRoot, 'test/helpers/register-ts.mjs'), join(repoRoot, 'service/main.ts')];
  const socket = join(dir, 'api.sock');
  t = performance.now();
  server = spawn(process.execPath, [...entry, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  // The sidecar's log: its 'diagnosis refreshed' line says how long each read took.
  let reads: Record<string, number> | null = null;
  let pending = '';
  server.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const l of lines) if (!reads && l.includes('"diagnosis refreshed"')) reads = (JSON.parse(l) as { reads: Record<string, number> }).reads;
    if (serverLog) appendFileSync(serverLog, lines.map((l) => `${(performance.now() - t).toFixed(0)} ms ${l}\n`).join(''));
  });
  let generation = 0;
  while (generation === 0) {
    await new Promise((r) => setTimeout(r, 100));
    const h = await requestSocket(socket, { path: '/healthz' }).catch(() => null);
    generation = h?.status === 200 ? (JSON.parse(h.body) as { generation: number }).generation : 0;
    if (performance.now() - t > 600_000) throw new Error('no diagnosis after 10 minutes');
  }
  const firstLoad = (performance.now() - t) / 1000;
  const key = loadSecret(join(dir, 'api-secret'), { gid: 0, create: false });
  const admin: Identity = { login: 'admin', role: 'admin', clientId: 1 };
  const reseller: Identity = { login: 'reseller1', role: 'reseller', clientId: 2 };
  const first = await callAs(socket, key, admin, 'GET', '/api/subscriptions?limit=1');
  if (first.status !== 200) throw new Error(`GET /api/subscriptions answered ${first.status}: ${first.body}`);
  const meta = JSON.parse(first.body) as { total: number; snapshot: { durationMs: number } };
  log(`first full load: ${firstLoad.toFixed(1)} s from start (refresh ${(meta.snapshot.durationMs / 1000).toFixed(1)} s), ${meta.total} subscriptions; reads done after (ms): ${JSON.stringify(reads)}`);

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const sub = (i: number) => 1 + ((i * 7919) % N);
  const month = encodeURIComponent(new Date(NOW - DAYS * 86_400_000).toISOString());
  const results: Result[] = [];
  // Timelines: a subscription's hours are read from psa when first asked for, then cached (hourly-source.ts).
  const working = (i: number) => sub(i % 500);
  const kinds: Array<[string, number, (i: number) => Promise<{ status: number; body: string }>, boolean | number]> = [
    ['GET /api/subscriptions (admin, all rows)', Math.min(REQUESTS, 300), () => callAs(socket, key, admin, 'GET', '/api/subscriptions', undefined, agent), true],
    ['GET /api/subscriptions?limit=50 (admin, first page)', REQUESTS, () => callAs(socket, key, admin, 'GET', '/api/subscriptions?limit=50', undefined, agent), true],
    // What the overview asks for since it stopped fetching every row: a page in a chosen order, a filter being typed.
    ['GET /api/subscriptions?sort=name&offset=…&limit=50 (admin, any page by name)', REQUESTS, (i: number) => callAs(socket, key, admin, 'GET', `/api/subscriptions?sort=name&offset=${(i % 200) * 50}&limit=50`, undefined, agent), true],
    ['GET /api/subscriptions?q=…&limit=50 (admin, 300 different filters: mostly uncached)', REQUESTS, (i: number) => callAs(socket, key, admin, 'GET', `/api/subscriptions?q=site${(i * 37) % 300}&limit=50`, undefined, agent), true],
    ['GET /api/subscriptions?limit=50 (reseller, first page)', REQUESTS, () => callAs(socket, key, reseller, 'GET', '/api/subscriptions?limit=50', undefined, agent), true],
    ['GET /api/subscriptions (reseller)', REQUESTS, () => callAs(socket, key, reseller, 'GET', '/api/subscriptions', undefined, agent), true],
    ['GET /api/subscriptions/:id (customer)', REQUESTS, (i: number) => {
      const id = sub(i);
      const owner = ownerOfSubscription(id, N);
      return callAs(socket, key, { login: `x${owner}`, role: owner <= 21 ? 'reseller' : 'client', clientId: owner }, 'GET', `/api/subscriptions/${id}`, undefined, agent);
    }, true],
    ['GET /api/subscriptions/:id/timeline (first read of 500 subscriptions: from psa, batched)', 500, (i: number) => callAs(socket, key, admin, 'GET', `/api/subscriptions/${working(i)}/timeline`, undefined, agent), false],
    ['GET /api/subscriptions/:id/timeline (7 days by hour, cached)', REQUESTS, (i: number) => callAs(socket, key, admin, 'GET', `/api/subscriptions/${working(i)}/timeline`, undefined, agent), true],
    [`GET /api/subscriptions/:id/timeline (${DAYS} days by hour, cached)`, REQUESTS, (i: number) => callAs(socket, key, admin, 'GET', `/api/subscriptions/${working(i)}/timeline?from=${month}`, undefined, agent), 500],
  ];
  for (const [kind, n, req, warm] of kinds) {
    // Warmed with the requests' own working set: a body is prepared on its first read in a snapshot (~1 ms in the sidecar).
    if (warm) await load(kind, Math.min(n, warm === true ? 50 : warm), req);
    const before = await serverTime(socket);
    const r = await load(kind, n, req);
    const after = await serverTime(socket);
    // Time inside the sidecar per request (from accepting it to the last byte written), without the queueing in front of it.
    r.serverMeanMs = ((after.sum - before.sum) / Math.max(1, after.count - before.count)) * 1000;
    results.push(r);
    log(`${kind}: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.perSecond.toFixed(0)} req/s, ${(r.bytes / 1024).toFixed(0)} KiB, ${r.serverMeanMs.toFixed(2)} ms in the sidecar${r.errors ? `, ${r.errors} errors` : ''}`);
  }
  agent.destroy();
  const summary = { subscriptions: N, statsRows: world.statsRows, days: DAYS, concurrency: CONCURRENCY, firstLoadSeconds: firstLoad, diagnosisSeconds: meta.snapshot.durationMs / 1000, reads, results };
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stdout.write(`\n| request (concurrency ${CONCURRENCY}, unix socket) | p50 ms | p99 ms | req/s | ms in the sidecar | response |\n|---|---|---|---|---|---|\n`);
    for (const r of results) process.stdout.write(`| ${r.kind} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.perSecond.toFixed(0)} | ${r.serverMeanMs!.toFixed(2)} | ${(r.bytes / 1024).toFixed(0)} KiB |\n`);
    process.stdout.write(`\nFirst full load (${N} subscriptions, ${world.statsRows} hourly rows): ${firstLoad.toFixed(1)} s to the first answer with data (diagnosis ${summary.diagnosisSeconds.toFixed(1)} s).\n`);
  }
} finally {
  await stopChild(server);
  await sim.remove();
  await db.stop();
  await rm(dir, { recursive: true, force: true });
}
