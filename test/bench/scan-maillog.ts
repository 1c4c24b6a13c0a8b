// Speed bench of the maillog pass (issue 2): generates a Plesk-style maillog
// (BENCH_MB, default 1024) and times, on the same file, in the same run:
//   LC_ALL=C grep -c -E 'uid=[0-9]+ from='   — the floor: one regex, no state
//   sendtrace senders --json                  — our full pass (parse + accounting)
//   pflogsumm                                 — the classic Postfix log summariser (Perl)
// Prints MB/s, ratios to grep and peak memory (GNU time's maximum RSS).
//   npm run bench                      BENCH_MB=100 npm run bench
//   BENCH_KEEP=1 keeps the generated file; BENCH_SKIP=pflogsumm skips a tool.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../service/sources/run-command.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { generateMaillog } from './maillog-generator.ts';

const MB = Number(process.env.BENCH_MB ?? 1024);
const skip = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const TIME = '/usr/bin/time';
const HOUR = 3600_000;

type Run = { name: string; seconds: number; cpuSeconds: number | null; maxRssMb: number | null; stdout: string };

async function timed(name: string, argv: string[], dir: string, env: Record<string, string | undefined> = process.env): Promise<Run> {
  const stats = join(dir, `${name}.time`);
  const withTime = existsSync(TIME) ? [TIME, '-v', '-o', stats, ...argv] : argv;
  const t0 = performance.now();
  const r = await runCommand(withTime, { env, timeoutMs: 2 * HOUR, maxOutputBytes: 1024 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.code !== 0 && !(name === 'grep' && r.code === 1)) throw new Error(`${name} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  let maxRssMb: number | null = null;
  let cpuSeconds: number | null = null;
  if (existsSync(stats)) {
    const text = await readFile(stats, 'utf8');
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
    if (m) maxRssMb = Number(m[1]) / 1024;
    const user = /User time \(seconds\): ([\d.]+)/.exec(text);
    const sys = /System time \(seconds\): ([\d.]+)/.exec(text);
    if (user && sys) cpuSeconds = Number(user[1]) + Number(sys[1]);
  }
  return { name, seconds, cpuSeconds, maxRssMb, stdout: r.stdout };
}

const dir = await mkdtemp(join(tmpdir(), 'sendtrace-bench-'));
try {
  const file = join(dir, 'maillog');
  const g0 = performance.now();
  const gen = generateMaillog(file, MB * 1024 * 1024);
  const bytes = gen.bytes;
  console.log(`generated ${(bytes / 1e6).toFixed(0)} MB, ${gen.lines} lines, ${gen.messages} messages, ${gen.pickups} pickups, ${gen.limitRejects} limit rejects in ${((performance.now() - g0) / 1000).toFixed(1)} s`);

  // Measure the current sources, as shipped: one bundled file.
  const dist = join(repoRoot, 'dist/sendtrace.mjs');
  const b = await runCommand([process.execPath, 'build.mjs'], { cwd: repoRoot, timeoutMs: 300_000 });
  if (b.code !== 0) throw new Error(`build failed: ${b.stderr}`);
  const runs: Run[] = [];
  const grepArgv = ['grep', '-c', '-E', 'uid=[0-9]+ from=', file];
  const cEnv = { ...process.env, LC_ALL: 'C' };
  await runCommand(grepArgv, { env: cEnv, timeoutMs: HOUR });            // warm the page cache
  const grep = await timed('grep', grepArgv, dir, cEnv);
  runs.push(grep);
  const ours = await timed('senders', [process.execPath, dist, 'senders', '--maillog', file, '--json'], dir);
  runs.push(ours);
  if (!skip.has('pflogsumm') && existsSync('/usr/sbin/pflogsumm')) runs.push(await timed('pflogsumm', ['/usr/sbin/pflogsumm', file], dir));

  // The two counts must agree: every pickup line is one message of a uid sender.
  const doc = JSON.parse(ours.stdout) as { messages: number; senders: Array<{ kind: string; messages: number }>; limitRejects: { total: number } };
  const uidMessages = doc.senders.filter((s) => s.kind === 'uid').reduce((n, s) => n + s.messages, 0);
  console.log(`check: grep counted ${grep.stdout.trim()} pickup lines; senders counted ${uidMessages} uid messages (generator: ${gen.pickups}); messages ${doc.messages} (generator: ${gen.messages}); limit rejects ${doc.limitRejects.total} (generator: ${gen.limitRejects})`);

  // Wall time depends on what else the machine runs; CPU time (user + system) less so.
  const cpu = (r: Run) => (r.cpuSeconds === null ? 'n/a' : r.cpuSeconds.toFixed(2));
  const cpuRatio = (r: Run) => (r.cpuSeconds === null || !grep.cpuSeconds ? 'n/a' : (r.cpuSeconds / grep.cpuSeconds).toFixed(1));
  console.log('\ntool        wall s     MB/s   × grep    cpu s  cpu × grep   max RSS MB');
  for (const r of runs) {
    const rss = r.maxRssMb === null ? 'n/a' : r.maxRssMb.toFixed(0);
    console.log(`${r.name.padEnd(10)} ${r.seconds.toFixed(2).padStart(8)} ${(bytes / 1e6 / r.seconds).toFixed(0).padStart(8)} ${(r.seconds / grep.seconds).toFixed(1).padStart(8)} ${cpu(r).padStart(8)} ${cpuRatio(r).padStart(11)} ${rss.padStart(12)}`);
  }
} finally {
  if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
