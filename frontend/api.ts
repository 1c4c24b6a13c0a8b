// The only place that talks to the sidecar (through the shim's /api proxy).
// Types come from the HTTP contract (types only: no zod in the bundle).
// Every failure becomes an ApiError with a code the error view can explain:
// the sidecar's own codes (docs/errors.md), or NETWORK / TIMEOUT / SESSION
// (the panel answered with a page instead of JSON: the login expired).
import type {
  ActionResponse, AuditResponse, DetailResponse, ErrorBody, ListResponse, MeResponse, PurgeQueueBody, QuarantineBody,
  QuarantineListResponse, ResetPasswordsBody, RestoreBody, SettingsDocument, SettingsPutBody, Step, TimelineResponse,
} from '../service/http/contract.ts';
import type { Bootstrap } from './bootstrap.ts';
import type { ListParams } from './views/overview-model.ts';

export type Issue = { where: string; message: string };

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number, readonly issues: Issue[] = [], readonly retryAfter: number | null = null) {
    super(message);
    this.name = 'ApiError';
  }
}

type Method = 'GET' | 'POST' | 'PUT';
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export type TimelineQuery = { step: Step; from?: string; to?: string };

const READ_TIMEOUT_MS = 30_000;
const ACTION_TIMEOUT_MS = 300_000;   // a reset of many accounts runs `plesk bin` once per account

function errorOf(status: number, body: unknown, retryAfter: string | null): ApiError {
  const e = (body as Partial<ErrorBody> | null)?.error;
  const retry = retryAfter !== null && /^\d{1,6}$/.test(retryAfter) ? Number(retryAfter) : null;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') return new ApiError(e.code, e.message, status, Array.isArray(e.issues) ? e.issues : [], retry);
  return new ApiError(`HTTP_${status}`, `HTTP ${status}`, status, [], retry);
}

export function createApi(boot: Pick<Bootstrap, 'baseUrl' | 'csrf'>, fetchImpl: Fetch = (i, r) => fetch(i, r)) {
  async function call<T>(method: Method, path: string, body?: unknown, timeoutMs = READ_TIMEOUT_MS): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // Plesk checks its CSRF token on state-changing requests (the shim forwards only those that carry it).
    if (method !== 'GET' && boot.csrf.token) headers[boot.csrf.header] = boot.csrf.token;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    let res: Response;
    try {
      res = await fetchImpl(`${boot.baseUrl}/api${path}`, {
        method, headers, credentials: 'same-origin', signal: ctl.signal, cache: 'no-store',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      if (ctl.signal.aborted) throw new ApiError('TIMEOUT', `no answer within ${timeoutMs / 1000} s`, 0);
      throw new ApiError('NETWORK', err instanceof Error ? err.message : String(err), 0);
    } finally {
      clearTimeout(timer);
    }
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('application/json')) {
      // An HTML answer to an API call is the panel's login or error page: the session is gone.
      if (type.includes('text/html')) throw new ApiError('SESSION', 'the panel answered with a page instead of data', res.status);
      throw errorOf(res.status, null, res.headers.get('retry-after'));
    }
    let data: unknown;
    try {
      data = await res.json();
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      throw new ApiError('BAD_RESPONSE', 'the answer is not valid JSON', res.status);
    }
    if (!res.ok) throw errorOf(res.status, data, res.headers.get('retry-after'));
    return data as T;
  }

  const sub = (id: number) => `/subscriptions/${encodeURIComponent(String(id))}`;
  const qs = (q: Record<string, string | number | undefined>) => {
    const p = Object.entries(q).filter((e): e is [string, string | number] => e[1] !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
    return p.length ? `?${p.join('&')}` : '';
  };

  return {
    me: () => call<MeResponse>('GET', '/me'),
    /** One page of the list, sorted and filtered by the sidecar. */
    list: (p: ListParams) => call<ListResponse>('GET', `/subscriptions${qs(p)}`),
    detail: (id: number) => call<DetailResponse>('GET', sub(id)),
    timeline: (id: number, q: TimelineQuery) => call<TimelineResponse>('GET', `${sub(id)}/timeline${qs(q)}`),
    settings: (id: number) => call<SettingsDocument>('GET', `${sub(id)}/settings`),
    saveSettings: (id: number, body: SettingsPutBody) => call<SettingsDocument>('PUT', `${sub(id)}/settings`, body),
    quarantine: (id: number, body: QuarantineBody) => call<ActionResponse>('POST', `${sub(id)}/actions/quarantine`, body, ACTION_TIMEOUT_MS),
    restore: (id: number, body: RestoreBody) => call<ActionResponse>('POST', `${sub(id)}/actions/restore`, body, ACTION_TIMEOUT_MS),
    resetPasswords: (id: number, body: ResetPasswordsBody) => call<ActionResponse>('POST', `${sub(id)}/actions/reset-passwords`, body, ACTION_TIMEOUT_MS),
    purgeQueue: (id: number, body: PurgeQueueBody) => call<ActionResponse>('POST', `${sub(id)}/actions/purge-queue`, body, ACTION_TIMEOUT_MS),
    quarantineList: () => call<QuarantineListResponse>('GET', '/quarantine'),
    audit: (since?: string) => call<AuditResponse>('GET', `/audit${qs({ since })}`),
    eventsUrl: () => `${boot.baseUrl}/api/events`,
  };
}

export type Api = ReturnType<typeof createApi>;
