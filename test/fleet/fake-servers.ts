// The "Plesk servers" behind the test sshd instances. Each is a directory with
// a CLI entry the inventory's `sendtrace_cli` points at: a small .mjs that runs
// the real dist/sendtrace.mjs with that server's config (its own psa data via
// the plesk simulator, its own logs), or misbehaves on purpose.
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { quoteWord } from '../../service/fleet/quote.ts';
import type { World } from '../fixtures/expand/world.ts';
import { repoRoot } from '../helpers/repo-root.ts';

export const distCli = resolve(repoRoot, 'dist/sendtrace.mjs');
const pleskSim = resolve(repoRoot, 'test/plesk-sim/plesk.mjs');

export function requireDist(): void {
  if (!existsSync(distCli)) throw new Error(`${distCli} is missing: run 'node build.mjs' first (npm test does)`);
}

export type FakeServer = { dir: string; cli: string; plesk: string; stateDir: string; remove: () => Promise<void> };

/** A `plesk` wrapper bound to this server's psa data and extension state. */
export async function writePleskWrapper(dir: string, env: Record<string, string>, name = 'plesk'): Promise<string> {
  const path = join(dir, name);
  const lines = Object.entries(env).flatMap(([k, v]) => [`${k}=${quoteWord(v)}`, `export ${k}`]);
  await writeFile(path, ['#!/bin/sh', 'unset PLESK_SIM_MARIADB_SOCKET PLESK_SIM_RECORD PLESK_SIM_EXTENSION_FAIL', ...lines, `exec ${quoteWord(process.execPath)} ${quoteWord(pleskSim)} "$@"`, ''].join('\n'));
  await chmod(path, 0o755);
  return path;
}

/** The CLI entry: dist/sendtrace.mjs with `--config` (and `--now`) appended to whatever the fleet asks. */
async function writeCliWrapper(dir: string, extraArgs: string[]): Promise<string> {
  const path = join(dir, 'sendtrace.mjs');
  await writeFile(path, `process.argv.push(...${JSON.stringify(extraArgs)});\nawait import(${JSON.stringify(pathToFileURL(distCli).href)});\n`);
  return path;
}

async function server(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A server whose psa is `psaData` (sql.js backend), with no mail or web logs. */
export async function makePsaServer(psaData: string, now: string): Promise<FakeServer> {
  const { dir, remove } = await server('st-fake-psa-');
  const stateDir = join(dir, 'sim-state');
  const plesk = await writePleskWrapper(dir, { PLESK_SIM_SQL_DATA: psaData, PLESK_SIM_CACHE_DIR: dir, PLESK_SIM_STATE_DIR: stateDir });
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ plesk, maillog: [join(dir, 'mail.log')], accessLogs: [], timezone: 'Asia/Tokyo', stateDir: join(dir, 'state'), vhostsRoot: join(dir, 'vhosts') }));
  await writeFile(join(dir, 'mail.log'), '');
  return { dir, cli: await writeCliWrapper(dir, ['--config', config, '--now', now]), plesk, stateDir, remove };
}

/** The fixture world (test/fixtures/expand): the incident server, logs and all. */
export async function makeWorldServer(world: World): Promise<FakeServer> {
  const { dir, remove } = await server('st-fake-world-');
  const stateDir = join(dir, 'sim-state');
  const plesk = await writePleskWrapper(dir, { PLESK_SIM_SQL_DATA: join(world.dir, 'psa.sql'), PLESK_SIM_CACHE_DIR: dir, PLESK_SIM_STATE_DIR: stateDir });
  const raw = JSON.parse(await readFile(join(world.dir, 'config.json'), 'utf8')) as Record<string, string | string[]>;
  const abs = (p: string) => resolve(world.dir, p);
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({
    ...raw, plesk, maillog: (raw.maillog as string[]).map(abs), phpMailLog: (raw.phpMailLog as string[]).map(abs), accessLogs: (raw.accessLogs as string[]).map(abs),
    vhostsRoot: abs(raw.vhostsRoot as string), passwdFile: abs(raw.passwdFile as string), stateDir: join(dir, 'state'),
  }));
  return { dir, cli: await writeCliWrapper(dir, ['--config', config, '--now', world.now]), plesk, stateDir, remove };
}

const MISBEHAVIOUR = {
  // An HTML error page with a terminal escape that would clear the operator's screen.
  garbage: "process.stdout.write('\\x1b[2J\\x1b[H<html><body>502 Bad Gateway</body></html>\\n{\"half\": ');",
  // Never answers (ends itself after a minute so nothing outlives the test).
  hang: 'setTimeout(() => {}, 60_000);',
  // A sendtrace from before `diagnose` existed.
  old: "process.stderr.write(\"sendtrace: unknown command 'diagnose'\\nusage: sendtrace <command> [options]\\n\"); process.exitCode = 2;",
  // Leaves a mark if it ever runs (a host that must be refused before any command).
  canary: "(await import('node:fs')).writeFileSync(new URL('./ran', import.meta.url), 'ran');",
  // Valid JSON, but not the diagnose contract.
  'wrong-json': "process.stdout.write(JSON.stringify({ now: '2022-02-03T23:00:00+09:00', warnings: [], subscriptions: [{ id: 'one' }] }));",
} as const;

export async function makeMisbehavingServer(kind: keyof typeof MISBEHAVIOUR): Promise<FakeServer> {
  const { dir, remove } = await server(`st-fake-${kind}-`);
  const cli = join(dir, 'sendtrace.mjs');
  await writeFile(cli, `${MISBEHAVIOUR[kind]}\n`);
  return { dir, cli, plesk: '/nonexistent/plesk', stateDir: join(dir, 'sim-state'), remove };
}

/** A tiny valid `diagnose --json` document, for tests about SSH rather than diagnosis. */
export function cannedDiagnosis(names: string[], blocked = ''): object {
  return {
    now: '2022-02-03T23:00:00+09:00', warnings: [],
    subscriptions: names.map((name, i) => ({
      id: i + 1, name, owner: { login: `c${i}`, type: 'client' }, status: name === blocked ? 'not-sending' : 'sending', blockedSince: name === blocked ? '2022-02-03T15:00:00+09:00' : null,
      lastHour: { passed: 0, rejected: 0, limit: 500 }, cause: name === blocked ? 'script' : 'none', explanation: { en: '', ja: '' },
      sources: name === blocked ? [{ kind: 'script', path: `/var/www/vhosts/${name}/httpdocs/mail.php`, messages: 500, firstSeen: null, lastSeen: null, confidence: 0.9, evidence: [] }] : [],
      leak: null, risk: name === blocked ? 100 : 0,
    })),
  };
}

/** The JS of a CLI that prints `doc` as `diagnose --json` would. */
export const cannedCliSource = (doc: object) => `process.stdout.write(${JSON.stringify(JSON.stringify(doc))});\n`;

export async function makeCannedServer(doc: object): Promise<FakeServer> {
  const { dir, remove } = await server('st-fake-canned-');
  const cli = join(dir, 'sendtrace.mjs');
  await writeFile(cli, cannedCliSource(doc));
  return { dir, cli, plesk: '/nonexistent/plesk', stateDir: join(dir, 'sim-state'), remove };
}

/** A server with no sendtrace yet: a `plesk` that keeps extensions in its state dir (and records calls). */
export async function makeBareServer(o: { record?: boolean } = {}): Promise<FakeServer & { productRoot: string; record: string }> {
  const { dir, remove } = await server('st-fake-bare-');
  const stateDir = join(dir, 'sim-state');
  const record = join(dir, 'calls.jsonl');
  const plesk = await writePleskWrapper(dir, { PLESK_SIM_STATE_DIR: stateDir, ...(o.record ? { PLESK_SIM_RECORD: record } : {}) });
  const productRoot = join(stateDir, 'psa');
  return { dir, cli: join(productRoot, 'admin/plib/modules/sendtrace/sidecar/sendtrace.mjs'), plesk, stateDir, productRoot, record, remove };
}

/** A second `plesk` for the same server whose extension installer fails. */
export const failingPlesk = (s: FakeServer) => writePleskWrapper(s.dir, { PLESK_SIM_STATE_DIR: s.stateDir, PLESK_SIM_EXTENSION_FAIL: '1' }, 'plesk-failing');
