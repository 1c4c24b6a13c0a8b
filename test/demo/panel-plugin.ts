// The panel next to a development-signer sidecar, as the PHP shim serves it
// inside Plesk (extension/htdocs, docs/panel.md): the page shell, the built
// assets (dist/panel), and `/as/<login>` to choose who the development signer
// signs for. Used by the demo (start.ts) and the lab (test/lab/start.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { renderPanelPage, type PageBootstrap } from '../../frontend/page.ts';
import { DEV_AS_COOKIE } from '../../service/http/auth/dev-signer.ts';
import { repoRoot } from '../helpers/repo-root.ts';

const LOGIN = /^[A-Za-z0-9_.@-]{1,64}$/;
const ASSETS: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

/** The page shell and the built assets, as the shim serves them inside Plesk (extension/htdocs, docs/panel.md). */
export function panelPlugin(timezone: string): FastifyPluginAsync {
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
