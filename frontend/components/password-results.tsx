// New passwords, shown this once: copy one, copy all, or download a CSV.
// They live only in this component's props: closing the dialog forgets them
// (nothing in app state, storage or the URL).
import { useState } from 'preact/hooks';
import type { AccountResult } from './action-flow.ts';
import { useApp } from './context.ts';
import { accountLabel } from './labels.ts';
import { passwordsCsv, passwordsFileName } from './passwords-csv.ts';

async function copyText(text: string): Promise<boolean> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (err) {
      // Denied (permissions policy, no user gesture): fall back to the selection below.
      if (!(err instanceof DOMException)) throw err;
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  return ok;
}

export function PasswordResults({ accounts, subscription }: { accounts: AccountResult[]; subscription: string }) {
  const { i18n } = useApp();
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async (key: string, text: string) => {
    if (await copyText(text)) setCopied(key);
  };
  const download = () => {
    const header: [string, string, string, string] = [i18n.t('passwords.kind'), i18n.t('passwords.account'), i18n.t('passwords.password'), i18n.t('audit.result')];
    const csv = passwordsCsv(accounts.map((a) => ({ kind: accountLabel(i18n, a.kind), name: a.name, password: a.password, error: a.ok ? null : a.error })), header);
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = passwordsFileName(subscription, i18n.dayKey(Date.now()));
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  const withPw = accounts.filter((a) => a.ok && a.password);
  const all = withPw.map((a) => `${a.name}\t${a.password}`).join('\n');
  return (
    <div class="st-passwords">
      <p class="st-alert st-alert--warning" role="alert"><strong>{i18n.t('passwords.once')}</strong></p>
      <div class="st-table-wrap">
        <table class="st-table">
          <thead>
            <tr><th scope="col">{i18n.t('passwords.kind')}</th><th scope="col">{i18n.t('passwords.account')}</th><th scope="col">{i18n.t('passwords.password')}</th><th scope="col"><span class="st-sr">{i18n.t('passwords.copy')}</span></th></tr>
          </thead>
          <tbody>
            {accounts.map((a) => {
              const key = `${a.kind}:${a.name}`;
              return (
                <tr key={key}>
                  <td>{accountLabel(i18n, a.kind)}</td>
                  <td><code class="st-break">{a.name}</code></td>
                  <td>{a.ok && a.password ? <code class="st-secret" data-testid="new-password">{a.password}</code> : <span class="st-text-danger">{i18n.t('passwords.failed', { error: a.error ?? '' })}</span>}</td>
                  <td>
                    {a.ok && a.password && (
                      <button type="button" class="st-btn st-btn--small" aria-label={i18n.t('passwords.copyFor', { name: a.name })} onClick={() => void copy(key, a.password!)}>
                        {copied === key ? i18n.t('passwords.copied') : i18n.t('passwords.copy')}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p class="st-row">
        <button type="button" class="st-btn" onClick={() => void copy('*', all)} disabled={withPw.length === 0}>{copied === '*' ? i18n.t('passwords.copied') : i18n.t('passwords.copyAll')}</button>
        <button type="button" class="st-btn" onClick={download} disabled={accounts.length === 0}>{i18n.t('passwords.csv')}</button>
      </p>
    </div>
  );
}
