// The actions of one subscription. Each opens its confirmation dialog (dry
// run first); a real action then refreshes the diagnosis and its verification.
import { useState } from 'preact/hooks';
import type { ActionResponse, SubscriptionDiagnosis } from '../../service/http/contract.ts';
import { loadDiagnosis } from '../state.ts';
import { num, str } from './action-flow.ts';
import { useApp } from './context.ts';
import { PurgeDialog, QuarantineDialog, RestoreDialog } from './file-dialogs.tsx';
import { ResetDialog } from './reset-dialog.tsx';

type Open = { kind: 'quarantine'; path: string } | { kind: 'restore'; id: string; path: string } | { kind: 'reset' } | { kind: 'purge' } | null;

export function ActionsPanel({ sub }: { sub: SubscriptionDiagnosis }) {
  const app = useApp();
  const { i18n } = app;
  const [open, setOpen] = useState<Open>(null);
  const [message, setMessage] = useState<string | null>(null);
  const scripts = sub.sources.filter((s) => s.kind === 'script' && s.path).map((s) => s.path!);
  const [picked, setPicked] = useState<string | null>(null);
  const target = picked !== null && scripts.includes(picked) ? picked : scripts[0] ?? null;
  const held = (app.quarantine.state.value.data?.items ?? []).filter((q) => q.status === 'quarantined' && (q.subscriptionId === sub.id || (q.subscriptionId === null && q.subscription === sub.name)));
  const implicated = {
    // Only findings: a lead (confidence < 0.5) is not a reason to change someone's password.
    mailboxes: sub.sources.filter((s) => s.kind === 'mailbox' && s.address && s.confidence >= 0.5).map((s) => s.address!),
    systemUser: sub.sources.some((s) => s.kind === 'system-user' && s.confidence >= 0.5),
  };
  const done = (res: ActionResponse, close = true) => {
    if (close) setOpen(null);
    const r = res.result;
    setMessage(
      res.exit !== 0 ? i18n.t('result.partial')
      : res.action === 'quarantine' ? i18n.t('result.quarantine', { id: str(r, 'id') ?? '' })
      : res.action === 'restore' ? i18n.t('result.restore', { path: str(r, 'restoredPath') ?? '' })
      : res.action === 'purge-queue' ? i18n.t('result.purge', { count: i18n.num(num(r, 'removed') ?? 0) })
      : null,
    );
    void app.quarantine.load('all', () => app.api.quarantineList());
    void loadDiagnosis(app, sub.id);
  };
  return (
    <section class="st-card" aria-labelledby="st-actions-t">
      <h2 id="st-actions-t" class="st-h2">{i18n.t('actions.title')}</h2>
      {scripts.length > 1 && (
        <label class="st-field">
          <span>{i18n.t('actions.pick')}</span>
          <select value={target ?? ''} onChange={(e) => setPicked((e.target as HTMLSelectElement).value)}>
            {scripts.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
      )}
      <div class="st-row">
        <button type="button" class="st-btn st-btn--primary" disabled={!target} onClick={() => target && setOpen({ kind: 'quarantine', path: target })}>
          {i18n.t('actions.quarantine')}
        </button>
        <button type="button" class="st-btn" onClick={() => setOpen({ kind: 'reset' })}>{i18n.t('actions.reset')}</button>
        <button type="button" class="st-btn" onClick={() => setOpen({ kind: 'purge' })}>{i18n.t('actions.purge')}</button>
      </div>
      {!target && <p class="st-muted">{i18n.t('actions.noScript')}</p>}
      {held.length > 0 && (
        <ul class="st-held">
          {held.map((q) => (
            <li key={q.id}>
              <code class="st-break">{q.originalPath}</code> <span class="st-muted">({i18n.t('quarantine.held')}, {i18n.when(q.quarantinedAt, null)})</span>{' '}
              <button type="button" class="st-btn st-btn--small" onClick={() => setOpen({ kind: 'restore', id: q.id, path: q.originalPath })}>{i18n.t('actions.restore')}</button>
            </li>
          ))}
        </ul>
      )}
      <p role="status" class="st-result">{message}</p>
      {open?.kind === 'quarantine' && <QuarantineDialog subscriptionId={sub.id} path={open.path} onClose={() => setOpen(null)} onDone={done} />}
      {open?.kind === 'restore' && <RestoreDialog subscriptionId={sub.id} quarantineId={open.id} path={open.path} onClose={() => setOpen(null)} onDone={done} />}
      {open?.kind === 'purge' && <PurgeDialog subscriptionId={sub.id} source={target ? { kind: 'script', path: target } : null} onClose={() => setOpen(null)} onDone={done} />}
      {open?.kind === 'reset' && (
        <ResetDialog subscriptionId={sub.id} subscription={sub.name} implicated={implicated} onClose={() => setOpen(null)} onDone={(res) => done(res, false)} />
      )}
    </section>
  );
}
