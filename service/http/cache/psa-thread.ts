// psa reads between diagnoses — the ownership, the live watcher's directory
// (every few minutes) and the timeline's hourly statistics (per request) — in
// ONE long-lived worker thread, not on the sidecar's main thread. Each read spawns `plesk db`
// and parses what it prints: in a 4-minute soak (2,000 subscriptions, 10
// requests/s) the main thread spent 11.6 s of 244 s inside spawn() (a fork of
// a process whose memory includes the diagnosis workers' heaps), with
// stretches of 0.6 s, and start-up parsed psa for 0.6 s in one go
// (docs/decisions/014-psa-reads-off-the-main-thread.md). The thread starts on
// first use and ends after a minute with nothing to do (its ~43 MB go back);
// one that dies fails what it was doing, and the next read starts another.
import { parentPort, Worker } from 'node:worker_threads';
import type { Config } from '../../config.ts';
import { ERROR_CODES, SendtraceError, type ErrorCode } from '../../errors.ts';
import type { DirectoryInput } from '../../live/directory.ts';
import type { Passwd } from '../../sources/passwd.ts';
import type { OwnershipData } from '../authorize.ts';
import type { HourlyStats } from './stats-reader.ts';
import type { WorkerLauncher } from './worker.ts';

export type PsaRequest =
  | { kind: 'ownership'; config: Config }
  | { kind: 'live-directory'; config: Config }
  | { kind: 'hourly'; config: Config; since: number; until: number; subscriptionIds: number[] };

export type LiveDirectoryParts = { input: DirectoryInput; passwd: Passwd; warnings: string[] };

type Answer<K extends PsaRequest['kind']> =
  K extends 'ownership' ? OwnershipData : K extends 'live-directory' ? LiveDirectoryParts : HourlyStats;

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code: string | null; message: string; detail: string };

export type PsaThread = {
  read<R extends PsaRequest>(request: R): Promise<Answer<R['kind']>>;
  /** Reads in flight (tests, metrics). */
  pending(): number;
  /** Whether the thread is running now. */
  running(): boolean;
  close(): Promise<void>;
};

export function createPsaThread(launcher: WorkerLauncher, o: { idleMs?: number } = {}): PsaThread {
  const idleMs = o.idleMs ?? 60_000;
  let worker: Worker | null = null;
  let closed = false;
  let nextId = 1;
  let idleTimer: NodeJS.Timeout | null = null;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void; kind: string; on: Worker }>();

  /** Fails the reads sent to `on` (all when null): a thread that ended answers none of them, and no other thread's. */
  const failAll = (on: Worker | null, err: (kind: string) => Error) => {
    for (const [id, w] of waiting) {
      if (on !== null && w.on !== on) continue;
      waiting.delete(id);
      w.reject(err(w.kind));
    }
  };
  const armIdle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    if (waiting.size || !worker) return;
    const w = worker;
    idleTimer = setTimeout(() => {
      if (worker === w && waiting.size === 0) {
        worker = null;
        void w.terminate();
      }
    }, idleMs);
    idleTimer.unref();
  };
  const start = (): Worker => {
    const w = new Worker(launcher.entry, { argv: ['serve', '--worker'], workerData: { kind: 'psa-thread' }, ...(launcher.execArgv ? { execArgv: launcher.execArgv } : {}) });
    w.on('message', (m: Reply) => {
      const entry = waiting.get(m.id);
      if (!entry) return;
      waiting.delete(m.id);
      if (m.ok) entry.resolve(m.value);
      else {
        const code = ERROR_CODES.includes(m.code as ErrorCode) ? (m.code as ErrorCode) : null;
        // A coded error keeps its code (psa unreadable stays SENDTRACE_ERR_PANEL_DB); anything else is a bug, with its stack.
        entry.reject(code ? new SendtraceError(code, m.message) : Object.assign(new Error(`the psa read (${entry.kind}) failed: ${m.message}`), { stack: m.detail || undefined }));
      }
      armIdle();
    });
    w.on('error', (err) => {
      if (worker === w) worker = null;
      failAll(w, () => err);
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(w, (kind) => new Error(`the psa thread exited with code ${code} during a read (${kind})`));
    });
    return w;
  };

  return {
    read<R extends PsaRequest>(request: R): Promise<Answer<R['kind']>> {
      if (closed) return Promise.reject(new Error('the sidecar is shutting down'));
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = null;
      const on = (worker ??= start());
      const id = nextId++;
      const answer = new Promise<unknown>((resolve, reject) => waiting.set(id, { resolve, reject, kind: request.kind, on }));
      on.postMessage({ id, request });
      return answer as Promise<Answer<R['kind']>>;
    },
    pending: () => waiting.size,
    running: () => worker !== null,
    async close() {
      closed = true;
      if (idleTimer) clearTimeout(idleTimer);
      const w = worker;
      worker = null;
      failAll(null, (kind) => new Error(`the sidecar is shutting down (psa read ${kind} abandoned)`));
      if (w) await w.terminate();
    },
  };
}

/** The thread's side: answers each request in turn, for as long as it is kept. */
export function servePsaThread(): Promise<never> {
  const port = parentPort!;
  port.on('message', (m: { id: number; request: PsaRequest }) => {
    answer(m.request).then(
      (value) => port.postMessage({ id: m.id, ok: true, value } satisfies Reply),
      (err: unknown) => port.postMessage(err instanceof SendtraceError
        ? { id: m.id, ok: false, code: err.code, message: err.message, detail: '' } satisfies Reply
        : { id: m.id, ok: false, code: null, message: err instanceof Error ? err.message : String(err), detail: err instanceof Error ? err.stack ?? '' : '' } satisfies Reply),
    );
  });
  return new Promise<never>(() => undefined);
}

async function answer(r: PsaRequest): Promise<unknown> {
  switch (r.kind) {
    case 'ownership': {
      const [{ readPanelLight }, { ownershipOf }] = await Promise.all([import('./panel-light.ts'), import('./snapshot.ts')]);
      return ownershipOf((await readPanelLight(r.config)).panel, r.config.vhostsRoot);
    }
    case 'live-directory': return (await import('../../live/live-panel.ts')).readLiveDirectoryParts(r.config);
    case 'hourly': return (await import('./stats-reader.ts')).readHourlyStats(r.config, { since: r.since, until: r.until, subscriptionIds: r.subscriptionIds }, 60_000);
  }
}
