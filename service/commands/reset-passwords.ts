// `reset-passwords --subscription NAME [--mailboxes all|ADDR,ADDR] [--system-user] [--panel-login] [--dry-run]`
// (CONTRACT.md Actions). The new passwords appear in this command's answer and
// nowhere else: not in argv, the audit log, notes on stderr or error messages.
import { createError, EXIT } from '../errors.ts';
import { audited, boolFlag, exitAfterAudit, readPanelNow, requiredFlag, startAction, valueFlag } from '../actions/action-context.ts';
import { readPanelUsers } from '../actions/panel-users.ts';
import { planAccounts, resetPasswords, withoutPasswords, type AccountResult, type ResetRequest } from '../actions/passwords.ts';
import { findSubscriptionByName } from '../actions/safe-path.ts';
import type { CommandContext, CommandResult } from './command.ts';

export const RESET_PASSWORDS_USAGE = 'reset-passwords --subscription NAME [--mailboxes all|ADDR,ADDR] [--system-user] [--panel-login] [--dry-run] [--config FILE] [--json]';

function requestOf(ctx: CommandContext): ResetRequest {
  const mb = valueFlag(ctx, 'mailboxes');
  const req: ResetRequest = {
    mailboxes: mb === undefined ? null : mb === 'all' ? 'all' : mb.split(',').map((a) => a.trim()).filter((a) => a !== ''),
    systemUser: boolFlag(ctx, 'system-user'),
    panelLogin: boolFlag(ctx, 'panel-login'),
  };
  if (Array.isArray(req.mailboxes) && req.mailboxes.length === 0) throw createError('SENDTRACE_ERR_USAGE', `--mailboxes needs 'all' or addresses separated by commas\nusage: sendtrace ${RESET_PASSWORDS_USAGE}`);
  if (!req.mailboxes && !req.systemUser && !req.panelLogin) throw createError('SENDTRACE_ERR_USAGE', `say what to reset: --mailboxes, --system-user and/or --panel-login\nusage: sendtrace ${RESET_PASSWORDS_USAGE}`);
  return req;
}

function table(results: AccountResult[], dryRun: boolean): string {
  const rows = results.map((r) => [r.kind, r.name, r.ok ? (dryRun ? 'would be reset' : r.password ?? '') : `NOT RESET: ${r.error ?? ''}`]);
  const w0 = Math.max(4, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(7, ...rows.map((r) => r[1]!.length));
  const line = (c: string[]) => `${c[0]!.padEnd(w0)}  ${c[1]!.padEnd(w1)}  ${c[2]}`;
  return [line(['kind', 'account', dryRun ? 'plan' : 'new password']), ...rows.map(line)].join('\n');
}

export async function runResetPasswords(ctx: CommandContext): Promise<CommandResult> {
  const { config } = ctx;
  const name = requiredFlag(ctx, 'subscription', RESET_PASSWORDS_USAGE);
  const req = requestOf(ctx);
  const dryRun = boolFlag(ctx, 'dry-run');
  const start = startAction(ctx, { recover: false });
  const notes = start.notes;   // audited() may add one
  let exit: number = EXIT.ok;
  const results = await audited(start, { action: 'reset-passwords', target: name, subscription: name, dryRun }, async () => {
    const panel = await readPanelNow(config, start.now);
    const sub = findSubscriptionByName(panel.subscriptions, name);
    let users: Awaited<ReturnType<typeof readPanelUsers>>['users'] = [];
    if (req.panelLogin) {
      const read = await readPanelUsers(config);
      users = read.users;
      notes.push(...read.warnings);
    }
    const accounts = planAccounts(panel, users, sub, req);
    const res = await resetPasswords(config.plesk, accounts, ctx.env, { dryRun });
    const ok = res.filter((r) => r.ok).length;
    const result = dryRun || ok === res.length ? 'done' : ok === 0 ? 'failed' : 'partial';
    if (result === 'partial') exit = EXIT.partial;
    if (result === 'failed') exit = EXIT.refused;
    const safe = withoutPasswords(res);
    return {
      value: res,
      entry: {
        subscription: sub.name, target: sub.name, result,
        reason: result === 'done' ? null : `${res.length - ok} of ${res.length} account(s) not reset`,
        // After a reset the mailboxes' SMTP logins are what to watch.
        watch: res.filter((r) => r.ok && r.kind === 'mailbox').map((r) => `sasl:${r.name.toLowerCase()}`),
        details: { accounts: safe },
      },
    };
  });
  for (const r of results) if (!r.ok) notes.push(`${r.kind} ${r.name}: ${r.error}`);
  const json = { subscription: name, dryRun, accounts: results };
  const text = [
    dryRun ? `Dry run for ${name}: nothing was changed.` : `New passwords for ${name}. They are shown only this once: hand them over now.`,
    '',
    table(results, dryRun),
  ].join('\n');
  return { json, text, exit: exitAfterAudit(start, exit), notes };
}
