// The sidecar's listener (`sendtrace serve`, DESIGN.md §4): the app of
// service/http/ on a unix socket that only root and the panel's group can
// reach (0660 root:psaadm), optionally /metrics alone on a loopback TCP port,
// and graceful shutdown on SIGTERM/SIGINT. With --dev-signer (never on a
// Plesk server) it listens on 127.0.0.1 instead, for the demo.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CommandContext, CommandResult } from './commands/command.ts';
import type { Config } from './config.ts';
import { createError, EXIT } from './errors.ts';
import { assertDevSignerAllowed } from './http/auth/dev-signer.ts';
import type { WorkerLauncher } from './http/cache/worker.ts';
import { SERVE_USAGE } from './commands/usage-lazy.ts';
import { createSidecar, type Sidecar, type SidecarOptions } from './http/sidecar.ts';
import { prepareSocketPath, removeOwnSocket, resolveGroupId, secureSocket } from './http/socket-file.ts';
import { parseIsoInstant } from './time.ts';
import { createLiveWatcher, type LiveOverrides } from './live/live-sidecar.ts';
import type { Watcher } from './live/watcher.ts';

export { SERVE_USAGE };

export type ServeOptions = Omit<SidecarOptions, 'secretGid' | 'worker'> & {
  /** null: no socket (the development signer's TCP listener only). */
  socketPath: string | null;
  /** Loopback TCP port for the development signer (0: any free port). */
  devPort?: number | null;
  worker?: WorkerLauncher;
  groupFile?: string;
  /** Where to look for a Plesk installation (tests). */
  root?: string;
  /** The live watcher (docs/live.md): false: not started (whatever config.live says); an object: test overrides. */
  live?: false | LiveOverrides;
};

export type RunningServer = { sidecar: Sidecar; socketPath: string | null; tcp: AddressInfo | null; metrics: AddressInfo | null; watcher: Watcher | null; close(): Promise<void> };

/** The worker entry: this very program (the bundle, or service/main.ts under the TypeScript loader). */
export function defaultLauncher(): WorkerLauncher {
  const here = import.meta.url;
  return { entry: here.endsWith('.ts') ? new URL('./main.ts', here) : new URL(here) };
}

export async function startServer(config: Config, o: ServeOptions): Promise<RunningServer> {
  const dev = o.devPort !== undefined && o.devPort !== null;
  if (dev) assertDevSignerAllowed(config, o.root);
  // Off Plesk (the development signer) there is no psaadm: our own group reads the secret then.
  const gid = resolveGroupId(config.socketGroup, o.groupFile) ?? (dev ? process.getgid?.() ?? null : null);
  if (gid === null) throw createError('SENDTRACE_ERR_CONFIG', `'socketGroup' in ${config.source}`, `group '${config.socketGroup}' does not exist (Plesk's panel group is psaadm)`);
  let watcher: Watcher | null = null;
  const sidecar = await createSidecar(config, {
    ...o, secretGid: gid, worker: o.worker ?? defaultLauncher(),
    incidents: () => watcher?.incidents() ?? null,
    ...(dev ? { devSigner: o.root ? { root: o.root } : {} } : {}),
  });
  const { app } = sidecar;
  let socketIno: number | null = null;
  let metricsServer: Server | null = null;
  try {
    if (o.socketPath) {
      await prepareSocketPath(o.socketPath, gid);
      // Created 0660 from the start: no instant in which others could connect.
      const umask = process.umask(0o117);
      try {
        await app.listen({ path: o.socketPath });
      } finally {
        process.umask(umask);
      }
      socketIno = secureSocket(o.socketPath, gid);
    } else if (dev) {
      await app.listen({ host: '127.0.0.1', port: o.devPort! });
    } else {
      await app.ready();
    }
    if (config.metricsPort !== null) {
      const server = createServer((req, res) => {
        const ok = req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'));
        res.writeHead(ok ? 200 : 404, { 'content-type': ok ? 'text/plain; version=0.0.4; charset=utf-8' : 'text/plain' });
        res.end(ok ? app.sidecarMetrics.registry.render() : 'only /metrics here\n');
      });
      metricsServer = server;
      await new Promise<void>((ok, fail) => server.once('error', fail).listen(config.metricsPort!, '127.0.0.1', () => ok()));
    }
  } catch (err) {
    await sidecar.close();
    throw err;
  }
  sidecar.cache.start();
  if (config.live && o.live !== false) {
    try {
      watcher = createLiveWatcher(config, sidecar, o.env, o.live || {});
      await watcher.start();
    } catch (err) {
      await sidecar.close();
      throw err;
    }
  }
  const tcp = dev ? (app.server.address() as AddressInfo) : null;
  const metrics = metricsServer ? (metricsServer.address() as AddressInfo) : null;
  app.log.info({ socket: o.socketPath, tcp, metrics, devSigner: dev }, 'sidecar listening');
  let closing: Promise<void> | null = null;
  return {
    sidecar, socketPath: o.socketPath, tcp, metrics, watcher,
    close() {
      closing ??= (async () => {
        await watcher?.stop();
        if (metricsServer) await new Promise<void>((ok) => metricsServer!.close(() => ok()));
        await sidecar.close();
        if (o.socketPath && socketIno !== null) removeOwnSocket(o.socketPath, socketIno);
      })();
      return closing;
    },
  };
}

/** `sendtrace serve`: runs until SIGTERM/SIGINT (a second signal exits at once). */
export async function runServe(ctx: CommandContext): Promise<CommandResult> {
  const { config } = ctx;
  const flag = (name: string) => ctx.args.flags.get(name)?.[0];
  const devSigner = ctx.args.flags.has('dev-signer');
  for (const devOnly of ['port', 'now']) if (!devSigner && ctx.args.flags.has(devOnly)) throw createError('SENDTRACE_ERR_USAGE', `--${devOnly} needs --dev-signer\nusage: sendtrace ${SERVE_USAGE}`);
  const portText = flag('port') ?? '8787';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw createError('SENDTRACE_ERR_USAGE', `--port '${portText}' is not a port number`);
  const nowText = flag('now');
  const fixedNow = nowText === undefined ? null : parseIsoInstant(nowText, config.timezone);
  if (nowText !== undefined && fixedNow === null) throw createError('SENDTRACE_ERR_USAGE', `--now '${nowText}' is not an ISO-8601 instant`);
  const server = await startServer(config, {
    env: ctx.env,
    socketPath: flag('socket') ?? (devSigner ? null : config.socketPath),
    devPort: devSigner ? Number(portText) : null,
    ...(fixedNow !== null ? { analysisNow: () => fixedNow } : {}),
  });
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.once('SIGTERM', () => process.exit(EXIT.unreadable));
      process.once('SIGINT', () => process.exit(EXIT.unreadable));
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await server.close();
  return { json: { stopped: true }, text: 'sendtrace: the sidecar stopped', exit: EXIT.ok, notes: [] };
}
