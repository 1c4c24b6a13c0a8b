// Reset passwords: choose the accounts (those the evidence names are
// pre-selected), see the dry run's plan, confirm, then see the new passwords
// once. The list of accounts comes from a dry run of "everything" (the API
// has no account listing; a dry run changes nothing and is only audited).
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ActionResponse, ResetPasswordsBody } from '../../service/http/contract.ts';
import { accountsOf, useActionFlow } from './action-flow.ts';
import { useApp } from './context.ts';
import { Dialog } from './dialog.tsx';
import { ErrorNotice, Loading } from './error-notice.tsx';
import { accountLabel } from './labels.ts';
import { PasswordResults } from './password-results.tsx';

type Props = { subscriptionId: number; subscription: string; implicated: { mailboxes: string[]; systemUser: boolean }; onClose: () => void; onDone: (res: ActionResponse) => void };

export function ResetDialog({ subscriptionId, subscription, implicated, onClose, onDone }: Props) {
  const { api, i18n } = useApp();
  const [body, setBody] = useState<ResetPasswordsBody | null>(null);
  const listing = useActionFlow(() => api.resetPasswords(subscriptionId, { mailboxes: 'all', systemUser: true, panelLogin: true, dryRun: true }));
  const flow = useActionFlow((dryRun) => api.resetPasswords(subscriptionId, { ...body!, dryRun }));
  const all = useMemo(() => accountsOf(listing.dry?.result), [listing.dry]);
  const mailboxes = all.filter((a) => a.kind === 'mailbox').map((a) => a.name);
  const lower = new Set(implicated.mailboxes.map((m) => m.toLowerCase()));
  const [picked, setPicked] = useState<Set<string> | null>(null);
  const [sys, setSys] = useState(implicated.systemUser);
  const [panel, setPanel] = useState(false);
  useEffect(() => void listing.check(), []);
  useEffect(() => {
    if (listing.dry && picked === null) setPicked(new Set(mailboxes.filter((m) => lower.has(m.toLowerCase()))));
  }, [listing.dry]);
  useEffect(() => {
    if (body) void flow.check();
  }, [body]);

  const chosen = picked ?? new Set<string>();
  const toggle = (m: string) => setPicked(new Set(chosen.has(m) ? [...chosen].filter((x) => x !== m) : [...chosen, m]));
  const allOn = mailboxes.length > 0 && chosen.size === mailboxes.length;
  const nothing = chosen.size === 0 && !sys && !panel;
  const next = () => setBody({ mailboxes: chosen.size === 0 ? null : allOn ? 'all' : [...chosen], systemUser: sys, panelLogin: panel, dryRun: true });
  const plan = accountsOf(flow.dry?.result);
  const ok = plan.filter((a) => a.ok).length;
  const go = async () => {
    const res = await flow.go();
    if (res) onDone(res);
  };
  const busy = listing.phase === 'checking' || flow.phase === 'checking' || flow.phase === 'running';

  if (flow.phase === 'done' && flow.done) {
    return (
      <Dialog title={i18n.t('passwords.title')} onClose={onClose} wide footer={<button type="button" class="st-btn st-btn--primary" onClick={onClose}>{i18n.t('passwords.done')}</button>}>
        <PasswordResults accounts={accountsOf(flow.done.result)} subscription={subscription} />
      </Dialog>
    );
  }
  const footer = (
    <>
      <button type="button" class="st-btn" onClick={onClose} disabled={flow.phase === 'running'}>{i18n.t('app.cancel')}</button>
      {!body && <button type="button" class="st-btn st-btn--primary" onClick={next} disabled={nothing || !listing.dry}>{i18n.t('app.continue')}</button>}
      {body && flow.dry && (
        <button type="button" class="st-btn st-btn--danger" onClick={go} disabled={busy || ok === 0} data-testid="confirm-go">
          {flow.phase === 'running' ? i18n.t('actions.working') : i18n.t('confirm.reset.go', { count: ok })}
        </button>
      )}
    </>
  );
  return (
    <Dialog title={body ? i18n.t('confirm.reset.title') : i18n.t('reset.choose')} onClose={onClose} busy={busy} footer={footer} wide>
      {!body && listing.phase === 'checking' && <Loading />}
      {!body && listing.phase === 'error' && <ErrorNotice error={listing.error} onRetry={() => void listing.check()} />}
      {!body && listing.dry && (
        <fieldset class="st-fieldset">
          <legend>{i18n.t('reset.mailboxes')}</legend>
          {mailboxes.length > 1 && (
            <label class="st-check"><input type="checkbox" checked={allOn} onChange={() => setPicked(new Set(allOn ? [] : mailboxes))} /> {i18n.t('reset.allMailboxes')}</label>
          )}
          <div class="st-checklist">
            {mailboxes.map((m) => (
              <label key={m} class="st-check">
                <input type="checkbox" checked={chosen.has(m)} onChange={() => toggle(m)} /> {m}
                {lower.has(m.toLowerCase()) && <span class="st-tag st-tag--warn">{i18n.t('reset.implicated')}</span>}
              </label>
            ))}
          </div>
          <label class="st-check"><input type="checkbox" checked={sys} onChange={() => setSys(!sys)} /> {i18n.t('reset.systemUser')}</label>
          <label class="st-check"><input type="checkbox" checked={panel} onChange={() => setPanel(!panel)} /> {i18n.t('reset.panelLogin')}</label>
          {nothing && <p class="st-muted">{i18n.t('reset.nothing')}</p>}
        </fieldset>
      )}
      {body && (
        <>
          <p>{i18n.t('confirm.reset.body')}</p>
          {flow.phase === 'checking' && <p role="status" class="st-loading">{i18n.t('actions.checking')}</p>}
          {flow.dry && (
            <div class="st-dry" data-testid="dry-run">
              <p class="st-dry__title">{i18n.t('confirm.checked')}</p>
              <ul>
                {plan.map((a) => (
                  <li key={`${a.kind}:${a.name}`}>
                    {accountLabel(i18n, a.kind)}: <code>{a.name}</code>
                    {!a.ok && <span class="st-muted"> — {i18n.t('confirm.reset.skip', { error: a.error ?? '' })}</span>}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {flow.phase === 'error' && <ErrorNotice error={flow.error} title="action" />}
        </>
      )}
    </Dialog>
  );
}
