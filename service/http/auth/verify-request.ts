// The trust boundary: every route but the explicitly public ones (/healthz,
// /metrics) needs the panel's signature (docs/signature.md). Checked in
// onRequest, before anything reads the body; the body is then held to the
// hash the signature covers by the only content parser there is. Refusals
// are 401, written to security.log and counted; a valid signature for an
// identity psa does not know is 403.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError, type SendtraceError } from '../../errors.ts';
import type { Ownership } from '../authorize.ts';
import type { SidecarMetrics } from '../metrics.ts';
import type { SecurityLog } from '../security-log.ts';
import type { NonceCache } from './nonce-cache.ts';
import { decodeLogin, HEADERS, malformedField, sha256Hex, signatureMatches, type Identity, type SignedParts } from './signature.ts';
import type { DevSigner } from './dev-signer.ts';

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null;
    signedContentSha256: string | null;
    devSigned: boolean;
  }
  interface FastifyContextConfig {
    /** Served without a signature (health and metrics only). */
    public?: boolean;
  }
}

export type AuthDeps = {
  key: Buffer;
  nonces: NonceCache;
  clock: () => number;
  maxSkewMs: number;
  securityLog: SecurityLog;
  metrics: SidecarMetrics;
  ownership: () => Ownership | null;
  devSigner: DevSigner | null;
  bodyLimit: number;
};

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

export function registerAuthentication(app: FastifyInstance, d: AuthDeps): void {
  app.decorateRequest('identity', null);
  app.decorateRequest('signedContentSha256', null);
  app.decorateRequest('devSigned', false);

  const pathOf = (req: FastifyRequest) => (req.raw.url ?? '').split('?')[0]!;
  const claimedOf = (req: FastifyRequest) => ({ user: header(req, HEADERS.user) ?? null, role: header(req, HEADERS.role) ?? null, clientId: header(req, HEADERS.clientId) ?? null });
  const refuse = (req: FastifyRequest, reason: string, message: string): SendtraceError => {
    d.metrics.authRefusals.inc({ reason });
    const unwritten = d.securityLog.record({ event: 'unauthenticated', reason, method: req.method, path: pathOf(req), claimed: claimedOf(req) }, d.clock());
    if (unwritten) req.log.error({ securityLog: unwritten, reason }, 'a refused request could not be written to security.log; it is refused all the same');
    return createError('SENDTRACE_ERR_UNAUTHENTICATED', message);
  };

  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config?.public) return;
    if (d.devSigner && header(req, HEADERS.signature) === undefined) {
      d.devSigner.sign(req);
      req.devSigned = true;
    }
    const values = Object.fromEntries(Object.entries(HEADERS).map(([k, name]) => [k, header(req, name)]));
    const missing = Object.entries(values).filter(([, v]) => v === undefined).map(([k]) => HEADERS[k as keyof typeof HEADERS]);
    if (missing.length) throw refuse(req, 'missing', `the request is not signed by the panel (missing ${missing.join(', ')})`);
    const parts: SignedParts = {
      method: req.method, target: req.raw.url ?? '', contentSha256: values.contentSha256!, timestamp: values.timestamp!,
      nonce: values.nonce!, role: values.role!, clientId: values.clientId!, user: values.user!,
    };
    const bad = malformedField(parts);
    if (bad) throw refuse(req, 'malformed', bad === 'method' || bad === 'target' ? 'the request line cannot be signed' : `header ${HEADERS[bad as keyof typeof HEADERS]} is malformed`);
    const now = d.clock();
    const at = Number(parts.timestamp) * 1000;
    if (Math.abs(now - at) > d.maxSkewMs) throw refuse(req, 'expired', `the signature's timestamp is more than ${d.maxSkewMs / 1000} s away from the sidecar's clock`);
    if (!signatureMatches(d.key, parts, values.signature!)) throw refuse(req, 'bad-signature', 'the signature does not match the request');
    const login = decodeLogin(parts.user);
    if (login === null) throw refuse(req, 'malformed', `header ${HEADERS.user} is not percent-encoded UTF-8`);
    // Claimed only after the signature is good: nobody can burn nonces without the secret.
    const claim = d.nonces.claim(parts.nonce, at + d.maxSkewMs + 1_000, now);
    if (claim === 'replayed') throw refuse(req, 'replayed', 'this nonce was already used (a replayed request)');
    if (claim === 'full') throw createError('SENDTRACE_ERR_RATE_LIMITED', 'too many signed requests in the last minute');
    const identity: Identity = { login, role: parts.role as Identity['role'], clientId: Number(parts.clientId) };
    const ownership = d.ownership();
    if (!ownership) throw createError('SENDTRACE_ERR_NOT_READY', 'the sidecar has not read psa yet');
    try {
      ownership.checkIdentity(identity);
    } catch (err) {
      d.metrics.authRefusals.inc({ reason: 'unknown-identity' });
      const unwritten = d.securityLog.record({ event: 'forbidden', reason: 'unknown-identity', method: req.method, path: pathOf(req), claimed: claimedOf(req) }, now);
      if (unwritten) req.log.error({ securityLog: unwritten }, 'a refused request could not be written to security.log; it is refused all the same');
      throw err;
    }
    req.identity = identity;
    req.signedContentSha256 = parts.contentSha256;
    // Every later line of this request says who asked (the login is bounded and free of control characters).
    req.log = req.log.child({ user: `${identity.role}:${identity.login.slice(0, 100)}#${identity.clientId}` });
  });

  // The only body format: JSON, exactly the bytes that were signed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: d.bodyLimit }, (req, body, done) => {
    const bytes = body as Buffer;
    if (!req.devSigned && (req.signedContentSha256 === null || sha256Hex(bytes) !== req.signedContentSha256)) {
      done(refuse(req, 'body-mismatch', 'the body is not the one that was signed'), undefined);
      return;
    }
    if (bytes.length === 0) {
      done(createError('SENDTRACE_ERR_INVALID_REQUEST', 'the JSON body is empty'), undefined);
      return;
    }
    try {
      done(null, JSON.parse(bytes.toString('utf8')));
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      done(createError('SENDTRACE_ERR_INVALID_REQUEST', 'the body is not valid JSON'), undefined);
    }
  });
}
