// An API failure as a person reads it: what happened, what to do, and the
// service's own message as a detail (it names the reason: "a file has
// appeared at the original path…"). Never a stack, never a blank page.
import { ApiError } from '../api.ts';
import type { I18n, MessageKey } from '../i18n/index.ts';

export type ErrorText = { what: string; todo: string; detail: string | null; issues: Array<{ where: string; message: string }>; code: string };

const KNOWN = new Set([
  'NETWORK', 'TIMEOUT', 'SESSION', 'BAD_RESPONSE', 'NOT_FOUND', 'FORBIDDEN', 'UNAUTHENTICATED', 'RATE_LIMITED', 'NOT_READY',
  'NOT_AVAILABLE', 'INVALID_REQUEST', 'REFUSED', 'PATH_NOT_ALLOWED', 'ACTION_FAILED', 'INTERNAL',
]);

/** The catalogue key for an error code: SENDTRACE_ERR_X → X; HTTP statuses without a body map by class. */
export function errorKey(err: unknown): string {
  if (!(err instanceof ApiError)) return 'OTHER';
  const code = err.code.replace(/^SENDTRACE_ERR_/, '');
  if (KNOWN.has(code)) return code;
  if (err.status === 401) return 'UNAUTHENTICATED';
  if (err.status === 403) return 'FORBIDDEN';
  if (err.status === 404) return 'NOT_FOUND';
  if (err.status === 429) return 'RATE_LIMITED';
  if (err.status === 503) return 'NOT_READY';
  if (err.status >= 500) return 'INTERNAL';
  return 'OTHER';
}

export function describeError(err: unknown, i18n: Pick<I18n, 'pair'>): ErrorText {
  const key = errorKey(err);
  const [what, todo] = i18n.pair(`error.${key}` as MessageKey);
  if (!(err instanceof ApiError)) {
    // A bug in the page itself: say so, keep the message short (the console has the stack).
    return { what, todo, detail: err instanceof Error ? err.message.slice(0, 300) : null, issues: [], code: key };
  }
  // Our own codes carry a message worth reading; for transport failures it adds nothing.
  const detail = err.code.startsWith('SENDTRACE_ERR_') ? err.message : null;
  return { what, todo, detail, issues: err.issues, code: key };
}

/** True when trying again later may help on its own (the view retries these by itself). */
export function isTransient(err: unknown): boolean {
  const k = errorKey(err);
  return k === 'NOT_READY' || k === 'RATE_LIMITED' || k === 'NETWORK' || k === 'TIMEOUT';
}
