// Every error leaves the sidecar as `{ error: { code, message, issues? } }`
// with a code from the one catalogue (service/errors.ts, docs/errors.md).
// 4xx bodies say what was wrong; 5xx bodies carry only a reference to the log
// line (paths, command output and stack traces stay in the server's log).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createError, SendtraceError, type ErrorCode } from '../errors.ts';
import type { ErrorBody } from './contract.ts';
import { RequestValidationError } from './zod-provider.ts';

/** Coded errors whose message is ours and safe to show even though the status is 5xx. */
const SAFE_5XX = new Set<ErrorCode>(['SENDTRACE_ERR_NOT_READY', 'SENDTRACE_ERR_NOT_AVAILABLE']);

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'SENDTRACE_ERR_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SENDTRACE_ERR_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SENDTRACE_ERR_INVALID_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SENDTRACE_ERR_INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_TYPE: 'SENDTRACE_ERR_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'SENDTRACE_ERR_MEDIA_TYPE',
};

export type ErrorReply = { status: number; body: ErrorBody; headers: Record<string, string> };

export function describeHttpError(err: unknown, reference: string): ErrorReply & { log: 'info' | 'warn' | 'error' } {
  const headers: Record<string, string> = {};
  if (err instanceof RequestValidationError) {
    const e = createError('SENDTRACE_ERR_INVALID_REQUEST', err.message.slice(0, 1000));
    return { status: e.status, body: { error: { code: e.code, message: e.message, issues: err.issues } }, headers, log: 'info' };
  }
  if (err instanceof SendtraceError) {
    const retry = (err as SendtraceError & { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retry !== undefined) headers['retry-after'] = String(retry);
    if (err.status >= 500 && !SAFE_5XX.has(err.code)) {
      return { status: err.status, body: { error: { code: err.code, message: createError('SENDTRACE_ERR_INTERNAL', reference).message } }, headers, log: 'error' };
    }
    return { status: err.status, body: { error: { code: err.code, message: err.message } }, headers, log: err.status === 401 || err.status === 403 ? 'warn' : err.status >= 500 ? 'error' : 'info' };
  }
  const fe = err as Partial<FastifyError>;
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) {
    const e = createError(mapped, fe.message ?? fe.code ?? '');
    return { status: e.status, body: { error: { code: e.code, message: e.message } }, headers, log: 'info' };
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    const e = createError('SENDTRACE_ERR_INVALID_REQUEST', 'the body is not valid JSON');
    return { status: 400, body: { error: { code: e.code, message: e.message } }, headers, log: 'info' };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify's own 4xx (malformed request line, bad content length): its message is about the request.
    const e = createError('SENDTRACE_ERR_INVALID_REQUEST', (fe.message ?? '').slice(0, 200));
    return { status: fe.statusCode, body: { error: { code: e.code, message: e.message } }, headers, log: 'info' };
  }
  const e = createError('SENDTRACE_ERR_INTERNAL', reference);
  return { status: 500, body: { error: { code: e.code, message: e.message } }, headers, log: 'error' };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const r = describeHttpError(err, request.id);
    // The log line keeps the whole error (with its reference); the body keeps only what is safe.
    if (r.log === 'error') request.log.error({ err, reference: request.id }, 'request failed');
    else request.log[r.log]({ code: r.body.error.code, message: r.body.error.message }, 'request refused');
    void reply.code(r.status).headers(r.headers).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(r.body));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = (request.raw.url ?? '').split('?')[0]!.replace(/[^\x21-\x7e]/g, '?').slice(0, 200);
    const e = createError('SENDTRACE_ERR_NOT_FOUND', 'Route', `${request.method} ${path}`);
    void reply.code(404).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify({ error: { code: e.code, message: e.message } }));
  });
}

export function isCoded(err: unknown, code: ErrorCode): err is SendtraceError {
  return err instanceof SendtraceError && err.code === code;
}
