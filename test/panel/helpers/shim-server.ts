// A stand-in for the PHP shim (extension/, issue 6) in the browser tests and
// the benchmark: serves the page shell with a chosen bootstrap, the built
// assets, and forwards `${baseUrl}/api/*` to the sidecar — refusing a
// state-changing call without the CSRF token, as Plesk does. Loopback only.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderPanelPage, type PageBootstrap } from '../../../frontend/page.ts';
import { repoRoot } from '../../helpers/repo-root.ts';

export const SHIM_BASE = '/modules/sendtrace/index.php';
export const CSRF = { header: 'X-Forgery-Protection-Token', token: 'test-csrf-token-5f1c' };

export type ShimServer = { url: string; pageUrl(b: Partial<PageBootstrap>): string; refused: string[]; close(): Promise<void> };

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

function forward(req: IncomingMessage, res: ServerResponse, target: URL, path: string): void {
  const headers: Record<string, string> = {};
  for (const h of ['accept', 'content-type', 'content-length', 'cookie', 'last-event-id']) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const up = request({ host: target.hostname, port: target.port, method: req.method, path, headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('sidecar unreachable');
  });
  res.on('close', () => up.destroy());
  req.pipe(up);
}

export async function startShimServer(o: { sidecar: string; timezone: string; assets?: string }): Promise<ShimServer> {
  const assets = o.assets ?? join(repoRoot, 'dist/panel');
  const target = new URL(o.sidecar);
  const refused: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/panel') {
      const b = JSON.parse(url.searchParams.get('b') ?? '{}') as Partial<PageBootstrap>;
      const bootstrap: PageBootstrap = { locale: 'en-US', role: 'admin', baseUrl: SHIM_BASE, timezone: o.timezone, csrf: { header: CSRF.header }, ...b };
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(renderPanelPage({ bootstrap, assetBase: '/assets', csrfToken: CSRF.token }));
      return;
    }
    if (url.pathname.startsWith('/assets/') && req.method === 'GET') {
      const name = url.pathname.slice('/assets/'.length);
      const type = /^app\.(js|css)$/.test(name) ? TYPES[name.slice(3)] : undefined;
      if (!type) return void res.writeHead(404).end();
      void readFile(join(assets, name)).then((body) => res.writeHead(200, { 'content-type': type }).end(body), () => res.writeHead(404).end());
      return;
    }
    if (url.pathname.startsWith(`${SHIM_BASE}/api/`)) {
      // Plesk's CSRF check: a change without the page's token never reaches the sidecar.
      if (req.method !== 'GET' && req.headers[CSRF.header.toLowerCase()] !== CSRF.token) {
        refused.push(`${req.method} ${url.pathname}`);
        res.writeHead(403, { 'content-type': 'text/html' }).end('<html>CSRF check failed</html>');
        return;
      }
      forward(req, res, target, `${url.pathname.slice(SHIM_BASE.length)}${url.search}`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', () => ok()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    refused,
    pageUrl: (b) => `${url}/panel?b=${encodeURIComponent(JSON.stringify(b))}`,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
