// A small Plesk server for the action tests, in a temp dir: psa data (through
// the plesk simulator), subscription homes with real files owned by the
// subscriptions' UIDs, a passwd file, a config file, and a way to run the
// action commands as the CLI would (flags → CommandContext → run function).
//
// Subscriptions: acme.example (#1, uid 10001, additional domain acme-shop.example),
// other.example (#2, uid 10002), evil.example (#3: psa says its home is /etc —
// hostile or broken data must not make /etc a customer's home).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readPanelNow } from '../../service/actions/action-context.ts';
import { checkFileInSubscription, subscriptionPlaces, type CheckedFile } from '../../service/actions/safe-path.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../service/config.ts';
import { SendtraceError } from '../../service/errors.ts';
import type { CommandContext, CommandResult } from '../../service/commands/command.ts';
import { runQuarantine } from '../../service/commands/quarantine.ts';
import { runRestore } from '../../service/commands/restore.ts';
import { runQuarantineList } from '../../service/commands/quarantine-list.ts';
import { runResetPasswords } from '../../service/commands/reset-passwords.ts';
import { runPurgeQueue } from '../../service/commands/purge-queue.ts';
import { runAudit } from '../../service/commands/audit.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';

export const ZONE = 'Asia/Tokyo';
export const ACME = { uid: 10001, gid: 1004, login: 'acme', domain: 'acme.example' };
export const OTHER = { uid: 10002, gid: 1004, login: 'other', domain: 'other.example' };

export const PSA_SQL = `
INSERT INTO clients (id, login, type, parent_id, email, guid, pname) VALUES
  (1, 'admin', 'admin', NULL, 'admin@host.example', 'g-1', 'Administrator'),
  (2, 'reseller1', 'reseller', 1, NULL, 'g-2', 'Reseller'),
  (3, 'acme', 'client', 2, 'boss@acme.example', 'g-3', 'ACME'),
  (4, 'other', 'client', 1, NULL, 'g-4', 'Other');
INSERT INTO domains (id, name, displayName, status, htype, cl_id, guid, webspace_id) VALUES
  (10, 'acme.example', 'acme.example', 0, 'vrt_hst', 3, 'd-10', 0),
  (11, 'acme-shop.example', 'acme-shop.example', 0, 'vrt_hst', 3, 'd-11', 10),
  (20, 'other.example', 'other.example', 0, 'vrt_hst', 4, 'd-20', 0),
  (30, 'evil.example', 'evil.example', 0, 'vrt_hst', 1, 'd-30', 0);
INSERT INTO Subscriptions (id, object_id, object_type, uuid) VALUES (1, 10, 'domain', 's-1'), (2, 20, 'domain', 's-2'), (3, 30, 'domain', 's-3');
INSERT INTO sys_users (id, login, home) VALUES
  (100, 'acme', '/var/www/vhosts/acme.example'),
  (101, 'other', '/var/www/vhosts/other.example'),
  (102, 'evilhome', '/etc');
INSERT INTO hosting (dom_id, sys_user_id, www_root, php_handler_id) VALUES
  (10, 100, '/var/www/vhosts/acme.example/httpdocs', 'plesk-php82-fpm'),
  (11, 100, '/var/www/vhosts/acme.example/acme-shop.example', 'plesk-php82-fpm'),
  (20, 101, '/var/www/vhosts/other.example/httpdocs', 'plesk-php82-fpm'),
  (30, 102, '/etc', 'plesk-php82-fpm');
INSERT INTO mail (id, mail_name, dom_id) VALUES (1000, 'info', 10), (1001, 'sales', 10), (1002, 'shop', 11), (1003, 'admin', 20);
INSERT INTO smb_users (id, login, ownerId, isBuiltIn, email) VALUES
  (1, 'acme', 3, 1, 'boss@acme.example'),
  (2, 'acme-web', 3, 0, 'web@acme.example'),
  (3, 'other-staff', 4, 0, NULL);
`;

export type World = {
  root: string;
  vhostsRoot: string;
  stateDir: string;
  quarantineDir: string;
  configPath: string;
  config: Config;
  dataPath: string;
  sim: PleskSim;
  acmeHome: string;
  acmeDocroot: string;
  otherDocroot: string;
  /** Writes a file owned by a subscription user (default acme), mode 0644 unless given. */
  put(path: string | Buffer, content: string | Buffer, o?: { uid?: number; gid?: number; mode?: number }): Promise<string | Buffer>;
  run(command: CommandName, args: string[], env?: Record<string, string | undefined>): Promise<RunOutcome>;
  remove(): Promise<void>;
};

export type RunOutcome = { exit: number; json: any; text: string; notes: string[]; error: SendtraceError | null };

export const COMMANDS = {
  quarantine: runQuarantine,
  restore: runRestore,
  'quarantine-list': runQuarantineList,
  'reset-passwords': runResetPasswords,
  'purge-queue': runPurgeQueue,
  audit: runAudit,
} as const;
export type CommandName = keyof typeof COMMANDS;

const BOOL = new Set(['json', 'dry-run', 'force', 'system-user', 'panel-login', 'help']);

/** argv → flags, the way cli.ts does it for these commands (booleans take no value). */
export function flagsOf(args: string[]): Map<string, string[]> {
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.replace(/^--/, '');
    const value = BOOL.has(name) ? '' : args[++i]!;
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return flags;
}

export async function runAction(config: Config, command: CommandName, args: string[], env: Record<string, string | undefined> = process.env): Promise<RunOutcome> {
  const ctx: CommandContext = { config, env, args: { command, flags: flagsOf(args), positional: [] } };
  try {
    const r: CommandResult = await COMMANDS[command](ctx);
    return { exit: r.exit, json: r.json, text: r.text, notes: r.notes, error: null };
  } catch (err) {
    if (err instanceof SendtraceError) return { exit: err.exit, json: null, text: err.message, notes: [], error: err };
    throw err;
  }
}

export type WorldOptions = {
  quarantineDir?: string | ((p: { root: string; acmeDocroot: string }) => string);
  /** How to make the `plesk` command (default: the simulator on sql.js over this world's psa data). */
  makePlesk?: (p: { root: string; dataPath: string }) => Promise<PleskSim>;
  extraConfig?: Record<string, unknown>;
};

export async function makeWorld(o: WorldOptions = {}): Promise<World> {
  const root = await mkdtemp(join(tmpdir(), 'sendtrace-actions-'));
  await chmod(root, 0o755);
  const vhostsRoot = join(root, 'vhosts');
  const stateDir = join(root, 'state');
  const acmeHome = join(vhostsRoot, 'acme.example');
  const acmeDocroot = join(acmeHome, 'httpdocs');
  const quarantineDir = typeof o.quarantineDir === 'function' ? o.quarantineDir({ root, acmeDocroot }) : o.quarantineDir ?? join(stateDir, 'quarantine');
  const otherDocroot = join(vhostsRoot, 'other.example', 'httpdocs');
  for (const d of [acmeDocroot, join(acmeHome, 'acme-shop.example'), otherDocroot]) await mkdir(d, { recursive: true, mode: 0o755 });
  for (const d of [acmeHome, acmeDocroot, join(acmeHome, 'acme-shop.example')]) await chown(d, ACME.uid, ACME.gid);
  const dataPath = join(root, 'psa-data.sql');
  await writeFile(dataPath, PSA_SQL);
  const passwdFile = join(root, 'passwd');
  // The system's accounts (Postfix's tools look up their own user in it when a
  // test bind-mounts it over /etc/passwd) plus the subscriptions' users.
  const system = readFileSync('/etc/passwd', 'utf8').split('\n').filter((l) => l !== '' && !/^(acme|other):/.test(l)).join('\n');
  await writeFile(passwdFile, `${system}\nacme:x:${ACME.uid}:${ACME.gid}::${acmeHome}:/bin/false\nother:x:${OTHER.uid}:${OTHER.gid}::${join(vhostsRoot, 'other.example')}:/bin/false\n`);
  const sim = o.makePlesk ? await o.makePlesk({ root, dataPath }) : await makePleskSim({ sqlite: dataPath });
  const configPath = join(root, 'sendtrace.json');
  await writeFile(configPath, JSON.stringify({
    plesk: sim.path, vhostsRoot, stateDir, quarantineDir, passwdFile, timezone: ZONE,
    maillog: [join(root, 'maillog')], phpMailLog: [], accessLogs: [], ...o.extraConfig,
  }));
  const config = loadConfig(configPath, {});
  const world: World = {
    root, vhostsRoot, stateDir, quarantineDir, configPath, config, dataPath, sim, acmeHome, acmeDocroot, otherDocroot,
    async put(path, content, p = {}) {
      await writeFile(path, content);
      await chown(path, p.uid ?? ACME.uid, p.gid ?? ACME.gid);
      await chmod(path, p.mode ?? 0o644);
      return path;
    },
    run: (command, args, env) => runAction(config, command, args, env),
    async remove() {
      await sim.remove();
      await rm(root, { recursive: true, force: true });
    },
  };
  return world;
}

/** The checked, opened file as the quarantine command gets it (for function-level tests). */
export async function checkAt(w: World, path: string | Buffer): Promise<CheckedFile> {
  const places = subscriptionPlaces(await readPanelNow(w.config, Date.now()), w.config.vhostsRoot);
  return checkFileInSubscription(Buffer.isBuffer(path) ? path : Buffer.from(path), places, w.config);
}

/** Every file under `dir` whose content hashes to `sha256` (a renamed copy would show up here). */
export function filesWithContent(dir: string, sha256: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && createHash('sha256').update(readFileSync(p)).digest('hex') === sha256) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export const sha256Of = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
