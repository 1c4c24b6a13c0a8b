// What every action command does first: open the audit log (an action that
// cannot be recorded is not done), know who acts, recover any operation a
// crash interrupted, and read its flags.
import { join, relative, isAbsolute } from 'node:path';
import type { CommandContext } from '../commands/command.ts';
import type { Config } from '../config.ts';
import { createError, EXIT, SendtraceError } from '../errors.ts';
import { readPanel } from '../sources/panel-db.ts';
import type { PanelData } from '../sources/panel-data.ts';
import { describeActor, openAuditLog, type AuditEntry, type AuditLog, type AuditRoom } from './audit-log.ts';
import { recoverPending } from './recovery.ts';
import type { SubscriptionPlace } from './safe-path.ts';

/** `unrecorded`: set by audited() when the outcome is known but its audit record could not be written (a note says so). */
export type ActionStart = { audit: AuditLog; actor: string; now: number; notes: string[]; unrecorded: boolean };

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
  return { audit, actor: describeActor(ctx.env), now, notes, unrecorded: false };
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

/** A system error (ENOSPC, EIO, EROFS…) or a coded one: the audit log could not take a record. Anything else is a bug. */
function auditWriteProblem(err: unknown): string | null {
  if (err instanceof SendtraceError) return err.message;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? (err as Error).message : null;
}

/**
 * Runs an action body and records its outcome in the audit log: success as
 * the body says, a refusal (exit 3) as 'refused', a failure (rolled back, or
 * any other coded error) as 'failed'; the error still propagates to the CLI.
 *
 * An action is never done unrecorded (docs/actions.md): one that changes
 * something first holds room for its record (audit-log.ts reserve); without
 * that room (a full disk) it is refused before anything changes. A dry run
 * changes nothing and goes ahead. Should the record still not be written (an
 * I/O error; room taken by another writer in between), what was done is not
 * hidden (new passwords are shown once, in the answer): the command answers,
 * with a note carrying the record, and exits 1 (exitAfterAudit).
 */
export async function audited<T>(start: ActionStart, base: Pick<AuditEntry, 'action' | 'target' | 'subscription' | 'dryRun'>, body: () => Promise<{ value: T; entry: Partial<AuditEntry> }>): Promise<T> {
  let room: AuditRoom | null = null;
  if (!base.dryRun) {
    try {
      room = start.audit.reserve();
    } catch (err) {
      const problem = auditWriteProblem(err);
      if (problem === null) throw err;
      throw createError('SENDTRACE_ERR_ACTION_FAILED', `${base.action} of ${base.target}`,
        `the audit log ${start.audit.path} has no room for its record (${problem}); an action is never done unrecorded: free space there and run it again`);
    }
  }
  const record = (entry: AuditEntry): string | null => {
    room?.release();
    try {
      start.audit.append(entry);
      return null;
    } catch (err) {
      const problem = auditWriteProblem(err);
      if (problem === null) throw err;
      return `the audit log ${start.audit.path} could not be written (${problem}): this ${base.action}${base.dryRun ? ' (dry run)' : ''} is NOT recorded there; its record: ${JSON.stringify(entry)}`;
    }
  };
  let entry: Partial<AuditEntry>;
  let value: T;
  try {
    ({ value, entry } = await body());
  } catch (err) {
    if (err instanceof SendtraceError) {
      const unrecorded = record({ ...base, actor: start.actor, result: err.exit === EXIT.refused && err.code !== 'SENDTRACE_ERR_ACTION_FAILED' ? 'refused' : 'failed', reason: err.message });
      if (unrecorded) throw new SendtraceError(err.code, `${err.message}\n${unrecorded}`);
    } else room?.release();
    throw err;
  }
  const unrecorded = record({ ...base, actor: start.actor, result: 'done', reason: null, ...entry });
  if (unrecorded) {
    start.notes.push(unrecorded);
    start.unrecorded = true;
  }
  return value;
}

/** A command's exit code once its record is known: done but not recorded is 1, not 0. */
export function exitAfterAudit(start: ActionStart, exit: number): number {
  return start.unrecorded && exit === EXIT.ok ? EXIT.partial : exit;
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
