// Runs PHP (php-cli) on the extension's code with the pm_ stand-ins prepended
// (test/extension/php/stand-ins.php), the way Plesk runs extension scripts with
// its SDK prepended.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../helpers/repo-root.ts';

export const STAND_INS = resolve(repoRoot, 'test/extension/php/stand-ins.php');
export const PHP_DIR = resolve(repoRoot, 'test/extension/php');

export type StandinState = {
  session: null | { id: number; login: string; role: 'admin' | 'reseller' | 'client'; domains: number[]; permitted?: number[] };
  baseUrl?: string;
  locale?: string;
  sbinDir?: string;
  plesk?: string;
  plib?: string;
};

export type PhpResult = { code: number; stdout: string; stderr: string };

/** Writes the stand-ins' state into `dir` and returns its path. */
export function writeStandin(dir: string, state: StandinState, name = 'standin.json'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ baseUrl: '/modules/sendtrace/', locale: 'en-US', ...state }));
  return file;
}

export function runPhp(script: string, args: string[], o: { standin?: string; root?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<PhpResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...o.env };
  if (o.standin) env.SENDTRACE_STANDIN = o.standin;
  if (o.root) env.SENDTRACE_TEST_ROOT = o.root;
  return new Promise((ok) => {
    execFile('php', ['-d', `auto_prepend_file=${STAND_INS}`, '-d', 'display_errors=stderr', '-d', 'error_reporting=-1', script, ...args],
      { env, timeout: o.timeoutMs ?? 60_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => ok({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

/** Runs one of test/extension/php/*.php and parses its JSON output (failing loudly with PHP's stderr). */
export async function runPhpJson<T>(name: string, args: string[], o: Parameters<typeof runPhp>[2] = {}): Promise<T> {
  const r = await runPhp(join(PHP_DIR, name), args, o);
  if (r.code !== 0 || r.stderr.trim() !== '') throw new Error(`php ${name} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}
