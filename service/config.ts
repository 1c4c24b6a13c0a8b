// Config through one door (STYLE.md rule 5): loadConfig() is the only reader of
// the config file and of process.env. Keys: CONTRACT.md "Config file".
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { createError, describeError } from './errors.ts';
import { isValidZone, systemZone } from './time.ts';

const pathList = z.union([z.string().min(1), z.array(z.string().min(1))]).transform((v) => (Array.isArray(v) ? v : [v]));

export const ConfigFileSchema = z.strictObject({
  plesk: z.string().min(1).optional(),
  maillog: pathList.optional(),
  phpMailLog: pathList.optional(),
  accessLogs: pathList.optional(),
  vhostsRoot: z.string().min(1).optional(),
  passwdFile: z.string().min(1).optional(),
  timezone: z.string().min(1).refine(isValidZone, 'not a known IANA time zone').optional(),
  stateDir: z.string().min(1).optional(),
  quarantineDir: z.string().min(1).optional(),
  postfixBin: z.string().min(1).optional(),
  // The sidecar (`serve`, DESIGN.md §4; docs/decisions/007-sidecar-trust.md).
  socketPath: z.string().min(1).max(100).optional(),   // sun_path holds 108 bytes
  socketGroup: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'not a group name').optional(),
  secretFile: z.string().min(1).optional(),
  metricsPort: z.number().int().min(1).max(65535).nullable().optional(),
});
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export type Config = {
  plesk: string;
  maillog: string[];
  phpMailLog: string[];
  accessLogs: string[];
  vhostsRoot: string;
  passwdFile: string;
  timezone: string;
  stateDir: string;
  quarantineDir: string;
  postfixBin: string;
  socketPath: string;
  socketGroup: string;
  secretFile: string;
  /** Loopback TCP port serving /metrics only; null: none. */
  metricsPort: number | null;
  /** Where the config came from, for messages. */
  source: string;
};

// Plesk's defaults (CONTRACT.md; reference/plesk.md §1.7 for the log paths [V]).
export const PLESK_DEFAULTS = {
  plesk: 'plesk',
  maillog: ['/var/log/maillog*', '/var/log/mail.log*', '/usr/local/psa/var/log/maillog*'],
  phpMailLog: [] as string[],
  accessLogs: ['/var/www/vhosts/system/*/logs/*access*log*'],
  vhostsRoot: '/var/www/vhosts',
  passwdFile: '/etc/passwd',
  stateDir: '/usr/local/psa/var/modules/sendtrace',
  postfixBin: '/usr/sbin',
  // The panel (PHP, group psaadm) reaches the socket and reads the secret; nobody else does.
  socketPath: '/run/sendtrace/sendtrace.sock',
  socketGroup: 'psaadm',
  secretFile: '/etc/sendtrace/api-secret',
};

/** Relative paths in a config file are relative to that file, so a config travels with its data. */
function anchor(base: string, p: string): string {
  return isAbsolute(p) || base === '' ? p : resolve(base, p);
}

export function parseConfig(raw: unknown, source: string, baseDir: string, env: Record<string, string | undefined> = {}): Config {
  const parsed = ConfigFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? `'${issue.path.join('.')}'` : (issue.code === 'unrecognized_keys' ? `'${(issue as { keys: string[] }).keys.join("', '")}'` : 'document');
    const what = issue.code === 'unrecognized_keys' ? 'unknown key (typo?)' : issue.message;
    throw createError('SENDTRACE_ERR_CONFIG', `${field} in ${source}`, what);
  }
  const c = parsed.data;
  const at = (p: string) => anchor(baseDir, p);
  const stateDir = c.stateDir ? at(c.stateDir) : PLESK_DEFAULTS.stateDir;
  return {
    // `plesk` may be a bare command name resolved through PATH.
    plesk: c.plesk ? (c.plesk.includes('/') ? at(c.plesk) : c.plesk) : PLESK_DEFAULTS.plesk,
    maillog: (c.maillog ?? PLESK_DEFAULTS.maillog).map(at),
    phpMailLog: (c.phpMailLog ?? PLESK_DEFAULTS.phpMailLog).map(at),
    accessLogs: (c.accessLogs ?? PLESK_DEFAULTS.accessLogs).map(at),
    vhostsRoot: c.vhostsRoot ? at(c.vhostsRoot) : PLESK_DEFAULTS.vhostsRoot,
    passwdFile: c.passwdFile ? at(c.passwdFile) : PLESK_DEFAULTS.passwdFile,
    timezone: c.timezone ?? (env.TZ && isValidZone(env.TZ) ? env.TZ : systemZone()),
    stateDir,
    quarantineDir: c.quarantineDir ? at(c.quarantineDir) : resolve(stateDir, 'quarantine'),
    postfixBin: c.postfixBin ? at(c.postfixBin) : PLESK_DEFAULTS.postfixBin,
    socketPath: c.socketPath ? at(c.socketPath) : PLESK_DEFAULTS.socketPath,
    socketGroup: c.socketGroup ?? PLESK_DEFAULTS.socketGroup,
    secretFile: c.secretFile ? at(c.secretFile) : PLESK_DEFAULTS.secretFile,
    metricsPort: c.metricsPort ?? null,
    source,
  };
}

export function loadConfig(file: string | undefined, env: Record<string, string | undefined> = process.env): Config {
  if (!file) return parseConfig({}, "Plesk's defaults", '', env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw createError('SENDTRACE_ERR_CONFIG_READ', file, describeError(err));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw createError('SENDTRACE_ERR_CONFIG', `file ${file}`, `not valid JSON (${(err as Error).message})`);
  }
  return parseConfig(raw, file, dirname(resolve(file)), env);
}
