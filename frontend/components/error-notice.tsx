// An error as what happened + what to do (+ the service's reason, + field
// issues), announced to screen readers; never a blank page or a stack.
import { useApp } from './context.ts';
import { describeError } from './error-text.ts';

type Props = { error: unknown; title?: 'view' | 'action'; onRetry?: (() => void) | undefined; hideIssues?: boolean };

export function ErrorNotice({ error, title = 'view', onRetry, hideIssues = false }: Props) {
  const { i18n } = useApp();
  const e = describeError(error, i18n);
  return (
    <div class="st-alert st-alert--error" role="alert" data-error-code={e.code}>
      <p class="st-alert__title">{i18n.t(title === 'action' ? 'error.actionTitle' : 'error.title')}: {e.what}</p>
      <p>
        <strong>{i18n.t('error.whatToDo')}</strong> {e.todo}
      </p>
      {e.detail && <p class="st-muted">{i18n.t('error.reference', { message: e.detail })}</p>}
      {e.issues.length > 0 && !hideIssues && (
        <ul>
          {e.issues.map((x) => (
            <li key={x.where}>
              <code>{x.where}</code>: {x.message}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" class="st-btn" onClick={onRetry}>
          {i18n.t('app.retry')}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  const { i18n } = useApp();
  return (
    <p class="st-loading" role="status">
      {i18n.t('app.loading')}
    </p>
  );
}
