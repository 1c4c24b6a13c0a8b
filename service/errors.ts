// The one error catalogue. Every error the product raises on purpose has a
// stable code here; messages are printf-like ('%s'). Exit codes follow
// CONTRACT.md: 2 bad usage/config, 3 action refused, 4 nothing readable.

export const EXIT = { ok: 0, partial: 1, usage: 2, refused: 3, unreadable: 4 } as const;

const catalogue = {
  SENDTRACE_ERR_USAGE: { message: '%s', exit: EXIT.usage, status: 400 },
  SENDTRACE_ERR_CONFIG: { message: 'Bad config %s: %s', exit: EXIT.usage, status: 400 },
  SENDTRACE_ERR_CONFIG_READ: { message: "Cannot read config file '%s': %s", exit: EXIT.usage, status: 400 },
  SENDTRACE_ERR_PANEL_DB: { message: "Plesk database query failed (%s): %s", exit: EXIT.unreadable, status: 502 },
  SENDTRACE_ERR_COMMAND: { message: "Command '%s' failed: %s", exit: EXIT.unreadable, status: 502 },
  SENDTRACE_ERR_COMMAND_TIMEOUT: { message: "Command '%s' did not finish within %s ms", exit: EXIT.unreadable, status: 504 },
  SENDTRACE_ERR_NOTHING_READABLE: { message: 'Nothing could be read: %s', exit: EXIT.unreadable, status: 502 },
  SENDTRACE_ERR_PATH_NOT_ALLOWED: { message: "Path '%s' is not allowed: %s", exit: EXIT.refused, status: 403 },
  SENDTRACE_ERR_REFUSED: { message: 'Refused: %s', exit: EXIT.refused, status: 409 },
  SENDTRACE_ERR_NOT_FOUND: { message: '%s not found: %s', exit: EXIT.usage, status: 404 },
  SENDTRACE_ERR_ACTION_FAILED: { message: '%s failed, nothing was changed: %s', exit: EXIT.refused, status: 500 },
  SENDTRACE_ERR_STATE: { message: "sendtrace state '%s' is unusable: %s", exit: EXIT.unreadable, status: 500 },
  // The sidecar's HTTP boundary (service/http/); exit codes matter only if a CLI path ever raises them.
  SENDTRACE_ERR_INVALID_REQUEST: { message: 'Invalid request: %s', exit: EXIT.usage, status: 400 },
  SENDTRACE_ERR_UNAUTHENTICATED: { message: 'Request refused: %s', exit: EXIT.refused, status: 401 },
  SENDTRACE_ERR_FORBIDDEN: { message: 'Not allowed: %s', exit: EXIT.refused, status: 403 },
  SENDTRACE_ERR_TOO_LARGE: { message: 'Request too large: %s', exit: EXIT.usage, status: 413 },
  SENDTRACE_ERR_MEDIA_TYPE: { message: 'Unsupported content type: %s', exit: EXIT.usage, status: 415 },
  SENDTRACE_ERR_RATE_LIMITED: { message: 'Too many requests: %s', exit: EXIT.refused, status: 429 },
  SENDTRACE_ERR_INTERNAL: { message: 'The sidecar could not complete the request (reference %s); the server log has the details', exit: EXIT.unreadable, status: 500 },
  SENDTRACE_ERR_NOT_AVAILABLE: { message: 'Not available: %s', exit: EXIT.refused, status: 501 },
  SENDTRACE_ERR_NOT_READY: { message: 'Not ready yet: %s', exit: EXIT.unreadable, status: 503 },
} as const;

export type ErrorCode = keyof typeof catalogue;
export const ERROR_CODES = Object.keys(catalogue) as ErrorCode[];

export class SendtraceError extends Error {
  readonly code: ErrorCode;
  readonly exit: number;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SendtraceError';
    this.code = code;
    this.exit = catalogue[code].exit;
    this.status = catalogue[code].status;
  }
}

export function createError(code: ErrorCode, ...args: Array<string | number>): SendtraceError {
  let i = 0;
  const message = catalogue[code].message.replace(/%s/g, () => String(args[i++] ?? ''));
  return new SendtraceError(code, message);
}

export function isErrno(err: unknown, code: string): err is NodeJS.ErrnoException {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

/** The short reason of a system error, for warnings that name a source. */
export function describeError(err: unknown): string {
  if (err instanceof SendtraceError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') return `${e.code}${e.syscall ? ` (${e.syscall})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
