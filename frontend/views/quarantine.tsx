// Quarantined files (and those restored), with Restore — confirmed after its dry run.
import { useState } from 'preact/hooks';
import type { QuarantineItem } from '../../service/http/contract.ts';
import { useApp } from '../components/context.ts';
import { ErrorNotice, Loading } from '../components/error-notice.tsx';
import { RestoreDialog } from '../components/file-dialogs.tsx';
import { loadRoute } from '../state.ts';

export function QuarantineView() {
  const app = useApp();
  const { i18n } = app;
  const s = app.quarantine.state.value;
  const [open, setOpen] = useState<QuarantineItem | null>(null);
  const [message, setMessage] = useState('');
  if (!s.data) return s.status === 'error' ? <ErrorNotice error={s.error} onRetry={() => void loadRoute(app)} /> : <Loading />;
  const items = [...s.data.items].sort((a, b) => Number(b.status === 'quarantined') - Number(a.status === 'quarantined') || b.quarantinedAt.localeCompare(a.quarantinedAt));
  return (
    <section aria-labelledby="st-title">
      <h1 id="st-title" class="st-h1">{i18n.t('quarantine.title')}</h1>
      {s.status === 'error' && <ErrorNotice error={s.error} onRetry={() => void loadRoute(app)} />}
      {items.length === 0 ? <p class="st-muted">{i18n.t('quarantine.empty')}</p> : (
        <div class="st-table-wrap">
          <table class="st-table st-table--cards" data-testid="quarantine">
            <thead>
              <tr><th scope="col">{i18n.t('quarantine.path')}</th><th scope="col">{i18n.t('col.name')}</th><th scope="col">{i18n.t('quarantine.when')}</th><th scope="col">{i18n.t('quarantine.reason')}</th><th scope="col">{i18n.t('quarantine.state')}</th></tr>
            </thead>
            <tbody>
              {items.map((q) => (
                <tr key={q.id}>
                  <td data-label={i18n.t('quarantine.path')}><code class="st-break">{q.originalPath}</code></td>
                  <td data-label={i18n.t('col.name')}>{q.subscription}</td>
                  <td data-label={i18n.t('quarantine.when')}>{i18n.dateTime(q.quarantinedAt)} <span class="st-muted">({q.actor})</span></td>
                  <td data-label={i18n.t('quarantine.reason')}>{q.reason}</td>
                  <td data-label={i18n.t('quarantine.state')}>
                    {q.status === 'restored' ? <span class="st-muted">{i18n.t('quarantine.restored', { time: i18n.dateTime(q.restoredAt ?? ''), by: q.restoredBy ?? '—' })}</span> : (
                      <>
                        <span class="st-badge st-badge--warning">{i18n.t('quarantine.held')}</span>{' '}
                        {q.subscriptionId !== null && <button type="button" class="st-btn st-btn--small" onClick={() => setOpen(q)}>{i18n.t('actions.restore')}</button>}
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p role="status" class="st-result">{message}</p>
      {open && open.subscriptionId !== null && (
        <RestoreDialog subscriptionId={open.subscriptionId} quarantineId={open.id} path={open.originalPath} onClose={() => setOpen(null)}
          onDone={(res) => {
            setOpen(null);
            setMessage(i18n.t('result.restore', { path: typeof res.result['restoredPath'] === 'string' ? res.result['restoredPath'] : open.originalPath }));
            void loadRoute(app);
          }} />
      )}
    </section>
  );
}
