// The lab (docs/lab.md): DESIGN.md §1's incident reproduced with real
// software on this machine — a Plesk-shaped host with real Unix users,
// nginx + PHP-FPM, a private real Postfix that discards everything, psa in a
// throwaway MariaDB behind the `plesk` simulator — and the sidecar on it.
//
//   const lab = await startLab();            // everything up, no traffic yet
//   const load = startLoad(lab.targets, …);  // load.ts
//   const sidecar = await startLabSidecar(lab, { socket: true });
//   … ; await sidecar.close(); await load.stop(); await lab.stop();
//
// Needs root (useradd, mount namespace, Postfix, nginx), and the packages of
// test/setup.sh. stop() ends every process started here, removes the users
// and the temp root, and reports the first failure after trying everything.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import { loadConfig, type Config } from '../../service/config.ts';
import { loadSecret } from '../../service/http/auth/secret-file.ts';
import { startServer, type RunningServer } from '../../service/server.ts';
import { createPrivatePostfix, type PrivatePostfix } from '../fixtures/capture/private-postfix.ts';
import { freePort } from '../fixtures/capture/free-port.ts';
import { startMariadb, type Mariadb } from '../helpers/mariadb.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { createLabHost, LAB_ZONE, labPsaSql, removeLabUsers, removeStaleLabUsers, type LabHost, type LabUser } from './host.ts';
import { startLimitOutMilter, type LimitOutMilter } from './limit-out-milter.mjs';
import type { LoadTargets } from './load.ts';
import { startOmcSync } from './omc-sync.ts';
import { startLabWeb, type LabWeb } from './web.ts';

export type Lab = {
  root: string;
  host: LabHost;
  db: Mariadb;
  sim: PleskSim;
  /** Every `plesk` call the product made, one JSON line each (the simulator's record; passwords only as sha256). */
  simRecord: string;
  milter: LimitOutMilter;
  postfix: PrivatePostfix;
  web: LabWeb;
  configFile: string;
  config: Config;
  targets: LoadTargets;
  urls: Record<string, string>;
  syncOmc(): Promise<void>;
  stop(): Promise<void>;
};

export async function startLab(o: { keep?: boolean } = {}): Promise<Lab> {
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (useradd, a mount namespace, Postfix, nginx)');
  await removeStaleLabUsers();
  // Short: unix socket paths (FPM, MariaDB, the sidecar) must fit in 107 bytes.
  const root = await mkdtemp('/tmp/sendtrace-lab-');
  await chmod(root, 0o755);
  const users: LabUser[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    const failures: unknown[] = [];
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => failures.push(e));
    await removeLabUsers(users).catch((e: unknown) => failures.push(e));
    if (!o.keep) await rm(root, { recursive: true, force: true });
    if (failures.length) throw failures[0];
  };
  try {
    const host = await createLabHost(root, users);
    const db = await startMariadb();
    cleanups.push(() => db.stop());
    await db.exec(labPsaSql(host));
    const simRecord = join(root, 'plesk-calls.jsonl');
    const sim = await makePleskSim({ socket: db.socket, record: simRecord });
    cleanups.push(() => sim.remove());

    const postfixDir = join(root, 'postfix');
    const maillog = join(postfixDir, 'maillog');
    // The limit-out stand-in: the one modelled part (docs/lab.md). Limits per sender domain = psa's subscription limits.
    const milter = await startLimitOutMilter({
      maillog, syslogHost: 'plesk', timeZone: LAB_ZONE, limit: 1_000_000,
      limits: Object.fromEntries(host.sites.map((s) => [s.domain, s.limit])),
    });
    cleanups.push(() => milter.close());
    const postfix = await createPrivatePostfix({
      dir: postfixDir, smtpPort: await freePort(), milterSmtpPort: milter.smtpPort, milterLocalPort: milter.localPort,
      sinkPort: await freePort(), remoteDomains: [], virtualDomains: [], saslUsers: [], timeZone: LAB_ZONE,
    });
    cleanups.push(() => postfix.stop());
    await postfix.start();
    const web = await startLabWeb(host, postfix.configDir);
    cleanups.push(() => web.stop());
    const omc = startOmcSync(host, milter, db);
    cleanups.push(() => omc.stop());

    const configFile = join(root, 'config.json');
    await writeFile(configFile, JSON.stringify({
      plesk: sim.path,
      maillog: [maillog],
      phpMailLog: [join(root, 'var/log/php-mail/*.log')],
      accessLogs: [join(host.vhostsRoot, 'system/*/logs/*access*log*')],
      vhostsRoot: host.vhostsRoot,
      passwdFile: '/etc/passwd',
      timezone: LAB_ZONE,
      stateDir: join(root, 'state'),
      socketPath: join(root, 'sendtrace.sock'),
      socketGroup: 'root',
      secretFile: join(root, 'state', 'api-secret'),
      metricsPort: null,
      // Incident mail would go to the SYSTEM Postfix: none from the lab.
      sendmail: null,
    }, null, 2));
    const config = loadConfig(configFile, {});
    const url = (key: string) => {
      const s = host.sites.find((x) => x.key === key)!;
      return `http://127.0.0.1:${web.ports[s.domain]}`;
    };
    const urls = Object.fromEntries(host.sites.map((s) => [s.domain, url(s.key)]));
    return {
      root, host, db, sim, simRecord, milter, postfix, web, configFile, config,
      targets: { helper: url('seikan'), form: url('dental'), blog: url('blog') },
      urls,
      syncOmc: () => omc.syncNow(),
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined); // the start-up error is the one to report
    throw err;
  }
}

const BUNDLE = resolve(repoRoot, 'dist/sendtrace.mjs');

export type LabSidecar = { server: RunningServer; socketPath: string | null; key: Buffer; url: string | null; close(): Promise<void> };

/**
 * The sidecar on the lab, in this process (so the diagnosis cache can be told
 * to refresh every few seconds instead of every minute): on the unix socket of
 * the config, or with `devPort`, on loopback with the development signer.
 */
export async function startLabSidecar(lab: Lab, o: { devPort?: number; plugins?: FastifyPluginAsync[]; logStream?: NodeJS.WritableStream; logLevel?: 'error' | 'warn' | 'info' } = {}): Promise<LabSidecar> {
  const dev = o.devPort !== undefined;
  const server = await startServer(lab.config, {
    env: { PATH: process.env['PATH'], TZ: LAB_ZONE },
    // Refreshes and actions run in worker threads of the built bundle, as on a
    // server; from the sources each worker would first compile every module.
    ...(existsSync(BUNDLE) ? { worker: { entry: pathToFileURL(BUNDLE) } } : {}),
    socketPath: dev ? null : lab.config.socketPath,
    ...(dev ? { devPort: o.devPort! } : {}),
    timing: { pollMs: 1_000, minIntervalMs: 5_000, maxAgeMs: 15_000 },
    ...(o.plugins ? { plugins: o.plugins } : {}),
    ...(o.logStream ? { logStream: o.logStream } : {}),
    ...(o.logLevel ? { logLevel: o.logLevel } : {}),
  });
  const key = loadSecret(lab.config.secretFile, { gid: 0, create: false });
  return {
    server, key,
    socketPath: server.socketPath,
    url: server.tcp ? `http://127.0.0.1:${server.tcp.port}` : null,
    close: () => server.close(),
  };
}
