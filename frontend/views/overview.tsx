// Every subscription the user may see (admin: all; reseller: its customers'),
// blocked ones first: status, the last hour against the limit, the top
// source, risk and slow-leak markers. Sorted, filtered and paged by the
// sidecar (overview-model.ts): the page receives 50 rows, not 10,000.
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { ListItem } from '../../service/http/contract.ts';
import { useApp } from '../components/context.ts';
import { ErrorNotice, Loading } from '../components/error-notice.tsx';
import { LeakMarker, RiskMarker, StatusBadge } from '../components/markers.tsx';
import { Pager } from '../components/pager.tsx';
import { SnapshotLine } from '../components/snapshot-line.tsx';
import type { MessageKey } from '../i18n/index.ts';
import { markOnce } from '../mark.ts';
import { hrefOf } from '../route.ts';
import { loadList, loadRoute } from '../state.ts';
import { listParams, nextSort, pageOf, type OverviewQuery, type SortKey } from './overview-model.ts';

// Typing in the filter asks the sidecar once the typing pauses; a click asks at once.
const TYPING_MS = 150;

/** Loads the page again when the query changes (not on the first render: the route's load does that). */
function useQueryLoads(q: OverviewQuery, load: () => void) {
  const last = useRef<OverviewQuery | null>(null);
  useEffect(() => {
    const prev = last.current;
    last.current = q;
    if (prev === null || prev === q) return;
    const onlyText = prev.text !== q.text && prev.problemsOnly === q.problemsOnly && prev.sort === q.sort && prev.dir === q.dir;
    const timer = setTimeout(load, onlyText ? TYPING_MS : 0);
    return () => clearTimeout(timer);
  }, [q]);
}

const COLUMNS: Array<[SortKey, MessageKey]> = [['name', 'col.name'], ['owner', 'col.owner'], ['status', 'col.status'], ['lastHour', 'col.lastHour'], ['source', 'col.source'], ['risk', 'col.risk']];

function LastHour({ h }: { h: ListItem['lastHour'] }) {
  const { i18n } = useApp();
  const over = h.limit !== null && h.limit >= 0 && h.passed + h.rejected > h.limit;
  return (
    <span class={over ? 'st-text-danger' : ''}>
      {i18n.t('lastHour.passed', { count: i18n.num(h.passed) })}
      {h.rejected > 0 && <> · <strong>{i18n.t('lastHour.rejected', { count: i18n.num(h.rejected) })}</strong></>}
      <span class="st-muted"> / {h.limit !== null && h.limit >= 0 ? i18n.t('lastHour.limit', { limit: i18n.num(h.limit) }) : i18n.t('lastHour.noLimit')}</span>
    </span>
  );
}

export function OverviewView() {
  const app = useApp();
  const { i18n } = app;
  const s = app.list.state.value;
  const q = app.query.value;
  const data = s.data;
  const page = useMemo(() => (data ? pageOf(data, q) : null), [data, q.pageSize]);
  const set = (patch: Partial<typeof q>) => (app.query.value = { ...q, page: 1, ...patch });
  useQueryLoads(q, () => void loadList(app));
  useEffect(() => {
    if (data?.snapshot.generation) markOnce('sendtrace:overview');
    // Past the end (the list shrank since the page was chosen): the last page instead.
    if (page?.page === 0) app.query.value = { ...app.query.value, page: page.pages };
  }, [data]);
  if (!s.data) return s.status === 'error' ? <ErrorNotice error={s.error} onRetry={() => void loadRoute(app)} /> : <Loading />;
  const now = s.data.snapshot.now;
  if (s.data.snapshot.generation === 0) {
    const [what, todo] = i18n.pair('error.NOT_READY');
    return <p class="st-alert st-alert--warning" role="status">{what} {todo}</p>;
  }
  return (
    <section aria-labelledby="st-title">
      <h1 id="st-title" class="st-h1">{i18n.t('overview.title')}</h1>
      <SnapshotLine meta={s.data.snapshot} />
      {s.status === 'error' && <ErrorNotice error={s.error} onRetry={() => void loadRoute(app)} />}
      <div class="st-toolbar">
        <label class="st-field st-field--inline">
          <span>{i18n.t('overview.filter')}</span>
          <input type="search" value={q.text} placeholder={i18n.t('overview.filterHint')} onInput={(e) => set({ text: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="st-check">
          <input type="checkbox" checked={q.problemsOnly} onChange={() => set({ problemsOnly: !q.problemsOnly })} /> {i18n.t('overview.problemsOnly')}
        </label>
        <span class="st-muted" role="status">{i18n.t('overview.count', { shown: i18n.num(page!.matched), total: i18n.num(page!.total) })}</span>
      </div>
      {/* While another page, order or filter loads, the rows shown stay, dimmed after a moment (styles.css). */}
      <div class="st-table-wrap" aria-busy={s.status === 'loading' && data?.asked !== JSON.stringify(listParams(q)) ? 'true' : undefined}>
        <table class="st-table st-table--cards" data-testid="overview">
          <thead>
            <tr>
              {COLUMNS.map(([key, label]) => (
                <th key={key} scope="col" aria-sort={q.sort === key ? (q.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
                  <button type="button" class="st-sort" onClick={() => (app.query.value = { ...q, ...nextSort(q, key) })} title={i18n.t('col.sortHint', { column: i18n.t(label) })}>
                    {i18n.t(label)}
                    <span aria-hidden="true" class="st-sort__arrow">{q.sort === key ? (q.dir === 'asc' ? '▲' : '▼') : ''}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {page!.rows.map((r) => (
              <tr key={r.id} class={r.status === 'not-sending' ? 'st-row--blocked' : ''}>
                <td data-label={i18n.t('col.name')}>
                  <a href={hrefOf({ view: 'diagnosis', id: r.id })} aria-label={i18n.t('overview.open', { name: r.name })}>{r.name}</a>
                </td>
                <td data-label={i18n.t('col.owner')}>{r.owner.login}</td>
                <td data-label={i18n.t('col.status')}><StatusBadge item={r} now={now} /></td>
                <td data-label={i18n.t('col.lastHour')}><LastHour h={r.lastHour} /></td>
                <td data-label={i18n.t('col.source')}>
                  {r.topSource ? <><span class="st-tag">{i18n.t(`kind.${r.topSource.kind}`)}</span> <code class="st-path">{r.topSource.label}</code></> : <span class="st-muted">—</span>}
                </td>
                <td data-label={i18n.t('col.risk')}><RiskMarker risk={r.risk} /> <LeakMarker leak={r.leak} now={now} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page!.matched === 0 && <p class="st-muted">{i18n.t('overview.empty')}</p>}
      <Pager page={Math.max(1, page!.page)} pages={page!.pages} onPage={(p) => (app.query.value = { ...q, page: p })} />
    </section>
  );
}
