// "Data as of 21:30" (+ refreshing, + how many inputs could not be read).
import type { SnapshotMeta } from '../../service/http/contract.ts';
import { useApp } from './context.ts';

export function SnapshotLine({ meta }: { meta: SnapshotMeta }) {
  const { i18n } = useApp();
  return (
    <p class="st-muted st-snapshot">
      {meta.now && i18n.t('app.asOf', { time: i18n.dateTime(meta.now) })}
      {meta.refreshing && <> · {i18n.t('app.refreshing')}</>}
      {meta.warnings.length > 0 && <> · <span title={meta.warnings.slice(0, 20).join('\n')}>{i18n.t('app.warnings', { count: meta.warnings.length })}</span></>}
    </p>
  );
}
