// The development signer: for the demo (`npm start`) and the panel's
// development without Plesk, the sidecar signs unsigned requests itself, for
// the Plesk owner named by the `X-Sendtrace-Dev-As` header or the
// `sendtrace_dev_as` cookie (default: the admin). It exists only when `serve`
// is started with --dev-signer AND the machine is not a Plesk server: on a
// real panel it would let anyone who reaches the port act as the admin.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import { createError } from '../../errors.ts';
import type { Ownership } from '../authorize.ts';
import { signRequest } from './signature.ts';

export const DEV_AS_HEADER = 'x-sendtrace-dev-as';
export const DEV_AS_COOKIE = 'sendtrace_dev_as';

// PRODUCT_ROOT_D on RPM and Debian systems (reference/plesk.md "How to read this file" [V]), and the panel's own command.
const PLESK_MARKERS = ['usr/local/psa', 'opt/psa', 'usr/sbin/plesk'];

/** Why this machine/config looks like a Plesk server, or null. `root` lets tests point at a fake filesystem root. */
export function pleskServerReason(config: Pick<Config, 'plesk'>, root = '/'): string | null {
  for (const m of PLESK_MARKERS) if (existsSync(join(root, m))) return `/${m} exists`;
  // The default `plesk` (found through PATH) or one inside the product root is the real panel, not the simulator.
  if (!config.plesk.includes('/')) return `the config's 'plesk' is the command '${config.plesk}' (the real panel)`;
  if (/^\/(usr\/local\/psa|opt\/psa)\//.test(config.plesk) || config.plesk === '/usr/sbin/plesk') return `the config's 'plesk' is ${config.plesk}`;
  return null;
}

/** Throws SENDTRACE_ERR_REFUSED unless the development signer may run here. */
export function assertDevSignerAllowed(config: Pick<Config, 'plesk'>, root = '/'): void {
  const why = pleskServerReason(config, root);
  if (why) throw createError('SENDTRACE_ERR_REFUSED', `the development signer cannot be enabled on a Plesk server (${why})`);
}

export type DevSigner = { sign(req: FastifyRequest): void };

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch (err) {
      if (err instanceof URIError) return undefined;
      throw err;
    }
  }
  return undefined;
}

export function createDevSigner(o: { key: Buffer; ownership: () => Ownership | null; clock: () => number; config: Pick<Config, 'plesk'>; root?: string }): DevSigner {
  assertDevSignerAllowed(o.config, o.root);
  return {
    sign(req) {
      const asHeader = req.headers[DEV_AS_HEADER];
      const login = (typeof asHeader === 'string' ? asHeader : undefined) ?? cookieValue(req.headers.cookie, DEV_AS_COOKIE);
      const ownership = o.ownership();
      const owner = login === undefined ? findAdmin(ownership) : ownership?.ownerByLogin(login);
      if (!owner) throw createError('SENDTRACE_ERR_UNAUTHENTICATED', `development signer: no Plesk owner named '${(login ?? 'admin').slice(0, 60)}'`);
      const headers = signRequest(o.key, {
        method: req.method, target: req.raw.url ?? '/', identity: { login: owner.login, role: owner.type, clientId: owner.id },
        timestamp: Math.floor(o.clock() / 1000), nonce: randomBytes(16).toString('hex'),
      });
      Object.assign(req.headers, headers);
    },
  };
}

/** The admin account: psa's client 1 is the administrator [I], else the owner named admin. */
function findAdmin(ownership: Ownership | null) {
  const first = ownership?.ownerOf(1);
  return first?.type === 'admin' ? first : ownership?.ownerByLogin('admin');
}
