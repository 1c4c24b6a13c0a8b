// `serve --worker`: the sidecar's worker threads (worker.ts) start the
// program's own entry with this internal flag. Kept apart from server.ts so a
// worker evaluates none of the HTTP server (cli.ts imports this lazily).
import { createError } from '../../errors.ts';
import { isSendtraceWorker, serveWorkerJob } from './worker.ts';

export function runWorker(): Promise<never> {
  if (!isSendtraceWorker()) throw createError('SENDTRACE_ERR_USAGE', '--worker is internal to the sidecar');
  return serveWorkerJob();
}
