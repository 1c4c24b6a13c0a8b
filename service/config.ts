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
  // The live watcher (docs/live.md; docs/decisions/010-live-thresholds.md).
  live: z.boolean().optional(),
  livePollMs: z.number().int().min(200).max(60_000).optional(),
  liveBurstPerMinute: z.number().int().min(1).max(1_000_000).optional(),
  liveBurstFactor: z.number().min(2).max(1000).optional(),
  liveMaxSources: z.number().int().min(100).max(1_000_000).optional(),
  sendmail: z.string().min(1).nullable().optional(),
  notifyFrom: z.email().max(254).optional(),
  adminEmail: z.email().max(254).nullable().optional(),
  webhookUrl: z.url({ protocol: /^https?$/ }).max(2000).nullable().optional(),
  webhookSecretFile: z.string().min(1).optional(),
}).refine((c) => !c.webhookUrl || c.webhookSecretFile, { message: 'webhookUrl needs webhookSecretFile (the HMAC key; never inline in the config)', path: ['webhookSecretFile'] });
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
  /** The live watcher: whether `serve` runs it, and its tuning (docs/live.md). */
  live: boolean;
  livePollMs: number;
  liveBurstPerMinute: number;
  liveBurstFactor: number;
  liveMaxSources: number;
  /** The local sendmail for incident e-mail; null: no e-mail. */
  sendmail: string | null;
  /** Envelope sender and From: of incident e-mail; null: sendtrace@<hostname>. */
  notifyFrom: string | null;
  /** Overrides psa's admin address for incident e-mail. */
  adminEmail: string | null;
  webhookUrl: string | null;
  webhookSecretFile: string | null;
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
  sendmail: '/usr/sbin/sendmail',
  livePollMs: 1000,
  liveBurstPerMinute: 30,
  liveBurstFactor: 10,
  liveMaxSources: 20_000,
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
    live: c.live ?? true,
    livePollMs: c.livePollMs ?? PLESK_DEFAULTS.livePollMs,
    liveBurstPerMinute: c.liveBurstPerMinute ?? PLESK_DEFAULTS.liveBurstPerMinute,
    liveBurstFactor: c.liveBurstFactor ?? PLESK_DEFAULTS.liveBurstFactor,
    liveMaxSources: c.liveMaxSources ?? PLESK_DEFAULTS.liveMaxSources,
    sendmail: c.sendmail === null ? null : c.sendmail ? (c.sendmail.includes('/') ? at(c.sendmail) : c.sendmail) : PLESK_DEFAULTS.sendmail,
    notifyFrom: c.notifyFrom ?? null,
    adminEmail: c.adminEmail ?? null,
    webhookUrl: c.webhookUrl ?? null,
    webhookSecretFile: c.webhookSecretFile ? at(c.webhookSecretFile) : null,
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
