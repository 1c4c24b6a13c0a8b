// The diagnosis the API serves: computed in the background, replaced when its
// inputs change (never per request), with progress reported as it runs.
// Inputs are polled (inputs-fingerprint.ts); a change of psa ownership
// reloads authorization at once, anything else schedules a refresh, at most
// one at a time and not more often than `minIntervalMs`; with no change at
// all a diagnosis is still redone after `maxAgeMs` (statuses depend on time).
import type { ServerEvent } from '../contract.ts';
import { buildOwnership, type Ownership, type OwnershipData } from '../authorize.ts';
import type { Fingerprint } from './inputs-fingerprint.ts';
import type { SnapshotData } from './snapshot.ts';
import { createSnapshotView, type SnapshotView } from './snapshot-view.ts';
import { describeError } from '../../errors.ts';
import { formatIso } from '../../time.ts';

export type CacheLog = { info(o: object, msg: string): void; warn(o: object, msg: string): void; error(o: object, msg: string): void };

export type DiagnosisCacheOptions = {
  collect: (now: number) => Promise<SnapshotData>;
  fingerprint: (now: number) => Promise<Fingerprint>;
  loadOwnership: (now: number) => Promise<OwnershipData>;
  analysisNow: () => number;         // the instant diagnoses are made as of (Date.now, or a fixed --now)
  clock: () => number;
  zone: string;
  publish: (event: ServerEvent, subscriptionId: number | null) => void;
  log: CacheLog;
  pollMs?: number;
  minIntervalMs?: number;
  maxAgeMs?: number;
  progressMs?: number;
};

export type RefreshState = { startedAt: number; expectedMs: number | null };

export type DiagnosisCache = {
  current(): SnapshotView | null;
  ownership(): Ownership | null;
  refreshing(): RefreshState | null;
  start(): void;
  /** Inputs are known to have changed (an action moved a file): refresh as soon as allowed. */
  requestRefresh(): void;
  /** Resolves when no refresh is running or scheduled (tests, graceful shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
};

export function createDiagnosisCache(o: DiagnosisCacheOptions): DiagnosisCache {
  const pollMs = o.pollMs ?? 30_000;
  const minIntervalMs = o.minIntervalMs ?? 60_000;
  const maxAgeMs = o.maxAgeMs ?? 15 * 60_000;
  let view: SnapshotView | null = null;
  let owners: Ownership | null = null;
  let ownersGeneration = 0;
  let ownersReadAt = -Infinity;
  type RefreshRun = { basis: Fingerprint | null; done: boolean };
  let running: { promise: Promise<void>; state: RefreshState; run: RefreshRun } | null = null;
  let unlooked: RefreshRun | null = null;     // a refresh started before the first look at the inputs (start)
  let lastStart = -Infinity;
  let lastDuration: number | null = null;
  let dirty = true;
  let seen: Fingerprint | null = null;        // as of the last poll
  let computedFrom: Fingerprint | null = null; // what the current snapshot was made from
  let stopped = false;
  let pollTimer: NodeJS.Timeout | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let polling: Promise<void> | null = null;

  const installOwnership = (data: OwnershipData, readAt: number) => {
    if (readAt < ownersReadAt) return;   // a slower, older read must not replace a newer one
    ownersReadAt = readAt;
    owners = buildOwnership(data, ++ownersGeneration);
  };

  const publishFindings = (prev: SnapshotView | null, next: SnapshotView) => {
    for (const [id, s] of next.data.summary) {
      const before = prev?.data.summary.get(id) ?? null;
      const changed = before ? before.status !== s.status || before.cause !== s.cause : s.cause !== 'none' || s.status === 'not-sending';
      if (!changed) continue;
      o.publish({ type: 'finding', generation: next.generation, subscriptionId: id, name: s.name, status: s.status, cause: s.cause, risk: s.risk, previous: before && { status: before.status, cause: before.cause, risk: before.risk } }, id);
    }
  };

  const refresh = () => {
    const startedAt = o.clock();
    lastStart = startedAt;
    dirty = false;
    // What this refresh is made from: the last look at the inputs (the very first refresh starts beside the first look, which fills it in: poll).
    const run: RefreshRun = { basis: seen, done: false };
    if (run.basis === null) unlooked = run;
    const state: RefreshState = { startedAt, expectedMs: lastDuration };
    const scanEvent = (s: 'running' | 'done' | 'failed', message: string | null): ServerEvent => ({
      type: 'scan', state: s, generation: view?.generation ?? 0, startedAt: formatIso(startedAt, o.zone), elapsedMs: Math.max(0, o.clock() - startedAt), expectedMs: lastDuration, message,
    });
    o.publish(scanEvent('running', null), null);
    const ticker = setInterval(() => o.publish(scanEvent('running', null), null), o.progressMs ?? 1_000);
    ticker.unref();
    const failed = (message: string, err: unknown) => {
      dirty = true;
      o.log.error({ err }, 'diagnosis refresh failed');
      o.publish(scanEvent('failed', `the diagnosis could not be refreshed: ${message}`), null);
    };
    const promise = o.collect(o.analysisNow()).then((data) => {
      if (stopped) return;
      // psa unreadable for this refresh only (MariaDB restarting under a Plesk
      // update, a query cut off mid-flight): a diagnosis from the logs alone
      // would replace psa's subscriptions, owners and OMC status with ones
      // inferred from disk, and ownership with none (customers would lose
      // their subscriptions until psa is back). Keep serving the last one
      // that had psa, say so, and retry (dirty) like any failed refresh.
      if (data.psaError && view?.data.stats) {
        failed(`${data.psaError}; still serving the diagnosis of ${formatIso(view.data.now, o.zone)}`, data.psaError);
        return;
      }
      lastDuration = o.clock() - startedAt;
      const prev = view;
      const viewAt = o.clock();
      view = createSnapshotView(data, (prev?.generation ?? 0) + 1, o.clock());
      const viewMs = o.clock() - viewAt;
      computedFrom = run.basis;
      run.done = true;
      installOwnership(data.ownership, startedAt);
      o.log.info({ generation: view.generation, subscriptions: data.ranked.length, ms: lastDuration, reads: data.timings, viewMs, warnings: data.warnings.length }, 'diagnosis refreshed');
      o.publish(scanEvent('done', null), null);
      publishFindings(prev, view);
    }, (err: unknown) => {
      // Shutting down ends a refresh by ending its worker: that is not a failure to report.
      if (stopped) return;
      failed(describeError(err), err);
    }).finally(() => {
      clearInterval(ticker);
      running = null;
      schedule();
    });
    running = { promise, state, run };
  };

  const schedule = () => {
    if (stopped || running || retryTimer) return;
    const age = view ? o.clock() - view.computedAt : Infinity;
    if (!dirty && age < maxAgeMs) return;
    const wait = lastStart + minIntervalMs - o.clock();
    if (wait <= 0) return refresh();
    retryTimer = setTimeout(() => {
      retryTimer = null;
      schedule();
    }, wait);
    retryTimer.unref();
  };

  const poll = async () => {
    const now = o.clock();
    const fp = await o.fingerprint(o.analysisNow());
    if (seen && fp.ownership !== seen.ownership) {
      o.log.info({}, 'psa ownership changed: reloading authorization');
      installOwnership(await o.loadOwnership(o.analysisNow()), now);
    }
    seen = fp;
    // The first refresh started without a look at its inputs (start): this one, taken beside it, is its basis, running or done.
    if (unlooked) {
      unlooked.basis = fp;
      if (unlooked.done) computedFrom = fp;
      unlooked = null;
    }
    // Compared with what the running refresh started from, else with what the current snapshot was made from.
    const ref = running ? running.run.basis : computedFrom;
    if (!ref || fp.files !== ref.files || fp.ownership !== ref.ownership || fp.activity !== ref.activity) dirty = true;
    schedule();
  };
  const pollSafely = () => {
    polling ??= poll().catch((err: unknown) => o.log.warn({ err: describeError(err) }, 'cannot check the diagnosis inputs')).finally(() => {
      polling = null;
    });
    return polling;
  };

  return {
    current: () => view,
    ownership: () => owners,
    refreshing: () => running?.state ?? null,
    start() {
      const now = o.clock();
      void o.loadOwnership(o.analysisNow()).then((d) => installOwnership(d, now), (err: unknown) => o.log.warn({ err: describeError(err) }, 'cannot read psa ownership yet'));
      // The first refresh starts at once, beside the first look at the inputs
      // (a `plesk db` call, a second or more on a large server), not after it:
      // nothing is served until it ends (docs/decisions/011, addendum 2).
      if (!view && !running) refresh();
      void pollSafely().then(() => schedule());
      pollTimer = setInterval(() => void pollSafely(), pollMs);
      pollTimer.unref();
    },
    requestRefresh() {
      dirty = true;
      schedule();
    },
    async idle() {
      for (;;) {
        if (polling) await polling;
        if (running) await running.promise;
        else if (!polling) return;
      }
    },
    async stop() {
      stopped = true;
      if (pollTimer) clearInterval(pollTimer);
      if (retryTimer) clearTimeout(retryTimer);
      await polling;
    },
  };
}
