import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, createApi, type Fetch } from '../../frontend/api.ts';
import { describeError, errorKey, isTransient } from '../../frontend/components/error-text.ts';
import { createI18n } from '../../frontend/i18n/index.ts';

type Call = { url: string; init: RequestInit };
function fake(respond: (c: Call) => Response | Promise<Response>): { fetch: Fetch; calls: Call[] } {
  const calls: Call[] = [];
  return { calls, fetch: async (url, init) => { calls.push({ url, init }); return respond({ url, init }); } };
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
const boot = { baseUrl: '/modules/sendtrace/index.php', csrf: { header: 'X-Forgery-Protection-Token', token: 'tok' } };

describe('api client', () => {
  it('calls the routes under the base URL and sends the CSRF token only with changes', async () => {
    const f = fake(() => json(200, {}));
    const api = createApi(boot, f.fetch);
    await api.detail(7);
    await api.quarantine(7, { path: '/var/www/vhosts/a/httpdocs/mail.php', dryRun: true });
    assert.equal(f.calls[0]!.url, '/modules/sendtrace/index.php/api/subscriptions/7');
    assert.equal((f.calls[0]!.init.headers as Record<string, string>)['X-Forgery-Protection-Token'], undefined);
    assert.equal(f.calls[1]!.url, '/modules/sendtrace/index.php/api/subscriptions/7/actions/quarantine');
    assert.equal(f.calls[1]!.init.method, 'POST');
    assert.equal((f.calls[1]!.init.headers as Record<string, string>)['X-Forgery-Protection-Token'], 'tok');
    assert.deepEqual(JSON.parse(String(f.calls[1]!.init.body)), { path: '/var/www/vhosts/a/httpdocs/mail.php', dryRun: true });
  });

  it('encodes query values', async () => {
    const f = fake(() => json(200, {}));
    await createApi(boot, f.fetch).timeline(3, { step: 'hour', from: '2022-02-03T00:00:00+09:00' });
    assert.equal(f.calls[0]!.url, '/modules/sendtrace/index.php/api/subscriptions/3/timeline?step=hour&from=2022-02-03T00%3A00%3A00%2B09%3A00');
  });

  it("turns the sidecar's error body into a coded error with its issues", async () => {
    const f = fake(() => json(400, { error: { code: 'SENDTRACE_ERR_INVALID_REQUEST', message: 'Invalid request: x', issues: [{ where: 'body.settings.notify.emails.0', message: 'Invalid email' }] } }));
    const err = await createApi(boot, f.fetch).saveSettings(1, { settings: {} as never }).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'SENDTRACE_ERR_INVALID_REQUEST');
    assert.equal(err.issues[0]!.where, 'body.settings.notify.emails.0');
  });

  it("recognises the panel's login page as an ended session", async () => {
    const f = fake(() => new Response('<html>login</html>', { status: 200, headers: { 'content-type': 'text/html' } }));
    const err = await createApi(boot, f.fetch).me().catch((e: unknown) => e);
    assert.equal((err as ApiError).code, 'SESSION');
  });

  it('reports an unreachable server as a network error', async () => {
    const err = await createApi(boot, async () => { throw new TypeError('Failed to fetch'); }).me().catch((e: unknown) => e);
    assert.equal((err as ApiError).code, 'NETWORK');
    assert.ok(isTransient(err));
  });
});

describe('error text', () => {
  const en = createI18n('en-US', 'en', 'UTC');
  it('says what happened and what to do, with the service reason as a detail', () => {
    const e = describeError(new ApiError('SENDTRACE_ERR_REFUSED', "Refused: a file has appeared at the original path", 409), en);
    assert.match(e.what, /refused/i);
    assert.match(e.todo, /reason/);
    assert.equal(e.detail, 'Refused: a file has appeared at the original path');
  });

  it('maps statuses without a body and unknown failures to a message, never to nothing', () => {
    assert.equal(errorKey(new ApiError('HTTP_502', 'HTTP 502', 502)), 'INTERNAL');
    assert.equal(errorKey(new ApiError('HTTP_404', 'HTTP 404', 404)), 'NOT_FOUND');
    const bug = describeError(new TypeError('x is undefined'), en);
    assert.ok(bug.what.length > 0 && bug.todo.length > 0);
    assert.equal(bug.code, 'OTHER');
  });
});
