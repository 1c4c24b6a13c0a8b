// Password resets through Plesk's own CLI (reference/plesk.md §4.1–4.2 [V]):
// `plesk bin <utility> -u NAME -passwd ''` with the new password only in the
// child's environment as PSA_PASSWORD — never in argv (visible to every user in
// ps), never in a log, an audit record or an error message. Each account is
// reset on its own: one failure does not stop the others.
import type { Owner, PanelData, Subscription } from '../sources/panel-data.ts';
import { describeError, SendtraceError } from '../errors.ts';
import { runCommand } from '../sources/run-command.ts';
import type { PanelUser } from './panel-users.ts';
import { generatePassword } from './password-generator.ts';

export type AccountKind = 'mailbox' | 'system-user' | 'panel-login' | 'panel-user';
export type PlannedAccount = { kind: AccountKind; name: string; args: string[] | null; skip: string | null };
export type AccountResult = { kind: AccountKind; name: string; ok: boolean; password?: string; error?: string };

export type ResetRequest = { mailboxes: 'all' | string[] | null; systemUser: boolean; panelLogin: boolean };

// A name that starts with '-' could be read as an option; control characters
// have no place in a login. psa data is not trusted to be clean.
function badName(name: string): string | null {
  if (name === '' || name.startsWith('-')) return 'the name is empty or starts with "-"; not passed to plesk bin';
  if (/[\x00-\x1f\x7f]/.test(name)) return 'the name holds control characters; not passed to plesk bin';
  return null;
}

function account(kind: AccountKind, name: string, utility: string, skip: string | null = null): PlannedAccount {
  const bad = skip ?? badName(name);
  return { kind, name, args: bad ? null : ['bin', utility, '-u', name, '-passwd', ''], skip: bad };
}

/** The accounts a request names, each with its `plesk` argv or the reason it is skipped. */
export function planAccounts(panel: PanelData, users: PanelUser[], sub: Subscription, req: ResetRequest): PlannedAccount[] {
  const out: PlannedAccount[] = [];
  const own = panel.mailboxes.filter((m) => m.subscriptionId === sub.id);
  if (req.mailboxes === 'all') for (const m of own) out.push(account('mailbox', m.address, 'mail'));
  else if (req.mailboxes) {
    for (const wanted of req.mailboxes) {
      const m = own.find((x) => x.address.toLowerCase() === wanted.toLowerCase());
      out.push(m ? account('mailbox', m.address, 'mail') : account('mailbox', wanted, 'mail', `not a mailbox of subscription ${sub.name}`));
    }
  }
  if (req.systemUser) {
    // `plesk bin domain -u DOMAIN -passwd ''` changes the subscription's main FTP/SSH user (§4.2 [V]).
    if (!sub.sysUser) out.push({ kind: 'system-user', name: sub.name, args: null, skip: `subscription ${sub.name} has no hosting, so no system user` });
    else {
      const bad = badName(sub.name) ?? badName(sub.sysUser.login);
      out.push({ kind: 'system-user', name: sub.sysUser.login, args: bad ? null : ['bin', 'domain', '-u', sub.name, '-passwd', ''], skip: bad });
    }
  }
  if (req.panelLogin) {
    const owner: Owner | undefined = panel.owners.find((o) => o.id === sub.ownerId);
    if (!owner) out.push(account('panel-login', `owner #${sub.ownerId}`, 'client', 'the owner is not in psa'));
    else if (owner.type === 'admin') {
      out.push(account('panel-login', owner.login, 'admin', 'the subscription belongs to the administrator; sendtrace does not change the administrator\'s password'));
    } else {
      out.push(account('panel-login', owner.login, owner.type === 'reseller' ? 'reseller' : 'client'));
      for (const u of users) if (u.ownerId === owner.id && !u.builtIn && u.login !== owner.login) out.push(account('panel-user', u.login, 'user'));
    }
  }
  return out;
}

/** `text` without any trace of `secret` (a tool might echo what it was given). */
export function redact(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join('[password hidden]');
}

function firstLines(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim() !== '').slice(0, 3).join(' / ').slice(0, 400);
}

export type ResetOptions = { dryRun: boolean; timeoutMs?: number; generate?: () => string };

export async function resetPasswords(plesk: string, accounts: PlannedAccount[], env: Record<string, string | undefined>, o: ResetOptions): Promise<AccountResult[]> {
  const generate = o.generate ?? generatePassword;
  const used = new Set<string>();
  const results: AccountResult[] = [];
  for (const a of accounts) {
    if (!a.args) {
      results.push({ kind: a.kind, name: a.name, ok: false, error: a.skip ?? 'skipped' });
      continue;
    }
    if (o.dryRun) {
      results.push({ kind: a.kind, name: a.name, ok: true });
      continue;
    }
    let pw = generate();
    while (used.has(pw)) pw = generate();
    used.add(pw);
    try {
      const r = await runCommand([plesk, ...a.args], { env: { ...env, PSA_PASSWORD: pw }, timeoutMs: o.timeoutMs ?? 120_000 });
      if (r.code === 0) results.push({ kind: a.kind, name: a.name, ok: true, password: pw });
      else {
        const why = firstLines(redact(r.stderr, pw)) || firstLines(redact(r.stdout, pw)) || (r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`);
        results.push({ kind: a.kind, name: a.name, ok: false, error: `plesk bin ${a.args[1]} failed: ${why}` });
      }
    } catch (err) {
      if (!(err instanceof SendtraceError)) throw err;
      results.push({ kind: a.kind, name: a.name, ok: false, error: redact(describeError(err), pw) });
    }
  }
  return results;
}

/** Results fit for the audit log and any output other than the one answer. */
export function withoutPasswords(results: AccountResult[]): Array<Omit<AccountResult, 'password'>> {
  return results.map(({ password: _password, ...rest }) => rest);
}
