// Long work off the main thread: a refresh of the diagnosis, or one action.
// The worker is the product's own entry (dist/sendtrace.mjs, or
// service/main.ts under the TypeScript loader) started as
// `serve --worker`, so the single-file bundle needs no second file. One job
// per worker: its memory goes back when it ends, and a stuck job is
// terminated on shutdown.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Config } from '../../config.ts';
import { ERROR_CODES, SendtraceError, type ErrorCode } from '../../errors.ts';

export type ActionCommand = 'quarantine' | 'restore' | 'reset-passwords' | 'purge-queue';

export type WorkerJob =
  | { kind: 'snapshot'; config: Config; now: number }
  | { kind: 'minutes'; config: Config; now: number }
  /** The long-lived thread of psa reads between diagnoses (psa-thread.ts): started by createPsaThread, not by run(). */
  | { kind: 'psa-thread' }
  | { kind: 'command'; command: ActionCommand; flags: Array<[string, string]>; config: Config; env: Record<string, string | undefined>; evidence?: unknown[] };

type WorkerReply = { ok: true; value: unknown } | { ok: false; code: string | null; message: string; detail: string };

export type WorkerLauncher = { entry: string | URL; execArgv?: string[] };

/** Handle on running jobs, so shutdown can end them. */
export type WorkerPool = {
  run<T>(job: WorkerJob): Promise<T>;
  /** Ends a refresh at once; lets an action finish for up to `graceMs` (it is crash-safe, but a finished action is better). */
  shutdown(graceMs: number): Promise<void>;
  running(): number;
};

export function createWorkerPool(launcher: WorkerLauncher): WorkerPool {
  const live = new Set<Worker>();
  const kinds = new Map<Worker, WorkerJob['kind']>();
  return {
    running: () => live.size,
    run<T>(job: WorkerJob): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const w = new Worker(launcher.entry, { argv: ['serve', '--worker'], workerData: job, ...(launcher.execArgv ? { execArgv: launcher.execArgv } : {}) });
        live.add(w);
        kinds.set(w, job.kind);
        let settled = false;
        w.once('message', (m: WorkerReply) => {
          settled = true;
          if (m.ok) resolve(m.value as T);
          else {
            const code = ERROR_CODES.includes(m.code as ErrorCode) ? (m.code as ErrorCode) : null;
            // A coded error keeps its code (a refusal stays a refusal); anything else is a bug, with its stack for the log.
            reject(code ? new SendtraceError(code, m.message) : Object.assign(new Error(`the ${job.kind} job failed: ${m.message}`), { stack: m.detail || undefined }));
          }
        });
        w.once('error', (err) => {
          settled = true;
          reject(err);
        });
        w.once('exit', (code) => {
          live.delete(w);
          kinds.delete(w);
          if (!settled) reject(new Error(`the ${job.kind} worker exited with code ${code} before answering`));
        });
      });
    },
    async shutdown(graceMs) {
      const ended = (w: Worker) => new Promise<void>((ok) => (live.has(w) ? w.once('exit', () => ok()) : ok()));
      await Promise.all([...live].map(async (w) => {
        if (kinds.get(w) === 'command') {
          const timer = setTimeout(() => void w.terminate(), graceMs);
          await ended(w);
          clearTimeout(timer);
        } else await w.terminate();
      }));
    },
  };
}

/** True inside a worker started by createWorkerPool. */
export function isSendtraceWorker(): boolean {
  return !isMainThread && workerData !== null && typeof workerData === 'object' && 'kind' in (workerData as object);
}

/** The worker side: run the job in workerData, answer once, end the thread. */
export async function serveWorkerJob(): Promise<never> {
  const job = workerData as WorkerJob;
  if (job.kind === 'psa-thread') return (await import('./psa-thread.ts')).servePsaThread();
  let reply: WorkerReply;
  try {
    reply = { ok: true, value: await runJob(job) };
  } catch (err) {
    reply = err instanceof SendtraceError
      ? { ok: false, code: err.code, message: err.message, detail: '' }
      : { ok: false, code: null, message: err instanceof Error ? err.message : String(err), detail: err instanceof Error ? err.stack ?? '' : '' };
  }
  parentPort!.postMessage(reply);
  // In a worker, exit() ends this thread only.
  process.exit(0);
}

async function runJob(job: WorkerJob): Promise<unknown> {
  if (job.kind === 'snapshot') return (await import('./collect.ts')).collectSnapshot(job.config, job.now);
  if (job.kind === 'minutes') return (await import('./collect.ts')).collectMinutes(job.config, job.now);
  if (job.kind === 'psa-thread') throw new Error('the psa thread is not a one-off job');
  const { runActionCommand } = await import('../actions/run-command-job.ts');
  return runActionCommand(job);
}
