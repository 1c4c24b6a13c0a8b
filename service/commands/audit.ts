// `audit [--since ISO-8601]`: the audit log, oldest first.
import { createError, EXIT } from '../errors.ts';
import { readAuditLog } from '../actions/audit-log.ts';
import { parseIsoInstant } from '../time.ts';
import type { CommandContext, CommandResult } from './command.ts';

export const AUDIT_USAGE = 'audit [--since ISO-8601] [--config FILE] [--json]';

export async function runAudit(ctx: CommandContext): Promise<CommandResult> {
  const { config } = ctx;
  const sinceArg = ctx.args.flags.get('since')?.[0];
  const since = sinceArg === undefined ? null : parseIsoInstant(sinceArg, config.timezone);
  if (sinceArg !== undefined && since === null) throw createError('SENDTRACE_ERR_USAGE', `--since '${sinceArg}' is not an ISO-8601 instant (e.g. 2022-02-03T22:15:00+09:00)`);
  const { records, warnings } = readAuditLog(config.stateDir, since);
  // Targets are paths and names chosen by customers: no control characters on the terminal.
  const safe = (t: string) => t.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const text = records.length === 0 ? 'The audit log has no records' + (sinceArg ? ` since ${sinceArg}.` : '.') : records.map((r) =>
    `${r.time}  ${r.action}${r.dryRun ? ' (dry run)' : ''}  ${r.result}  ${safe(r.target)}${r.subscription ? ` [${r.subscription}]` : ''}  by ${r.actor}${r.reason ? `\n    ${safe(r.reason)}` : ''}`).join('\n');
  return { json: { records, warnings }, text, exit: warnings.length ? EXIT.partial : EXIT.ok, notes: warnings };
}
