// The request signature shared with the PHP shim (docs/signature.md is the
// normative text; test/fixtures/signature-vectors.json pins it for both sides).
// Pure: no clock, no I/O. The shim signs, the sidecar verifies; the
// development signer (dev-signer.ts) signs with the same function.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type { RoleSchema } from '../contract.ts';

export const SIGNATURE_VERSION = 'sendtrace-v1';

export const HEADERS = {
  timestamp: 'x-sendtrace-timestamp',
  nonce: 'x-sendtrace-nonce',
  user: 'x-sendtrace-user',
  role: 'x-sendtrace-role',
  clientId: 'x-sendtrace-client-id',
  contentSha256: 'x-sendtrace-content-sha256',
  signature: 'x-sendtrace-signature',
} as const;

export type Role = z.infer<typeof RoleSchema>;

/** Who the panel says is asking (pm_Session's client), after verification. */
export type Identity = { login: string; role: Role; clientId: number };

/** The signed fields, as they travel (the login percent-encoded). */
export type SignedParts = {
  method: string;
  target: string;            // request-target exactly as sent: path, and `?query` if any
  contentSha256: string;     // hex sha256 of the body bytes (of nothing for no body)
  timestamp: string;         // unix seconds, decimal
  nonce: string;
  role: string;
  clientId: string;
  user: string;              // percent-encoded UTF-8 login
};

// Every field is checked against these before it is signed or verified, so no
// field can hold a newline (the separator) and the string to sign is unambiguous.
export const FORMATS = {
  method: /^[A-Z]{1,16}$/,
  target: /^\/[\x21-\x7e]{0,4095}$/,
  contentSha256: /^[0-9a-f]{64}$/,
  timestamp: /^[1-9][0-9]{0,11}$/,
  nonce: /^[A-Za-z0-9_-]{16,64}$/,
  role: /^(admin|reseller|client)$/,
  clientId: /^[1-9][0-9]{0,9}$/,
  user: /^(?:[A-Za-z0-9\-._~!*'()]|%[0-9A-F]{2}){1,765}$/,
  signature: /^v1=[0-9a-f]{64}$/,
} as const;

export const SECRET_HEX = /^[0-9a-f]{64}$/;

export function sha256Hex(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** RFC 3986 percent-encoding of UTF-8 (PHP's rawurlencode()); upper-case hex. */
export function encodeLogin(login: string): string {
  return Buffer.from(login, 'utf8').toString('latin1').replace(/[^A-Za-z0-9\-._~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** The login a `user` field names, or null when it is not valid percent-encoded UTF-8 or holds control characters. */
export function decodeLogin(user: string): string | null {
  if (!FORMATS.user.test(user)) return null;
  let login: string;
  try {
    login = decodeURIComponent(user);
  } catch (err) {
    if (err instanceof URIError) return null;
    throw err;
  }
  return /[\x00-\x1f\x7f]/.test(login) || login === '' ? null : login;
}

/** The first field that is not in its format, or null. */
export function malformedField(parts: SignedParts): keyof SignedParts | null {
  for (const key of Object.keys(FORMATS) as Array<keyof typeof FORMATS>) {
    if (key === 'signature') continue;
    if (!FORMATS[key].test(parts[key])) return key;
  }
  return null;
}

export function stringToSign(p: SignedParts): string {
  const q = p.target.indexOf('?');
  const path = q === -1 ? p.target : p.target.slice(0, q);
  const query = q === -1 ? '' : p.target.slice(q + 1);
  return [SIGNATURE_VERSION, p.method, path, query, p.contentSha256, p.timestamp, p.nonce, p.role, p.clientId, p.user].join('\n');
}

export function secretKey(secretHex: string): Buffer {
  if (!SECRET_HEX.test(secretHex)) throw new TypeError('the secret must be 64 lower-case hex digits');
  return Buffer.from(secretHex, 'hex');
}

/** `v1=<hex HMAC-SHA256>` over the string to sign. */
export function computeSignature(key: Buffer, parts: SignedParts): string {
  return `v1=${createHmac('sha256', key).update(stringToSign(parts), 'utf8').digest('hex')}`;
}

/** Constant-time comparison of a presented signature with the expected one. */
export function signatureMatches(key: Buffer, parts: SignedParts, presented: string): boolean {
  if (!FORMATS.signature.test(presented)) return false;
  const expected = Buffer.from(computeSignature(key, parts), 'latin1');
  const given = Buffer.from(presented, 'latin1');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Every header the shim sends, for a request by `identity` (used by tests, the bench and the dev signer). */
export function signRequest(key: Buffer, r: { method: string; target: string; body?: Buffer | string; identity: Identity; timestamp: number; nonce: string }): Record<string, string> {
  const parts: SignedParts = {
    method: r.method.toUpperCase(),
    target: r.target,
    contentSha256: sha256Hex(r.body ?? ''),
    timestamp: String(r.timestamp),
    nonce: r.nonce,
    role: r.identity.role,
    clientId: String(r.identity.clientId),
    user: encodeLogin(r.identity.login),
  };
  const bad = malformedField(parts);
  if (bad) throw new TypeError(`cannot sign: field '${bad}' is malformed`);
  return {
    [HEADERS.timestamp]: parts.timestamp,
    [HEADERS.nonce]: parts.nonce,
    [HEADERS.user]: parts.user,
    [HEADERS.role]: parts.role,
    [HEADERS.clientId]: parts.clientId,
    [HEADERS.contentSha256]: parts.contentSha256,
    [HEADERS.signature]: computeSignature(key, parts),
  };
}
