// The confirmation of an action: what it does, what its dry run found, and
// only then the button that does it. The dry run starts when the dialog opens.
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import type { ActionResponse } from '../../service/http/contract.ts';
import type { Flow } from './action-flow.ts';
import { useApp } from './context.ts';
import { Dialog } from './dialog.tsx';
import { ErrorNotice } from './error-notice.tsx';

type Props = {
  title: string;
  flow: Flow;
  body: ComponentChildren;
  checked: (dry: ActionResponse) => ComponentChildren;
  goLabel: (dry: ActionResponse) => string;
  canGo?: (dry: ActionResponse) => boolean;
  danger?: boolean;
  onClose: () => void;
  onDone: (res: ActionResponse) => void;
  autoCheck?: boolean;
};

export function ConfirmDialog({ title, flow, body, checked, goLabel, canGo = () => true, danger = false, onClose, onDone, autoCheck = true }: Props) {
  const { i18n } = useApp();
  useEffect(() => {
    if (autoCheck) void flow.check();
  }, []);
  const busy = flow.phase === 'checking' || flow.phase === 'running';
  const go = async () => {
    const res = await flow.go();
    if (res) onDone(res);
  };
  const dry = flow.dry;
  return (
    <Dialog
      title={title}
      busy={busy}
      onClose={onClose}
      footer={
        <>
          <button type="button" class="st-btn" onClick={onClose} disabled={flow.phase === 'running'}>
            {i18n.t('app.cancel')}
          </button>
          {dry && (
            <button type="button" class={`st-btn ${danger ? 'st-btn--danger' : 'st-btn--primary'}`} onClick={go} disabled={busy || !canGo(dry)} data-testid="confirm-go">
              {flow.phase === 'running' ? i18n.t('actions.working') : goLabel(dry)}
            </button>
          )}
        </>
      }
    >
      <p>{body}</p>
      {flow.phase === 'checking' && <p role="status" class="st-loading">{i18n.t('actions.checking')}</p>}
      {dry && (
        <div class="st-dry" data-testid="dry-run">
          <p class="st-dry__title">{i18n.t('confirm.checked')}</p>
          {checked(dry)}
          {dry.notes.length > 0 && (
            <>
              <p class="st-dry__title">{i18n.t('confirm.notes')}</p>
              <ul>{dry.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>
            </>
          )}
        </div>
      )}
      {flow.phase === 'error' && <ErrorNotice error={flow.error} title="action" onRetry={dry ? undefined : () => void flow.check()} />}
    </Dialog>
  );
}
