// Keeping the page current: the sidecar's event stream (GET /api/events)
// when it gets through the panel's proxy, polling otherwise. A finished scan
// or an action on the subscription in view reloads what the view shows, so
// the verification after an action updates by itself.
import type { ServerEvent } from '../service/http/contract.ts';
import { loadRoute, needsRetry, refreshVerification, type AppState } from './state.ts';

const POLL_MS = 20_000;
const RETRY_MS = 3_000;   // while the first analysis runs, or after a transient failure

type Source = Pick<EventSource, 'close' | 'addEventListener' | 'onopen' | 'onerror'>;

export function startLive(app: AppState, makeSource: ((url: string) => Source) | null): () => void {
  let timer: ReturnType<typeof setInterval> | null = null;
  let pending = false;
  const refresh = async () => {
    if (pending) return;
    pending = true;
    try {
      await loadRoute(app);
    } finally {
      pending = false;
    }
  };
  const shownId = () => {
    const r = app.route.value;
    return r.view === 'diagnosis' || r.view === 'settings' ? r.id : null;
  };
  const onEvent = (e: ServerEvent) => {
    if (e.type === 'scan' && e.state === 'done') void refresh();
    else if (e.type === 'finding' && (shownId() === null || shownId() === e.subscriptionId)) void refresh();
    else if (e.type === 'action' && shownId() === e.subscriptionId && app.route.value.view === 'diagnosis') void refreshVerification(app, e.subscriptionId);
  };
  const poll = () => {
    if (timer === null) timer = setInterval(() => void refresh(), POLL_MS);
  };
  const retry = setInterval(() => {
    if (needsRetry(app)) void refresh();
  }, RETRY_MS);
  let source: Source | null = null;
  if (makeSource) {
    source = makeSource(app.api.eventsUrl());
    source.onopen = () => {
      app.live.value = 'events';
      if (timer !== null) clearInterval(timer);
      timer = null;
    };
    // EventSource reconnects by itself; poll meanwhile so nothing goes stale.
    source.onerror = () => {
      app.live.value = 'polling';
      poll();
    };
    for (const type of ['scan', 'finding', 'action']) {
      source.addEventListener(type, (m) => {
        let data: unknown;
        try {
          data = JSON.parse(String(m.data));
        } catch (err) {
          if (err instanceof SyntaxError) return;   // a garbled event is skipped, the next one will do
          throw err;
        }
        onEvent(data as ServerEvent);
      });
    }
  } else poll();
  return () => {
    clearInterval(retry);
    source?.close();
    if (timer !== null) clearInterval(timer);
  };
}
