// The PHP shim on its own (php-cli with the pm_ stand-ins, psa through the
// plesk simulator on test/fixtures/psa/sample-panel.sql): the signer against the
// shared vectors, the page shell against the panel's own, the hooks, and the
// /api proxy's gate — what it refuses never reaches the sidecar. Behind the
// proxy here is a recording listener on a unix socket (it checks each request's
// signature with the sidecar's own verifier); the real sidecar is in
// cross-language.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { renderPanelFragment, type PageBootstrap } from '../../frontend/page.ts';
import { decodeLogin, secretKey, signatureMatches, type SignedParts } from '../../service/http/auth/signature.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { runPhpJson, writeStandin, type StandinState } from './php.ts';

type Vectors = { secretHex: string; vectors: Array<{ name: string; expected: { stringToSign: string; headers: Record<string, string> } }> };
type Answer = { status: number; headers: Record<string, string>; body: string; ended: boolean; connected: boolean };
type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string; signatureOk: boolean };

const VECTORS = resolve(repoRoot, 'test/fixtures/signature-vectors.json');
const BASE = '/modules/sendtrace/index.php';

// Owners of sample-panel.sql: admin(1) → reseller1(2) → easytone(4, subscription 1 = domains 10 + 11);
// reseller2(3) → bcorp(5, subscription 2 = domains 20 + 21); subscription 4 is reseller1's own (not hosting).
const ADMIN = { id: 1, login: 'admin', role: 'admin' as const, domains: [] };
const RESELLER1 = { id: 2, login: 'reseller1', role: 'reseller' as const, domains: [10, 11] };
const EASYTONE = { id: 4, login: 'easytone', role: 'client' as const, domains: [10, 11], permitted: [10, 11] };
const EASYTONE_PLAN_OFF = { ...EASYTONE, permitted: [] };

describe('the PHP shim', () => {
  let dir: string;
  let root: string;
  let sim: PleskSim;
  let listener: Server;
  let seen: Seen[];
  let key: Buffer;
  let n = 0;

  before(async () => {
    dir = mkdtempSync(join('/tmp', 'st-shim-'));
    root = join(dir, 'root');
    sim = await makePleskSim({ sqlite: resolve(repoRoot, 'test/fixtures/psa/sample-panel.sql') });
    const secretHex = randomBytes(32).toString('hex');
    key = secretKey(secretHex);
    writeFileSync(join(dir, 'secret'), `${secretHex}\n`, { mode: 0o640 });
    mkdirSync(join(root, 'etc/sendtrace'), { recursive: true });
    writeFileSync(join(root, 'etc/sendtrace/config.json'), JSON.stringify({ socketPath: join(dir, 'api.sock'), secretFile: join(dir, 'secret') }));
    seen = [];
    listener = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const h = (name: string) => String(req.headers[name] ?? '');
        const parts: SignedParts = {
          method: req.method ?? '', target: req.url ?? '', contentSha256: h('x-sendtrace-content-sha256'), timestamp: h('x-sendtrace-timestamp'),
          nonce: h('x-sendtrace-nonce'), role: h('x-sendtrace-role'), clientId: h('x-sendtrace-client-id'), user: h('x-sendtrace-user'),
        };
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, signatureOk: signatureMatches(key, parts, h('x-sendtrace-signature')) });
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-internal': 'not for the browser' });
        res.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((ok) => listener.listen(join(dir, 'api.sock'), () => ok()));
  });
  after(async () => {
    await new Promise<void>((ok) => listener.close(() => ok()));
    await sim.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const standin = (session: StandinState['session'], extra: Partial<StandinState> = {}) =>
    writeStandin(dir, { session, plesk: sim.path, ...extra }, `standin-${++n}.json`);

  async function call(session: StandinState['session'], method: string, uri: string, o: { body?: string; headers?: Record<string, string>; root?: string } = {}): Promise<Answer> {
    const server: Record<string, string> = { REQUEST_METHOD: method, REQUEST_URI: uri, HTTP_HOST: 'panel.example:8443', ...o.headers };
    const file = join(dir, `request-${++n}.json`);
    writeFileSync(file, JSON.stringify({ server, body: o.body ?? '' }));
    return runPhpJson<Answer>('proxy.php', [file], { standin: standin(session), root: o.root ?? root });
  }
  const change = { CONTENT_TYPE: 'application/json', HTTP_X_FORGERY_PROTECTION_TOKEN: 'eb864f991ca346026d31e1b6b827dfb7', HTTP_SEC_FETCH_SITE: 'same-origin', HTTP_ORIGIN: 'https://panel.example:8443' };
  const errorCode = (a: Answer) => (JSON.parse(a.body) as { error: { code: string } }).error.code;

  it('signs every shared vector exactly as the sidecar expects', async () => {
    const doc = JSON.parse(readFileSync(VECTORS, 'utf8')) as Vectors;
    const made = await runPhpJson<Array<{ name: string; headers: Record<string, string>; stringToSign: string }>>('sign-vectors.php', [VECTORS]);
    assert.equal(made.length, doc.vectors.length);
    assert.ok(made.length >= 5);
    for (const [i, v] of doc.vectors.entries()) {
      assert.equal(made[i]!.stringToSign, v.expected.stringToSign, v.name);
      assert.deepEqual(made[i]!.headers, v.expected.headers, v.name);
    }
  });

  it('forwards a customer\'s request for its own subscription, signed as that customer, and only the page\'s headers back', async () => {
    const before = seen.length;
    const a = await call(EASYTONE, 'GET', `${BASE}/api/subscriptions/1/timeline?from=2022-02-03T12%3A00%3A00%2B09%3A00&step=hour`);
    assert.equal(a.status, 200, a.body);
    assert.deepEqual(JSON.parse(a.body), { ok: true });
    assert.equal(a.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(a.headers['x-internal'], undefined);
    const got = seen.slice(before);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.url, '/api/subscriptions/1/timeline?from=2022-02-03T12%3A00%3A00%2B09%3A00&step=hour', 'the target exactly as the browser sent it');
    assert.ok(got[0]!.signatureOk, 'the signature verifies with the sidecar\'s verifier');
    assert.equal(got[0]!.headers['x-sendtrace-role'], 'client');
    assert.equal(got[0]!.headers['x-sendtrace-client-id'], '4');
    assert.equal(decodeLogin(String(got[0]!.headers['x-sendtrace-user'])), 'easytone');
    assert.equal(got[0]!.headers.cookie, undefined, 'the panel session never reaches the sidecar');
  });

  it('refuses a session without access to the subscription, before anything reaches the sidecar', async () => {
    const before = seen.length;
    for (const [who, uri] of [
      [EASYTONE, `${BASE}/api/subscriptions/2`],                        // another reseller's customer
      [EASYTONE, `${BASE}/api/subscriptions/2/timeline?step=hour`],
      [EASYTONE, `${BASE}/api/subscriptions/4`],                        // a reseller's own subscription: not hosting
      [EASYTONE, `${BASE}/api/subscriptions/99`],                       // none at all
      [RESELLER1, `${BASE}/api/subscriptions/2`],                       // not its customer's
      [EASYTONE_PLAN_OFF, `${BASE}/api/subscriptions/1`],               // its own, but the plan switched sendtrace off
    ] as const) {
      const a = await call(who, 'GET', uri);
      assert.equal(a.status, 404, `${who.login} ${uri}`);
      assert.equal(errorCode(a), 'SENDTRACE_ERR_NOT_FOUND');
      assert.equal(a.connected, false);
    }
    const post = await call(EASYTONE, 'POST', `${BASE}/api/subscriptions/2/actions/quarantine`, { body: '{"path":"/x","dryRun":true}', headers: change });
    assert.equal(post.status, 404);
    assert.equal(seen.length, before, 'the sidecar saw none of them');
  });

  it('lets the reseller and the admin through to what the panel lets them reach', async () => {
    assert.equal((await call(RESELLER1, 'GET', `${BASE}/api/subscriptions/1`)).status, 200);
    assert.equal((await call(ADMIN, 'GET', `${BASE}/api/subscriptions/2`)).status, 200);
    assert.equal(seen.at(-1)!.headers['x-sendtrace-role'], 'admin');
  });

  it('refuses without a panel session, and a customer whose plans all switched sendtrace off', async () => {
    const none = await call(null, 'GET', `${BASE}/api/subscriptions`);
    assert.equal(none.status, 401);
    assert.equal(errorCode(none), 'SENDTRACE_ERR_UNAUTHENTICATED');
    const off = await call(EASYTONE_PLAN_OFF, 'GET', `${BASE}/api/subscriptions`);
    assert.equal(off.status, 403);
    assert.equal(off.connected, false);
  });

  it('requires Plesk\'s CSRF token, JSON and the same site on every change', async () => {
    const before = seen.length;
    const uri = `${BASE}/api/subscriptions/1/actions/quarantine`;
    const body = '{"path":"/var/www/vhosts/easytone.example/httpdocs/mail.php","reason":"bots","dryRun":true}';
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ ...change, HTTP_X_FORGERY_PROTECTION_TOKEN: '' }, 403, 'SENDTRACE_ERR_FORBIDDEN'],
      [Object.fromEntries(Object.entries(change).filter(([k]) => k !== 'HTTP_X_FORGERY_PROTECTION_TOKEN')), 403, 'SENDTRACE_ERR_FORBIDDEN'],
      [{ ...change, CONTENT_TYPE: 'text/plain' }, 415, 'SENDTRACE_ERR_MEDIA_TYPE'],
      [{ ...change, CONTENT_TYPE: 'application/x-www-form-urlencoded' }, 415, 'SENDTRACE_ERR_MEDIA_TYPE'],
      [{ ...change, HTTP_SEC_FETCH_SITE: 'cross-site' }, 403, 'SENDTRACE_ERR_FORBIDDEN'],
      [{ ...change, HTTP_ORIGIN: 'https://attacker.example' }, 403, 'SENDTRACE_ERR_FORBIDDEN'],
    ];
    for (const [headers, status, code] of cases) {
      const a = await call(EASYTONE, 'POST', uri, { body, headers });
      assert.equal(a.status, status, JSON.stringify(headers));
      assert.equal(errorCode(a), code);
    }
    const big = await call(EASYTONE, 'PUT', `${BASE}/api/subscriptions/1/settings`, { body: `{"x":"${'a'.repeat(262_144)}"}`, headers: change });
    assert.equal(big.status, 413);
    assert.equal(seen.length, before, 'none of them reached the sidecar');

    const ok = await call(EASYTONE, 'POST', uri, { body, headers: change });
    assert.equal(ok.status, 200, ok.body);
    const got = seen.at(-1)!;
    assert.equal(got.body, body, 'the body exactly as sent');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.ok(got.signatureOk, 'the body hash is part of the signature');
  });

  it('forwards only API paths under its own base, as printable ASCII without dot segments, and only GET, POST, PUT', async () => {
    const before = seen.length;
    for (const uri of [
      '/modules/other/index.php/api/subscriptions', `${BASE}/index/index`, `${BASE}/api/../healthz`, `${BASE}/api/./me`,
      `${BASE}/api/%2e%2e/metrics`, `${BASE}/api//me`, `${BASE}/api/subscriptions/1#x`, `${BASE}/api/caf\u00e9`,
    ]) {
      const a = await call(ADMIN, 'GET', uri);
      assert.equal(a.status, 404, uri);
    }
    const del = await call(ADMIN, 'DELETE', `${BASE}/api/subscriptions/1`, { headers: change });
    assert.equal(del.status, 405);
    assert.equal(seen.length, before);
  });

  it('says the service is not ready (503, retry) when the sidecar does not answer', async () => {
    const other = join(dir, 'root-nosidecar');
    mkdirSync(join(other, 'etc/sendtrace'), { recursive: true });
    writeFileSync(join(other, 'etc/sendtrace/config.json'), JSON.stringify({ socketPath: join(dir, 'nobody.sock'), secretFile: join(dir, 'secret') }));
    const a = await call(ADMIN, 'GET', `${BASE}/api/me`, { root: other });
    assert.equal(a.status, 503);
    assert.equal(errorCode(a), 'SENDTRACE_ERR_NOT_READY');
    assert.equal(a.headers['retry-after'], '30');
  });

  it('renders the same page shell as the panel\'s own, for the subscription of the domain in context', async () => {
    const page = await runPhpJson<{ subscriptionId: number | null; refusal: string | null; bootstrap: PageBootstrap; fragment: string }>(
      'page.php', ['11', 'Asia/Tokyo', '0.1.0-1'], { standin: standin(EASYTONE, { locale: 'ja-JP' }), root });
    assert.equal(page.subscriptionId, 1, 'an additional domain leads to its subscription');
    assert.equal(page.refusal, null);
    assert.deepEqual(page.bootstrap, {
      locale: 'ja-JP', role: 'client', baseUrl: BASE, subscriptionId: 1, timezone: 'Asia/Tokyo',
      csrf: { header: 'X-Forgery-Protection-Token', meta: 'forgery_protection_token' },
    });
    assert.equal(page.fragment, renderPanelFragment({ bootstrap: page.bootstrap, assetBase: '/modules/sendtrace/panel', version: '0.1.0-1' }));

    // Escaping: a hostile value in the bootstrap cannot close the script element.
    const admin = await runPhpJson<{ bootstrap: PageBootstrap; fragment: string }>(
      'page.php', ['-', 'Etc/UTC</script><script>alert(1)</script>\u2028', '0.1.0-1'], { standin: standin(ADMIN), root });
    assert.equal(admin.fragment, renderPanelFragment({ bootstrap: admin.bootstrap, assetBase: '/modules/sendtrace/panel', version: '0.1.0-1' }));
    assert.equal(admin.fragment.match(/<\/script>/g)?.length, 2, 'only the two real closing tags');
    assert.equal(admin.bootstrap.subscriptionId, undefined);
  });

  it('does not render the page for a domain the session cannot open', async () => {
    const other = await runPhpJson<{ subscriptionId: number | null; refusal: string | null }>('page.php', ['20', 'UTC', '1'], { standin: standin(EASYTONE), root });
    assert.deepEqual([other.subscriptionId, other.refusal], [null, 'noAccess']);
    const off = await runPhpJson<{ refusal: string | null }>('page.php', ['-', 'UTC', '1'], { standin: standin(EASYTONE_PLAN_OFF), root });
    assert.equal(off.refusal, 'notInPlan');
  });

  it('puts a button on the subscription\'s page only where the session may open it, and one for the admin and resellers', async () => {
    type Hooks = { buttons: Array<Record<string, unknown>>; visible: Record<string, boolean>; permissions: Record<string, Record<string, unknown>> };
    const h = await runPhpJson<Hooks>('hooks.php', ['10', '11', '20', '40'], { standin: standin(EASYTONE), root });
    assert.deepEqual(h.visible, { 10: true, 11: true, 20: false, 40: false });
    // Places and sections (plesk/pm-api-stubs values, reference/plesk.md §5.4 [V]).
    assert.deepEqual(h.buttons.map((b) => [b.place, b.section]), [[16, 'mail'], [5, 'mailButtons'], [13, 'hosting']]);
    assert.equal(h.buttons[0]!.contextParams, true);
    assert.equal(h.buttons[0]!.link, '/modules/sendtrace/index.php/index/index');
    assert.deepEqual(Object.keys(h.permissions), ['manage_sendtrace']);
    assert.match(Object.keys(h.permissions)[0]!, /^[A-Za-z0-9_]+$/, 'permission ids: letters, digits and _ only [V]');
    assert.equal(h.permissions.manage_sendtrace!.default, true);
    const off = await runPhpJson<Hooks>('hooks.php', ['10'], { standin: standin(EASYTONE_PLAN_OFF), root });
    assert.deepEqual(off.visible, { 10: false });
    const reseller = await runPhpJson<Hooks>('hooks.php', ['10', '20'], { standin: standin(RESELLER1), root });
    assert.deepEqual(reseller.visible, { 10: true, 20: false });
  });
});
