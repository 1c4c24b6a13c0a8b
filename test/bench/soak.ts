// Soak of the sidecar (issue 10, `npm run bench:soak`): `sendtrace serve` with
// the live watcher on, over psa in a real MariaDB (api-data.ts's generated
// server), under steady load for 10 minutes (soak-load.ts): Postfix lines
// appended to its mail log, signed API reads and event streams over its unix
// socket. The sidecar runs as its own process, measured alone: a preload
// (soak-probe.mjs) reports its memory over IPC every ~10 s. Prints memory at
// the start, after warm-up (2 minutes) and at the end, the growth after
// warm-up and its ratio to the warm-up figure (the baseline of this run),
// request counts, errors (must be 0) and p50/p99 latency.
//
//   node --import ./test/helpers/register-ts.mjs test/bench/soak.ts [--minutes 10] [--subscriptions 2000]
//        [--days 7] [--lines-per-second 500] [--requests-per-second 10] [--concurrency 16] [--dist] [--json]
//        [--sidecar-log FILE] [--heap-snapshots DIR]
//
// --sidecar-log FILE keeps the sidecar's own log (JSON lines) for a post-mortem.
// --heap-snapshots DIR writes the sidecar's heap after warm-up and at the end
// (warm.heapsnapshot, end.heapsnapshot) for a comparison in Chrome DevTools.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadSecret } from '../../service/http/auth/secret-file.ts';
import { clientArgv, startMariadb } from '../helpers/mariadb.ts';
import { makePleskSim } from '../helpers/plesk-sim.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { requestSocket } from '../http/socket-client.ts';
import { writeBenchWorld } from './api-data.ts';
import { stopChild } from './bench-runner.ts';
import { appendSteadily, connectionPerRequest, requestSteadily } from './soak-load.ts';
import { formatSoak, summarizeSoak, warmUpSecondsOf, type Sample } from './soak-report.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  const v = i === -1 ? def : Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number, got '${args[i + 1]}'`);
  return v;
};
const MINUTES = opt('minutes', 10);
const N = opt('subscriptions', 2_000);
const DAYS = opt('days', 7);
const LINES_PER_SECOND = opt('lines-per-second', 500);
const REQUESTS_PER_SECOND = opt('requests-per-second', 10);
const CONCURRENCY = opt('concurrency', 16);
const SAMPLE_MS = 10_000;
const ZONE = 'Asia/Tokyo';
const log = (s: string) => process.stderr.write(`soak: ${s}\n`);

/** One sample of the sidecar: its memory (from the probe) and a few of its /metrics gauges. */
function prober(server: ChildProcess, socket: string) {
  let next = 0;
  const waiting = new Map<number, (m: Record<string, number>) => void>();
  server.on('message', (m: { id?: number }) => waiting.get(m.id!)?.(m as Record<string, number>));
  const ask = (message: object, ms: number) => new Promise<Record<string, number>>((ok, fail) => {
    const id = ++next;
    const t = setTimeout(() => { waiting.delete(id); fail(new Error(`the sidecar did not answer ${JSON.stringify(message)} within ${ms / 1000} s`)); }, ms);
    waiting.set(id, (m) => { clearTimeout(t); waiting.delete(id); ok(m); });
    server.send({ ...message, id });
  });
  const memory = () => ask({ type: 'memory' }, 10_000);
  /** The sidecar's own time for the API's requests (its /metrics histogram), summed over routes. */
  const served = (text: string) => {
    let sum = 0;
    let count = 0;
    for (const m of text.matchAll(/^sendtrace_http_request_duration_seconds_(sum|count)\{route="\/api[^"]*"\} ([0-9.e+-]+)$/gm)) {
      if (m[1] === 'sum') sum += Number(m[2]);
      else count += Number(m[2]);
    }
    return { servedSeconds: sum, served: count };
  };
  const metric = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  const snapshot = (path: string) => ask({ type: 'heap-snapshot', path }, 120_000);
  return { snapshot, sample: async (t0: number): Promise<Sample> => {
    const m = await memory();
    const text = (await requestSocket(socket, { path: '/metrics', agent: connectionPerRequest })).body;
    return {
      seconds: (performance.now() - t0) / 1000, rss: m.rss!, heapUsed: m.heapUsed!, heapAfterGc: m.heapAfterGc!, heapTotal: m.heapTotal!, external: m.external!,
      loopDelayP99Ms: m.loopDelayP99Ms!, loopDelayMaxMs: m.loopDelayMaxMs!, busy: m.busy!, load: loadavg()[0]!, ...served(text),
      streams: metric(text, 'sendtrace_event_streams'), liveLines: metric(text, 'sendtrace_live_lines_total'),
      lagSeconds: metric(text, 'sendtrace_live_log_lag_seconds'), generation: metric(text, 'sendtrace_diagnosis_generation'),
      sources: metric(text, 'sendtrace_live_sources'), refreshing: metric(text, 'sendtrace_diagnosis_refreshing') === 1, openIncidents: [...text.matchAll(/^sendtrace_live_open_incidents\{[^}]*\} (\d+)$/gm)].reduce((a, x) => a + Number(x[1]), 0),
    };
  } };
}

async function until(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const dir = await mkdtemp(join('/tmp', 'st-bench-soak-'));
const db = await startMariadb();
const sim = await makePleskSim({ socket: db.socket });
let server: ChildProcess | null = null;
let exitCode = 0;
try {
  const world = await writeBenchWorld(dir, { subscriptions: N, days: DAYS, activity: 1, now: Date.now(), zone: ZONE });
  const fd = openSync(world.sql, 'r');
  const loader = spawn(clientArgv(db.socket, 'psa')[0]!, clientArgv(db.socket, 'psa').slice(1), { stdio: [fd, 'inherit', 'inherit'] });
  const loaded = await new Promise<number | null>((ok) => loader.once('exit', ok));
  closeSync(fd);
  if (loaded !== 0) throw new Error(`loading psa failed (exit ${loaded})`);
  log(`psa: ${N} subscriptions, ${world.statsRows} hourly rows`);

  const config = join(dir, 'sendtrace.json');
  const socket = join(dir, 'api.sock');
  await writeFile(config, JSON.stringify({
    plesk: sim.path, maillog: [world.maillog], phpMailLog: [], accessLogs: [], vhostsRoot: world.vhosts, passwdFile: world.passwd, timezone: ZONE,
    stateDir: join(dir, 'state'), socketPath: socket, socketGroup: 'root', secretFile: join(dir, 'api-secret'), live: true, sendmail: null,
  }));
  const entry = args.includes('--dist') ? [join(repoRoot, 'dist/sendtrace.mjs')] : ['--import', join(repoRoot, 'test/helpers/register-ts.mjs'), join(repoRoot, 'service/main.ts')];
  // SOAK_SERVER_NODE_ARGS: more node flags for the sidecar, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' (where its main thread's time goes).
  const nodeArgs = (process.env.SOAK_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  server = spawn(process.execPath, [...nodeArgs, '--import', join(repoRoot, 'test/bench/soak-probe.mjs'), ...entry, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  // The sidecar's own log (JSON lines): warnings and errors are counted, the first few kept.
  const logged = { warn: 0, error: 0, examples: [] as string[] };
  let pending = '';
  const keepLog = (() => { const i = args.indexOf('--sidecar-log'); return i === -1 ? null : args[i + 1]!; })();
  server.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    if (keepLog) appendFileSync(keepLog, chunk);
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const l of lines) {
      const level = Number(/"level":(\d+)/.exec(l)?.[1] ?? 0);
      if (level >= 40) {
        logged[level >= 50 ? 'error' : 'warn']++;
        if (logged.examples.length < 5) logged.examples.push(l.slice(0, 300));
      }
    }
  });
  const started = performance.now();
  await until('the first diagnosis', async () => {
    const h = await requestSocket(socket, { path: '/healthz', agent: connectionPerRequest }).catch(() => null);
    return h?.status === 200 && (JSON.parse(h.body) as { generation: number }).generation > 0;
  }, 600_000);
  log(`sidecar ready in ${((performance.now() - started) / 1000).toFixed(1)} s; load for ${MINUTES} min`);

  const { sample, snapshot } = prober(server, socket);
  const snapshotsAt = (() => { const i = args.indexOf('--heap-snapshots'); return i === -1 ? null : args[i + 1]!; })();
  const warmUpSeconds = warmUpSecondsOf(MINUTES);
  let warmSnapshot = false;
  const key = loadSecret(join(dir, 'api-secret'), { gid: 0, create: false });
  const t0 = performance.now();
  const samples: Sample[] = [await sample(t0)];
  const appender = appendSteadily(world.maillog, { linesPerSecond: LINES_PER_SECOND, subscriptions: N, leakPerMinute: 60 });
  const api = requestSteadily(socket, key, { perSecond: REQUESTS_PER_SECOND, concurrency: CONCURRENCY, subscriptions: N, streamEverySeconds: 2 });
  const end = t0 + MINUTES * 60_000;
  const missed: string[] = [];
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(SAMPLE_MS, end - performance.now())));
    // A sample the sidecar cannot answer in time is a finding, not the end of the run.
    const s = await sample(t0).catch((err: Error) => { missed.push(`${((performance.now() - t0) / 60_000).toFixed(1)} min: ${err.message}`); return null; });
    if (!s) continue;
    samples.push(s);
    if (snapshotsAt && !warmSnapshot && s.seconds >= warmUpSeconds) {
      warmSnapshot = true;
      log(`heap snapshot: ${(await snapshot(join(snapshotsAt, 'warm.heapsnapshot'))).path}`);
    }
    log(`${(s.seconds / 60).toFixed(1)} min: rss ${(s.rss / 2 ** 20).toFixed(0)} MB, heap after GC ${(s.heapAfterGc / 2 ** 20).toFixed(1)} MB, ${api.outcomes.length} requests, live lag ${s.lagSeconds} s`);
  }
  if (snapshotsAt) log(`heap snapshot: ${(await snapshot(join(snapshotsAt, 'end.heapsnapshot'))).path}`);
  appender.stop();
  await api.stop();
  // The watcher reads every line written and the hub forgets every stream.
  const written = appender.lines();
  let drained = samples.at(-1)!;
  await until('the watcher to read every line and the event streams to close', async () => {
    drained = await sample(t0);
    return drained.liveLines >= written && drained.streams === 0;
  }, 60_000).catch((err: Error) => log(`${err.message}: read ${drained.liveLines} of ${written} lines, ${drained.streams} stream(s) open`));
  const summary = summarizeSoak({ minutes: MINUTES, subscriptions: N, linesPerSecond: LINES_PER_SECOND, requestsPerSecond: REQUESTS_PER_SECOND, concurrency: CONCURRENCY, linesWritten: written, samples, drained, outcomes: api.outcomes, logged, missed });
  process.stdout.write(args.includes('--json') ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSoak(summary)}\n`);
  if (summary.errors > 0 || summary.linesRead < written || drained.streams !== 0 || missed.length) exitCode = 1;
} finally {
  await stopChild(server);
  await sim.remove();
  await db.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = exitCode;
