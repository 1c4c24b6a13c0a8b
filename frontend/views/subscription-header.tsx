// Name, owner, markers and the Diagnosis | Settings tabs of one subscription.
import type { SubscriptionDiagnosis } from '../../service/http/contract.ts';
import { useApp } from '../components/context.ts';
import { LeakMarker, RiskMarker, StatusBadge } from '../components/markers.tsx';
import { hrefOf } from '../route.ts';

export function SubscriptionHeader({ sub, now, tab }: { sub: SubscriptionDiagnosis; now: string | null; tab: 'diagnosis' | 'settings' }) {
  const app = useApp();
  const { i18n } = app;
  return (
    <header class="st-subhead">
      {app.boot.subscriptionId === null && <a class="st-back" href={hrefOf({ view: 'overview' })}>← {i18n.t('nav.back')}</a>}
      <h1 id="st-title" class="st-h1">{sub.name}</h1>
      <p class="st-subhead__meta">
        <span class="st-muted">{i18n.t('diag.owner', { login: sub.owner.login })}</span> <StatusBadge item={sub} now={now} /> <RiskMarker risk={sub.risk} /> <LeakMarker leak={sub.leak} now={now} />
      </p>
      <nav class="st-tabs" aria-label={sub.name}>
        <a href={hrefOf({ view: 'diagnosis', id: sub.id })} aria-current={tab === 'diagnosis' ? 'page' : undefined}>{i18n.t('nav.diagnosis')}</a>
        <a href={hrefOf({ view: 'settings', id: sub.id })} aria-current={tab === 'settings' ? 'page' : undefined}>{i18n.t('nav.settings')}</a>
      </nav>
    </header>
  );
}
