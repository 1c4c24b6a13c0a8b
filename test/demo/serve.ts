// The demo's sidecar: the fixture world (the DESIGN.md §1 incident and four
// other subscriptions), psa through the plesk simulator on sql.js, and the
// sidecar on 127.0.0.1 with the development signer, so the panel can be used
// in a browser without Plesk. Run on its own:
//
//   node --import ./test/helpers/register-ts.mjs test/demo/serve.ts [--port 8787]
//
// or from test/demo/start.ts: `const demo = await startDemoSidecar({ port, plugins })`
// (plugins: e.g. the panel's static files), then `await demo.close()`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { loadConfig } from '../../service/config.ts';
import { DEV_AS_HEADER } from '../../service/http/auth/dev-signer.ts';
import { startServer, type RunningServer } from '../../service/server.ts';
import { cachedWorld, type World } from '../fixtures/expand/world.ts';
import { makePleskSim } from '../helpers/plesk-sim.ts';
import { repoRoot } from '../helpers/repo-root.ts';

export type DemoSidecar = { url: string; world: World; server: RunningServer; close(): Promise<void> };

export async function startDemoSidecar(o: { port?: number; plugins?: FastifyPluginAsync[]; stateDir?: string; logLevel?: 'error' | 'warn' | 'info' } = {}): Promise<DemoSidecar> {
  const world = await cachedWorld();
  const sim = await makePleskSim({ sqlite: join(world.dir, 'psa.sql') });
  try {
    const raw = JSON.parse(readFileSync(join(world.dir, 'config.json'), 'utf8'));
    const abs = (p: string) => resolve(world.dir, p);
    const stateDir = o.stateDir ?? resolve(repoRoot, 'test/.out/demo-sidecar');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const configFile = join(stateDir, 'config.json');
    writeFileSync(configFile, JSON.stringify({
      ...raw, plesk: sim.path, maillog: raw.maillog.map(abs), phpMailLog: raw.phpMailLog.map(abs), accessLogs: raw.accessLogs.map(abs),
      vhostsRoot: abs(raw.vhostsRoot), passwdFile: abs(raw.passwdFile), stateDir: join(stateDir, 'state'), secretFile: join(stateDir, 'api-secret'),
    }, null, 2));
    const config = loadConfig(configFile, {});
    const now = Date.parse(world.now);
    // In-process, from the sources: the worker threads run service/main.ts under the same TypeScript loader.
    const server = await startServer(config, {
      env: process.env, socketPath: null, devPort: o.port ?? 8787, analysisNow: () => now, ...(o.plugins ? { plugins: o.plugins } : {}), ...(o.logLevel ? { logLevel: o.logLevel } : {}),
    });
    return {
      url: `http://127.0.0.1:${server.tcp!.port}`,
      world,
      server,
      async close() {
        await server.close();
        await sim.remove();
      },
    };
  } catch (err) {
    await sim.remove();
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--port');
  const port = i === -1 ? 8787 : Number(process.argv[i + 1]);
  process.stderr.write('demo: preparing the incident world (first run takes a minute; cached after)…\n');
  const demo = await startDemoSidecar({ port });
  process.stderr.write([
    `demo: the sidecar listens on ${demo.url} with the development signer (never on a Plesk server).`,
    `demo: the first diagnosis (as of ${demo.world.now}) runs in the background; watch it:`,
    `  curl -N ${demo.url}/api/events`,
    'demo: then ask as any Plesk owner of the world (admin, reseller1, skseikan, sakura, shopowner, tanaka, yamada):',
    `  curl ${demo.url}/api/subscriptions`,
    `  curl -H '${DEV_AS_HEADER}: skseikan' ${demo.url}/api/subscriptions/1`,
    `  curl -H '${DEV_AS_HEADER}: skseikan' '${demo.url}/api/subscriptions/1/timeline?step=minute'`,
    `  curl -H '${DEV_AS_HEADER}: skseikan' -H 'content-type: application/json' -d '{"path":"${demo.world.dir}/var/www/vhosts/sk-seikan.jp/httpdocs/mail.php","dryRun":true}' ${demo.url}/api/subscriptions/1/actions/quarantine`,
    'demo: Ctrl-C stops it.',
    '',
  ].join('\n'));
  await new Promise<void>((r) => {
    process.once('SIGINT', () => r());
    process.once('SIGTERM', () => r());
  });
  await demo.close();
}
