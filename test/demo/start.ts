// `npm start`: the demo. The fixture world (the DESIGN.md §1 incident and four
// other subscriptions, made from real Postfix/PHP captures), psa through the
// plesk simulator on sql.js (no Plesk, no MariaDB), the sidecar exactly as
// `serve` runs it but on loopback with the development signer, and the panel
// served next to it in the page shell the PHP shim renders inside Plesk.
//
//   npm start                      → http://127.0.0.1:8787/
//   npm start -- --port 9000
//   npm start -- --print           → the text diagnosis (the CLI's), then exit
//   npm start -- --verbose         → the sidecar's request log on stderr
//
// Who you are is a cookie (`/as/<login>`): the admin by default; switch to a
// reseller or a customer to see what they may see. Never on a Plesk server:
// the development signer refuses to start there (service/http/auth/dev-signer.ts).
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { renderPanelPage, type PageBootstrap } from '../../frontend/page.ts';
import { DEV_AS_COOKIE, DEV_AS_HEADER } from '../../service/http/auth/dev-signer.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { startDemoSidecar } from './serve.ts';

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt === -1 ? Number(process.env['PORT'] ?? 8787) : Number(args[portAt + 1]);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: '${args[portAt + 1]}' is not a port number`);

const LOGIN = /^[A-Za-z0-9_.@-]{1,64}$/;
const ASSETS: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

/** The page shell and the built assets, as the shim serves them inside Plesk (extension/htdocs, docs/panel.md). */
function panelPlugin(timezone: string): FastifyPluginAsync {
  return async (app) => {
    app.get('/', { config: { public: true } }, async (_req, reply) => reply.redirect('/panel'));
    app.get('/as/:login', { config: { public: true } }, async (req, reply) => {
      const { login } = req.params as { login: string };
      if (!LOGIN.test(login)) return reply.code(400).type('text/plain').send('not a login');
      const q = req.query as Record<string, string | undefined>;
      const to = q['lang'] === 'ja' ? '/panel?lang=ja' : '/panel';
      return reply.header('set-cookie', `${DEV_AS_COOKIE}=${encodeURIComponent(login)}; Path=/; SameSite=Strict; HttpOnly`)
        .redirect(to);
    });
    app.get('/panel', { config: { public: true } }, async (req, reply) => {
      const q = req.query as Record<string, string | undefined>;
      // Who the development signer will sign for: ask the sidecar, as the panel's own first call does.
      const me = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie: req.headers.cookie ?? '' } });
      if (me.statusCode !== 200) return reply.code(me.statusCode).type('application/json').send(me.body);
      const who = JSON.parse(me.body) as { role: PageBootstrap['role'] };
      const sub = Number(q['subscription']);
      const bootstrap: PageBootstrap = {
        locale: q['lang'] === 'ja' ? 'ja-JP' : 'en-US', role: who.role, baseUrl: '', timezone,
        ...(Number.isInteger(sub) && sub > 0 ? { subscriptionId: sub } : {}),
      };
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(renderPanelPage({ bootstrap, assetBase: '/assets' }));
    });
    app.get('/assets/:name', { config: { public: true } }, async (req, reply) => {
      const { name } = req.params as { name: string };
      const type = ASSETS[name];
      if (!type) return reply.code(404).send();
      return reply.type(type).send(await readFile(join(repoRoot, 'dist/panel', name)));
    });
  };
}

process.stderr.write('demo: preparing the incident world (first run takes a minute; cached after)…\n');
const zone = 'Asia/Tokyo';
const demo = await startDemoSidecar({ port, plugins: [panelPlugin(zone)], logLevel: args.includes('--verbose') ? 'info' : 'error' });
// Ready when the sidecar knows the world's owners (its first, light read of psa).
for (const until = Date.now() + 120_000; ;) {
  const r = await fetch(`${demo.url}/api/me`).catch(() => null);
  if (r?.ok) break;
  if (Date.now() > until) throw new Error(`the demo sidecar did not answer /api/me within 2 minutes (last: ${r?.status ?? 'no answer'})`);
  await new Promise((ok) => setTimeout(ok, 250));
}

if (args.includes('--print')) {
  // The same diagnosis as text, from the built CLI on the same config.
  const config = join(repoRoot, 'test/.out/demo-sidecar/config.json');
  const cli = resolve(repoRoot, 'dist/sendtrace.mjs');
  process.stdout.write(execFileSync(process.execPath, [cli, 'diagnose', '--config', config, '--now', demo.world.now], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  await demo.close();
} else {
  process.stderr.write([
    '',
    `demo: open ${demo.url}/  (the panel as the server admin; the incident as of ${demo.world.now})`,
    `      ${demo.url}/as/skseikan        the customer whose script leaks (sk-seikan.jp)`,
    `      ${demo.url}/as/reseller1       a reseller`,
    `      ${demo.url}/as/admin?lang=ja   日本語`,
    `      API: curl -H '${DEV_AS_HEADER}: skseikan' ${demo.url}/api/subscriptions`,
    'demo: the development signer signs every request for the chosen login; it refuses to run on a Plesk server.',
    'demo: Ctrl-C stops it.',
    '',
  ].join('\n'));
  await new Promise<void>((r) => {
    process.once('SIGINT', () => r());
    process.once('SIGTERM', () => r());
  });
  await demo.close();
}
