// What a customer sees from the subscription's page: the banner (what
// happened, what to do), the verification after an action, the actions
// (right under the advice), the timeline, the sources with their evidence.
import { useEffect } from 'preact/hooks';
import type { TimelineResponse } from '../../service/http/contract.ts';
import { ActionsPanel } from '../components/actions-panel.tsx';
import { useApp } from '../components/context.ts';
import { ErrorNotice, Loading } from '../components/error-notice.tsx';
import { SnapshotLine } from '../components/snapshot-line.tsx';
import { SourcesList } from '../components/sources-list.tsx';
import { StatusBanner } from '../components/status-banner.tsx';
import { TimelineChart } from '../components/timeline-chart.tsx';
import { VerificationPanel } from '../components/verification.tsx';
import { markOnce } from '../mark.ts';
import { RANGES, loadRoute, loadTimeline, type RangeKey } from '../state.ts';
import { SubscriptionHeader } from './subscription-header.tsx';

function ChartCard({ id }: { id: number }) {
  const app = useApp();
  const { i18n } = app;
  const s = app.timeline.state.value;
  const data: TimelineResponse | null = s.data;
  useEffect(() => {
    if (data) markOnce('sendtrace:diagnosis-chart');
  }, [data]);
  const pick = (r: RangeKey) => {
    app.range.value = r;
    void loadTimeline(app, id);
  };
  return (
    <section class="st-card" aria-labelledby="st-chart-t">
      <div class="st-card__head">
        <h2 id="st-chart-t" class="st-h2">{i18n.t('chart.title')}</h2>
        <div class="st-segmented" role="group" aria-label={i18n.t('chart.range')}>
          {(Object.keys(RANGES) as RangeKey[]).map((r) => (
            <button key={r} type="button" aria-pressed={app.range.value === r} onClick={() => pick(r)}>{i18n.t(`chart.range.${r}`)}</button>
          ))}
        </div>
      </div>
      {s.status === 'error' && <ErrorNotice error={s.error} onRetry={() => void loadTimeline(app, id)} />}
      {!data && s.status === 'loading' && <Loading />}
      {data && (data.points.length ? <TimelineChart data={data} /> : <p class="st-muted">{i18n.t('chart.empty')}</p>)}
    </section>
  );
}

export function DiagnosisView({ id }: { id: number }) {
  const app = useApp();
  const { i18n } = app;
  const s = app.detail.state.value;
  // Stale data of the same subscription stays on screen while it refreshes (an open dialog must survive).
  const d = s.key === String(id) ? s.data : null;
  useEffect(() => {
    if (d) markOnce('sendtrace:diagnosis');
  }, [d]);
  if (!d) return s.status === 'error' ? <ErrorNotice error={s.error} onRetry={() => void loadRoute(app)} /> : <Loading />;
  const sub = d.subscription;
  return (
    <section aria-labelledby="st-title" class="st-diagnosis">
      <SubscriptionHeader sub={sub} now={d.snapshot.now} tab="diagnosis" />
      <SnapshotLine meta={d.snapshot} />
      {s.status === 'error' && <ErrorNotice error={s.error} onRetry={() => void loadRoute(app)} />}
      <StatusBanner sub={sub} />
      <VerificationPanel id={id} />
      <ActionsPanel sub={sub} />
      <ChartCard id={id} />
      <section class="st-card" aria-labelledby="st-sources-t">
        <h2 id="st-sources-t" class="st-h2">{i18n.t('sources.title')}</h2>
        <SourcesList sources={sub.sources} now={d.snapshot.now} />
      </section>
    </section>
  );
}
