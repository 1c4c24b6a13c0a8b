// Timing one command for the bench: wall time, CPU time (user + system, the
// process and its children) and peak RSS, from GNU time (/usr/bin/time -v).
// Without it only wall time is known (Node reports no rusage per child).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export type Run = { name: string; seconds: number; cpuSeconds: number; maxRssMb: number; code: number | null; stdout: string; stderr: string };

const TIME = '/usr/bin/time';

export async function timed(name: string, argv: string[], dir: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const stats = join(dir, `${name}.time`);
  const gnu = existsSync(TIME);
  const full = gnu ? [TIME, '-v', '-o', stats, ...argv] : argv;
  const t0 = performance.now();
  const child = spawn(full[0]!, full.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  });
  const seconds = (performance.now() - t0) / 1000;
  let cpuSeconds = NaN;
  let maxRssMb = NaN;
  if (gnu && existsSync(stats)) {
    const text = await readFile(stats, 'utf8');
    const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    cpuSeconds = num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/);
    maxRssMb = num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024;
    await rm(stats, { force: true });
  }
  return { name, seconds, cpuSeconds, maxRssMb, code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

export const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export type Row = { name: string; runs: Run[] };

/** The table: medians of wall and CPU time, throughput, ratios to grep and to pflogsumm, the largest peak RSS. */
export function formatTable(rows: Row[], bytes: number, grep: Row, pflogsumm: Row | null): string {
  const w = (r: Row) => median(r.runs.map((x) => x.seconds));
  const c = (r: Row) => median(r.runs.map((x) => x.cpuSeconds));
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const lines = ['tool               runs   wall s    MB/s  × grep   cpu s  cpu × grep  pflogsumm ÷  max RSS MB'];
  for (const r of rows) {
    const ratioP = pflogsumm ? w(pflogsumm) / w(r) : NaN;
    lines.push([
      r.name.padEnd(17), String(r.runs.length).padStart(5), f(w(r)).padStart(8), f(bytes / 1e6 / w(r), 0).padStart(7),
      f(w(r) / w(grep), 1).padStart(7), f(c(r)).padStart(7), f(c(r) / c(grep), 1).padStart(11), f(ratioP, 1).padStart(12),
      f(Math.max(...r.runs.map((x) => x.maxRssMb)), 0).padStart(12),
    ].join(' '));
  }
  return lines.join('\n');
}

/** Stops a benchmark's server process (SIGTERM) and waits for it to exit; nothing to do if it already has. */
export async function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
