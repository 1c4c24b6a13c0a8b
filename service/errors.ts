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
