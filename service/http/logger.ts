// The sidecar's log (pino, through Fastify): one JSON line per event to stdout
// (the systemd journal). What must never appear there: the HMAC secret, the
// signature headers, cookies, request or response bodies (reset-passwords
// answers carry new passwords), PSA_PASSWORD. Requests are logged by their
// method, path and route only; redaction covers whatever a later change
// might log by mistake (a test greps the log for secrets).
import { randomBytes } from 'node:crypto';
import { LogController, type FastifyServerOptions } from 'fastify';

export const REDACT_PATHS = [
  'req.headers.cookie', 'req.headers.authorization', 'req.headers["x-sendtrace-signature"]', 'req.headers["x-sendtrace-nonce"]',
  'headers.cookie', 'headers["x-sendtrace-signature"]',
  'body', '*.body', 'payload', '*.payload',
  'password', '*.password', '*.passwords', 'accounts[*].password', '*.accounts[*].password', 'result.accounts[*].password',
  'env', '*.env', 'secret', '*.secret', 'key', '*.key',
];

export type LogDestination = { write(line: string): void };

export function loggerOptions(o: { level?: string; stream?: LogDestination }): Pick<FastifyServerOptions, 'logger' | 'genReqId' | 'logController'> {
  // Unique per process and cheap: a random prefix and a counter (the id is a reference in 5xx bodies, not a secret).
  const prefix = randomBytes(3).toString('hex');
  let n = 0;
  return {
    genReqId: () => `${prefix}${(++n).toString(36)}`,
    // One line per request, written when it is answered (app.ts), saying who asked and how it went.
    logController: new LogController({ disableRequestLogging: true }),
    logger: {
      level: o.level ?? 'info',
      ...(o.stream ? { stream: o.stream } : {}),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { method?: string; url?: string; routeOptions?: { url?: string } }) => ({
          method: req.method,
          // The query may carry filters but nothing secret; cut anyway to keep lines short.
          path: (req.url ?? '').split('?')[0]?.slice(0, 300),
          route: req.routeOptions?.url,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
  };
}
