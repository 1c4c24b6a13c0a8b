// What every action command does first: open the audit log (an action that
// cannot be recorded is not done), know who acts, recover any operation a
// crash interrupted, and read its flags.
import { join, relative, isAbsolute } from 'node:path';
import type { CommandContext } from '../commands/command.ts';
import type { Config } from '../config.ts';
import { createError, EXIT, SendtraceError } from '../errors.ts';
import { readPanel } from '../sources/panel-db.ts';
import type { PanelData } from '../sources/panel-data.ts';
import { describeActor, openAuditLog, type AuditEntry, type AuditLog } from './audit-log.ts';
import { recoverPending } from './recovery.ts';
import type { SubscriptionPlace } from './safe-path.ts';

export type ActionStart = { audit: AuditLog; actor: string; now: number; notes: string[] };

export function startAction(ctx: CommandContext, o: { recover: boolean }): ActionStart {
  const { config } = ctx;
  const audit = openAuditLog(config.stateDir, config.timezone);
  const now = Date.now();
  const notes: string[] = [];
  if (o.recover) {
    const r = recoverPending(config, now, config.timezone);
    if (r.rolledForward.length) notes.push(`recovered interrupted operations (completed): ${r.rolledForward.join(', ')}`);
    if (r.rolledBack.length) notes.push(`recovered interrupted operations (undone, nothing had moved): ${r.rolledBack.join(', ')}`);
    notes.push(...r.warnings);
  }
  return { audit, actor: describeActor(ctx.env), now, notes };
}

export const valueFlag = (ctx: CommandContext, name: string): string | undefined => ctx.args.flags.get(name)?.[0];
export const boolFlag = (ctx: CommandContext, name: string): boolean => ctx.args.flags.has(name);

export function requiredFlag(ctx: CommandContext, name: string, usage: string): string {
  const v = valueFlag(ctx, name);
  if (v === undefined || v === '') throw createError('SENDTRACE_ERR_USAGE', `--${name} is required\nusage: sendtrace ${usage}`);
  return v;
}

/** Text a user typed (a reason), made safe for one line of a log: no control characters, bounded. */
export function cleanText(text: string, max = 500): string {
  return text.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, max);
}

/** psa, read as of now (actions need the subscriptions, not the statistics). */
export async function readPanelNow(config: Config, now: number): Promise<PanelData> {
  const { panel } = await readPanel(config, { since: now, until: now });
  return panel;
}

/**
 * Runs an action body and records its outcome in the audit log: success as
 * the body says, a refusal (exit 3) as 'refused', a failure (rolled back, or
 * any other coded error) as 'failed'; the error still propagates to the CLI.
 */
export async function audited<T>(start: ActionStart, base: Pick<AuditEntry, 'action' | 'target' | 'subscription' | 'dryRun'>, body: () => Promise<{ value: T; entry: Partial<AuditEntry> }>): Promise<T> {
  let entry: Partial<AuditEntry>;
  let value: T;
  try {
    ({ value, entry } = await body());
  } catch (err) {
    if (err instanceof SendtraceError) {
      start.audit.append({ ...base, actor: start.actor, result: err.exit === EXIT.refused && err.code !== 'SENDTRACE_ERR_ACTION_FAILED' ? 'refused' : 'failed', reason: err.message });
    }
    throw err;
  }
  start.audit.append({ ...base, actor: start.actor, result: 'done', reason: null, ...entry });
  return value;
}

/** The quarantine must never be web-served: refuse a quarantineDir inside the vhosts or a docroot. */
export function checkQuarantineDirPlacement(config: Config, places: SubscriptionPlace[]): void {
  const inside = (dir: string, root: string) => {
    const rel = relative(root, dir);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  const webRoots = [config.vhostsRoot, ...places.flatMap((p) => [p.home, ...p.docroots])];
  const hit = webRoots.find((r) => inside(config.quarantineDir, r) || inside(join(config.quarantineDir, 'x'), r));
  if (hit) throw createError('SENDTRACE_ERR_CONFIG', `'quarantineDir' in ${config.source}`, `${config.quarantineDir} is inside the web space (${hit}); quarantined files must never be reachable by the web server`);
}
