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
import { join, resolve } from 'node:path';
import { DEV_AS_HEADER } from '../../service/http/auth/dev-signer.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { panelPlugin } from './panel-plugin.ts';
import { startDemoSidecar } from './serve.ts';

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt === -1 ? Number(process.env['PORT'] ?? 8787) : Number(args[portAt + 1]);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: '${args[portAt + 1]}' is not a port number`);

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
