// Quarantine a script, restore it: each confirmed after its dry run.
import type { ActionResponse } from '../../service/http/contract.ts';
import { num, str, useActionFlow } from './action-flow.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { useApp } from './context.ts';

type Done = (res: ActionResponse) => void;

function FileFacts({ r }: { r: Record<string, unknown> }) {
  const { i18n } = useApp();
  const size = num(r, 'size');
  return (
    <dl class="st-facts">
      <dt>{i18n.t('quarantine.path')}</dt>
      <dd><code class="st-break">{str(r, 'originalPath') ?? str(r, 'restoredPath') ?? '—'}</code></dd>
      {size !== null && (<><dt>{i18n.t('facts.size')}</dt><dd>{i18n.t('facts.bytes', { count: i18n.num(size) })}</dd></>)}
      {str(r, 'sha256') && (<><dt>sha256</dt><dd><code class="st-break">{str(r, 'sha256')}</code></dd></>)}
    </dl>
  );
}

export function QuarantineDialog({ subscriptionId, path, onClose, onDone }: { subscriptionId: number; path: string; onClose: () => void; onDone: Done }) {
  const { api, i18n } = useApp();
  const flow = useActionFlow((dryRun) => api.quarantine(subscriptionId, { path, dryRun }));
  return (
    <ConfirmDialog
      title={i18n.t('confirm.quarantine.title')}
      flow={flow}
      body={i18n.t('confirm.quarantine.body', { path })}
      checked={(d) => <FileFacts r={d.result} />}
      goLabel={() => i18n.t('confirm.quarantine.go')}
      onClose={onClose}
      onDone={onDone}
    />
  );
}

export function RestoreDialog({ subscriptionId, quarantineId, path, onClose, onDone }: { subscriptionId: number; quarantineId: string; path: string; onClose: () => void; onDone: Done }) {
  const { api, i18n } = useApp();
  const flow = useActionFlow((dryRun) => api.restore(subscriptionId, { quarantineId, dryRun }));
  return (
    <ConfirmDialog
      title={i18n.t('confirm.restore.title')}
      flow={flow}
      body={i18n.t('confirm.restore.body', { path })}
      checked={(d) => <FileFacts r={d.result} />}
      goLabel={() => i18n.t('confirm.restore.go')}
      danger
      onClose={onClose}
      onDone={onDone}
    />
  );
}

export function PurgeDialog({ subscriptionId, source, onClose, onDone }: { subscriptionId: number; source: { kind: 'script'; path: string } | null; onClose: () => void; onDone: Done }) {
  const { api, i18n } = useApp();
  const flow = useActionFlow((dryRun) => api.purgeQueue(subscriptionId, { source, dryRun }));
  const matched = (d: ActionResponse) => num(d.result, 'matched') ?? 0;
  return (
    <ConfirmDialog
      title={i18n.t('confirm.purge.title')}
      flow={flow}
      body={source ? <code class="st-break">{source.path}</code> : null}
      checked={(d) => (
        <p>{matched(d) > 0 ? i18n.t('confirm.purge.body', { count: i18n.num(matched(d)), queued: i18n.num(num(d.result, 'queued') ?? 0) }) : i18n.t('confirm.purge.nothing')}</p>
      )}
      goLabel={(d) => i18n.t('confirm.purge.go', { count: i18n.num(matched(d)) })}
      canGo={(d) => matched(d) > 0}
      danger
      onClose={onClose}
      onDone={onDone}
    />
  );
}
