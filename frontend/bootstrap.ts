// The page's bootstrap: what the PHP shim (or the demo server) knows about the
// logged-in user, handed over as JSON in
// <script type="application/json" id="sendtrace-bootstrap"> (docs/panel.md).
// Read by hand, not with zod: zod would be most of the bundle. Anything odd
// falls back to a safe default rather than a blank page.

export type Lang = 'en' | 'ja';
export type Role = 'admin' | 'reseller' | 'client';

export type Bootstrap = {
  locale: string;            // BCP 47 as Plesk gives it: 'en-US', 'ja-JP'
  lang: Lang;                // the catalogue used (ja for any ja-*, else en)
  role: Role;
  baseUrl: string;           // prefix of /api/* ('' on the demo server)
  subscriptionId: number | null;
  timezone: string;          // the server's IANA zone: dates are shown in it
  csrf: { header: string; token: string | null };
};

const ROLES: readonly Role[] = ['admin', 'reseller', 'client'];
export const DEFAULT_CSRF_HEADER = 'X-Forgery-Protection-Token';
export const DEFAULT_CSRF_META = 'forgery_protection_token';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function validZone(zone: unknown): string {
  if (typeof zone !== 'string' || zone === '') return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch (err) {
    if (err instanceof RangeError) return 'UTC';
    throw err;
  }
}

function validLocale(locale: unknown): string {
  if (typeof locale !== 'string' || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(locale)) return 'en-US';
  return Intl.DateTimeFormat.supportedLocalesOf([locale]).length ? locale : 'en-US';
}

/** A base URL is a same-origin path: an absolute URL elsewhere would send the user's requests to another host. */
function validBaseUrl(v: unknown): string {
  if (typeof v !== 'string' || v === '' || !v.startsWith('/') || v.startsWith('//') || /[\s\\?#]/.test(v)) return '';
  return v.replace(/\/+$/, '');
}

/** `raw` is the parsed JSON of the bootstrap element; `metaToken` the CSRF token the page carries, if any. */
export function parseBootstrap(raw: unknown, readMeta: (name: string) => string | null): Bootstrap {
  const b = isRecord(raw) ? raw : {};
  const locale = validLocale(b['locale']);
  const csrf = isRecord(b['csrf']) ? b['csrf'] : {};
  const header = typeof csrf['header'] === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(csrf['header']) ? csrf['header'] : DEFAULT_CSRF_HEADER;
  const meta = typeof csrf['meta'] === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(csrf['meta']) ? csrf['meta'] : DEFAULT_CSRF_META;
  const token = typeof csrf['token'] === 'string' && csrf['token'] !== '' ? csrf['token'] : readMeta(meta);
  const sub = b['subscriptionId'];
  return {
    locale,
    lang: /^ja\b/i.test(locale) ? 'ja' : 'en',
    role: ROLES.includes(b['role'] as Role) ? (b['role'] as Role) : 'client',
    baseUrl: validBaseUrl(b['baseUrl']),
    subscriptionId: typeof sub === 'number' && Number.isInteger(sub) && sub > 0 ? sub : null,
    timezone: validZone(b['timezone']),
    csrf: { header, token },
  };
}

/** Reads the bootstrap from the document; a missing or broken element gives the defaults. */
export function readBootstrap(doc: Document): Bootstrap {
  const el = doc.getElementById('sendtrace-bootstrap');
  let raw: unknown = {};
  if (el?.textContent) {
    try {
      raw = JSON.parse(el.textContent);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      console.warn('sendtrace: the bootstrap is not valid JSON; using defaults');
    }
  }
  return parseBootstrap(raw, (name) => doc.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? null);
}
