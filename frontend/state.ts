// App state: signals made once by createAppState(); components read them and
// call the functions here (loads, navigation) — no fetch in components.
import { signal } from '@preact/signals';
import type {
  AuditEntry, AuditResponse, DetailResponse, ListResponse, MeResponse, QuarantineListResponse, SettingsDocument, TimelineResponse,
} from '../service/http/contract.ts';
import { ApiError, type Api } from './api.ts';
import { isTransient } from './components/error-text.ts';
import type { Bootstrap } from './bootstrap.ts';
import { createI18n } from './i18n/index.ts';
import { createResource } from './resource.ts';
import { hrefOf, parseRoute, type Route } from './route.ts';
import { DEFAULT_QUERY, listParams } from './views/overview-model.ts';
import { fromServer, verifyFromMinutes, type ServerVerification, type VerificationView } from './components/verification-model.ts';

export const RANGES = { '24h': 24, '7d': 7 * 24, '30d': 30 * 24 } as const;
export type RangeKey = keyof typeof RANGES;
const HOUR = 3_600_000;
// Actions whose effect the page can judge itself from the system user's pickups (the timeline's
// minute steps). A password reset is judged by SMTP logins, which only the sidecar's verdict knows.
const VERIFIED_ACTIONS = new Set(['quarantine', 'purge-queue']);

export type LastAction = { subscriptionId: number; action: string; at: number; target: string };

export function createAppState(boot: Bootstrap, api: Api, location: { hash: string }) {
  const i18n = createI18n(boot.locale, boot.lang, boot.timezone);
  const start: Route = boot.subscriptionId !== null ? { view: 'diagnosis', id: boot.subscriptionId } : { view: 'overview' };
  const app = {
    boot, api, i18n, start,
    route: signal<Route>(parseRoute(location.hash, start)),
    me: createResource<MeResponse>(),
    list: createResource<ListResponse & { asked?: string }>(),
    query: signal({ ...DEFAULT_QUERY }),
    detail: createResource<DetailResponse>(),
    range: signal<RangeKey>('24h'),
    timeline: createResource<TimelineResponse>(),
    lastAction: signal<LastAction | null>(null),
    verification: createResource<VerificationView | null>(),
    settings: createResource<SettingsDocument>(),
    audit: createResource<AuditResponse>(),
    quarantine: createResource<QuarantineListResponse>(),
    live: signal<'events' | 'polling'>('polling'),
  };
  return app;
}

export type AppState = ReturnType<typeof createAppState>;

export function navigate(app: AppState, r: Route, hist: { hash: string }): void {
  hist.hash = hrefOf(r);   // the hashchange listener sets app.route
}

/** The hour timeline of a period ending at the diagnosis' instant; a period reaching past the statistics is clipped to them. */
export async function loadTimeline(app: AppState, id: number): Promise<void> {
  const range = app.range.value;
  const now = app.detail.state.value.data?.snapshot.now ?? null;
  await app.timeline.load(`${id}:${range}`, async () => {
    if (now === null) return app.api.timeline(id, { step: 'hour' });
    const to = Date.parse(now);
    const ask = (from: number) => app.api.timeline(id, { step: 'hour', from: new Date(from).toISOString(), to: new Date(to).toISOString() });
    try {
      return await ask(to - RANGES[range] * HOUR);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 'SENDTRACE_ERR_INVALID_REQUEST') throw err;
      const any = await app.api.timeline(id, { step: 'hour' });   // learn what is available
      const first = any.available.hour ? Date.parse(any.available.hour.from) : NaN;
      return Number.isFinite(first) && first < to ? ask(Math.max(first, to - RANGES[range] * HOUR)) : any;
    }
  });
}

/** The latest real (not dry-run) action on this subscription that the page can verify, from the audit log. */
export function latestAction(records: AuditEntry[], subscription: { id: number; name: string }): LastAction | null {
  let best: LastAction | null = null;
  for (const r of records) {
    if (r.dryRun || !VERIFIED_ACTIONS.has(r.action) || (r.result !== 'done' && r.result !== 'partial')) continue;
    if (r.subscription?.toLowerCase() !== subscription.name.toLowerCase()) continue;
    if (!best || r.at > best.at) best = { subscriptionId: subscription.id, action: r.action, at: r.at, target: r.target };
  }
  return best;
}

export async function refreshVerification(app: AppState, id: number): Promise<void> {
  const detail = app.detail.state.value.data;
  if (!detail || detail.subscription.id !== id) return;
  const now = detail.snapshot.now ? Date.parse(detail.snapshot.now) : Date.now();
  let last = app.lastAction.value?.subscriptionId === id ? app.lastAction.value : null;
  try {
    last = latestAction((await app.api.audit(new Date(now - 7 * 24 * HOUR).toISOString())).records, detail.subscription);
  } catch (err) {
    // Without the audit log the verdict can still follow an action taken on this page.
    if (!(err instanceof ApiError)) throw err;
  }
  app.lastAction.value = last;
  if (!last) return app.verification.set(String(id), null);
  await app.verification.load(String(id), async () => {
    const server = (detail as DetailResponse & { verifications?: ServerVerification[] }).verifications;
    const mine = server?.filter((v) => Date.parse(v.at) === last.at && v.action === last.action)[0];
    if (mine) return fromServer(mine);
    const minute = app.timeline.state.value.data?.available.minute ?? (await app.api.timeline(id, { step: 'hour' })).available.minute;
    const until = minute ? Date.parse(minute.to) : NaN;
    const since = Math.ceil(last.at / 60_000) * 60_000;
    if (!minute || !(until > since)) return verifyFromMinutes(last.at, { points: [], to: minute?.to ?? new Date(since - 1).toISOString() });
    const from = Math.max(Math.floor(last.at / 60_000) * 60_000, Date.parse(minute.from));
    const tl = await app.api.timeline(id, { step: 'minute', from: new Date(from).toISOString(), to: minute.to });
    return verifyFromMinutes(last.at, tl);
  });
}

export async function loadDiagnosis(app: AppState, id: number): Promise<void> {
  const [d] = await Promise.all([app.detail.load(String(id), () => app.api.detail(id)), app.quarantine.load('all', () => app.api.quarantineList())]);
  if (!d) return;
  await loadTimeline(app, id);
  await refreshVerification(app, id);
}

/**
 * The overview's page for the current query. One key for every query: the rows shown stay on
 * screen while the next sort, filter or page loads, and a late answer never replaces a newer one.
 */
export async function loadList(app: AppState): Promise<void> {
  const params = listParams(app.query.value);
  // `asked`: which query the rows answer, so the view can tell rows of an earlier query (loading) from current ones.
  await app.list.load('list', async () => ({ ...(await app.api.list(params)), asked: JSON.stringify(params) }));
}

/** Loads what the current view shows. `quiet`: a background refresh. */
export async function loadRoute(app: AppState): Promise<void> {
  const r = app.route.value;
  if (r.view === 'overview') await loadList(app);
  else if (r.view === 'diagnosis') await loadDiagnosis(app, r.id);
  else if (r.view === 'settings') {
    await Promise.all([app.settings.load(String(r.id), () => app.api.settings(r.id)), app.detail.load(String(r.id), () => app.api.detail(r.id))]);
  } else if (r.view === 'audit') await app.audit.load('all', () => app.api.audit());
  else await app.quarantine.load('all', () => app.api.quarantineList());
}

/** The view shows "not ready yet" (first analysis running, a transient failure): worth asking again soon. */
export function needsRetry(app: AppState): boolean {
  const r = app.route.value;
  const res = r.view === 'overview' ? app.list : r.view === 'diagnosis' ? app.detail : r.view === 'settings' ? app.settings : r.view === 'audit' ? app.audit : app.quarantine;
  const s = res.state.value;
  if (s.status === 'error') return isTransient(s.error);
  const snap = (s.data as { snapshot?: { generation: number } } | null)?.snapshot;
  return s.status === 'ok' && snap !== undefined && snap.generation === 0;
}
