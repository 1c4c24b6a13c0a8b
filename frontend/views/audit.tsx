// The audit log: every action (and dry run) on the subscriptions the user may
// see, newest first; the admin also sees refused requests.
import { useApp } from '../components/context.ts';
import { ErrorNotice, Loading } from '../components/error-notice.tsx';
import { actionLabel } from '../components/labels.ts';
import { loadRoute } from '../state.ts';

const RESULTS = new Set(['done', 'partial', 'refused', 'failed']);

export function AuditView() {
  const app = useApp();
  const { i18n } = app;
  const s = app.audit.state.value;
  if (!s.data) return s.status === 'error' ? <ErrorNotice error={s.error} onRetry={() => void loadRoute(app)} /> : <Loading />;
  const records = [...s.data.records].sort((a, b) => b.at - a.at).slice(0, 500);
  return (
    <section aria-labelledby="st-title">
      <h1 id="st-title" class="st-h1">{i18n.t('audit.title')}</h1>
      {s.status === 'error' && <ErrorNotice error={s.error} onRetry={() => void loadRoute(app)} />}
      {records.length === 0 ? <p class="st-muted">{i18n.t('audit.empty')}</p> : (
        <div class="st-table-wrap">
          <table class="st-table st-table--cards" data-testid="audit">
            <thead>
              <tr><th scope="col">{i18n.t('audit.time')}</th><th scope="col">{i18n.t('audit.actor')}</th><th scope="col">{i18n.t('audit.action')}</th><th scope="col">{i18n.t('audit.target')}</th><th scope="col">{i18n.t('audit.result')}</th></tr>
            </thead>
            <tbody>
              {records.map((r, i) => (
                <tr key={`${r.at}:${i}`}>
                  <td data-label={i18n.t('audit.time')}><time dateTime={r.time}>{i18n.dateTime(r.at)}</time></td>
                  <td data-label={i18n.t('audit.actor')}>{r.actor}</td>
                  <td data-label={i18n.t('audit.action')}>{actionLabel(i18n, r.action)}{r.dryRun && <span class="st-tag">{i18n.t('audit.dryRun')}</span>}</td>
                  <td data-label={i18n.t('audit.target')}><code class="st-break">{r.target}</code></td>
                  <td data-label={i18n.t('audit.result')}>
                    <span class={r.result === 'done' ? 'st-text-ok' : r.result === 'partial' ? 'st-text-warning' : 'st-text-danger'}>{RESULTS.has(r.result) ? i18n.t(`audit.result.${r.result as 'done'}`) : r.result}</span>
                    {r.reason && <span class="st-muted"> — {r.reason}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {s.data.refusals.length > 0 && (
        <details class="st-card">
          <summary>{i18n.t('audit.refusals')} ({i18n.num(s.data.refusals.length)})</summary>
          <ul class="st-plain">
            {s.data.refusals.slice(-200).reverse().map((r, i) => (
              <li key={i}><time dateTime={r.time}>{i18n.dateTime(r.time)}</time> <code>{r.method} {r.path}</code> {r.claimedUser ?? ''} — {r.reason}</li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
