// `npm run lab`: the lab for a person (docs/lab.md). Starts the Plesk-shaped
// host, the sidecar on loopback with the development signer and the panel
// next to it (as `npm start` serves the demo), then the load — so the
// incident happens live in the panel: the burst, the OMC block, the finding.
//
//   npm run lab                       → prints the URLs; Ctrl-C stops everything
//   npm run lab -- --port 9000 --minutes 30
//
// Needs root (real Unix users, nginx, Postfix); never on a Plesk server (the
// development signer refuses to start there). The load stops by itself after
// --minutes (default 20); the lab stays up until Ctrl-C.
import { DEV_AS_HEADER } from '../../service/http/auth/dev-signer.ts';
import { panelPlugin } from '../demo/panel-plugin.ts';
import { LAB_ZONE } from './host.ts';
import { startLab, startLabSidecar } from './lab.ts';
import { startLoad } from './load.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  const n = i === -1 ? fallback : Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: '${args[i + 1]}' is not a whole number`);
  return n;
};
const port = arg('--port', 8788);
const minutes = arg('--minutes', 20);

process.stderr.write('lab: starting MariaDB, Postfix, nginx, PHP-FPM and the lab users (about 30 s)…\n');
const lab = await startLab();
let stopping = false;
const stopAll: Array<() => Promise<void>> = [() => lab.stop()];
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  process.stderr.write('lab: stopping…\n');
  for (const s of stopAll.splice(0)) await s().catch((e: unknown) => process.stderr.write(`lab: ${String(e)}\n`));
  process.stderr.write('lab: stopped; users and temp files removed.\n');
};
try {
  const sidecar = await startLabSidecar(lab, { devPort: port, plugins: [panelPlugin(LAB_ZONE)], logLevel: 'error' });
  stopAll.unshift(() => sidecar.close());
  const load = startLoad(lab.targets, { maxMs: minutes * 60_000 });
  stopAll.unshift(() => load.stop());
  const url = sidecar.url!;
  const seikan = lab.host.sites.find((s) => s.key === 'seikan')!;
  process.stderr.write([
    '',
    `lab: open ${url}/  (the panel as the server admin; the bots started now and run ${minutes} min)`,
    `     ${url}/as/seikan         the customer whose abandoned mail.php the bots use`,
    `     ${url}/as/dental         the clinic with a legitimate contact form`,
    `     ${url}/as/blogger        the blog with an uploaded mailer (PHP mail.log on)`,
    `     ${url}/as/admin?lang=ja  日本語`,
    `     API: curl -H '${DEV_AS_HEADER}: admin' ${url}/api/incidents`,
    `lab: the sites: ${Object.entries(lab.urls).map(([d, u]) => `${d} ${u}`).join(', ')}`,
    `lab: files under ${lab.root}: Postfix log ${lab.postfix.maillog}, access logs ${lab.host.vhostsRoot}/system/*/logs/`,
    `lab: the CLI on it: node dist/sendtrace.mjs diagnose --config ${lab.configFile}`,
    `lab: the helper to quarantine: ${seikan.httpdocs}/mail.php`,
    'lab: Ctrl-C stops everything (processes, users, files).',
    '',
  ].join('\n'));
  await new Promise<void>((r) => {
    process.once('SIGINT', () => r());
    process.once('SIGTERM', () => r());
  });
} finally {
  await shutdown();
}
