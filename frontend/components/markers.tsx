// Status, risk and slow-leak markers: colour AND words (never colour alone).
import type { ListItem } from '../../service/http/contract.ts';
import { riskLevel } from '../views/overview-model.ts';
import { useApp } from './context.ts';

export function StatusBadge({ item, now }: { item: Pick<ListItem, 'status' | 'blockedSince' | 'blockedLevel'>; now: string | null }) {
  const { i18n } = useApp();
  if (item.status === 'not-sending') {
    const text = item.blockedSince ? i18n.t('status.notSendingSince', { time: i18n.when(item.blockedSince, now) }) : i18n.t('status.notSending');
    return <span class="st-badge st-badge--danger">{text}</span>;
  }
  if (item.blockedLevel === 'domain' || item.blockedLevel === 'mailbox') {
    return <span class="st-badge st-badge--warning">{i18n.t('status.overLevel', { level: i18n.t(`level.${item.blockedLevel}`) })}</span>;
  }
  return <span class="st-badge st-badge--ok">{i18n.t('status.sending')}</span>;
}

export function RiskMarker({ risk }: { risk: number }) {
  const { i18n } = useApp();
  const level = riskLevel(risk);
  if (!level) return null;
  return (
    <span class={`st-risk st-risk--${level}`} title={i18n.t('risk.title', { score: risk })}>
      {i18n.t(`risk.${level}`)}
    </span>
  );
}

export function LeakMarker({ leak, now }: { leak: ListItem['leak']; now: string | null }) {
  const { i18n } = useApp();
  if (!leak) return null;
  const title = i18n.t('leak.title', { perHour: i18n.num(leak.perHour), since: i18n.when(leak.since, now), source: leak.source });
  return (
    <span class="st-leak" title={title}>
      {i18n.t('leak.marker')}
      <span class="st-sr">: {title}</span>
    </span>
  );
}
