// A private, throwaway MariaDB for tests: its own datadir in a temp dir, a unix
// socket only (--skip-networking, so nothing listens on a port), small buffers,
// database `psa` loaded with test/fixtures/psa/schema.sql. Each test file may
// start its own; stop() shuts it down and removes the directory.
//
//   const db = await startMariadb();
//   t.after(() => db.stop());
//   await db.exec("INSERT INTO clients …");
//   await db.kill(); await db.restart();   // a crash (SIGKILL) and the server back on the same data
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCommand } from '../../service/sources/run-command.ts';
import { repoRoot } from './repo-root.ts';

export const schemaPath = resolve(repoRoot, 'test/fixtures/psa/schema.sql');

export type Mariadb = {
  socket: string;
  dir: string;
  /** Milliseconds from the call to a loaded schema (reported by tests that care). */
  startupMs: number;
  /** Runs SQL (any number of statements, fed on stdin) in `psa`; resolves to `mariadb -N -B` output. */
  exec(sql: string): Promise<string>;
  loadFile(path: string): Promise<void>;
  /** SIGKILL to mariadbd (a crash: no shutdown, clients lose their connections); resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts mariadbd again on the same data directory and socket (crash recovery included); resolves when it answers. */
  restart(): Promise<void>;
  stop(): Promise<void>;
};

// Options shared by bootstrap and server: keep memory and disk small and
// durability off (the data lives for one test file).
const serverOptions = [
  '--innodb-buffer-pool-size=32M',
  '--innodb-log-file-size=8M',
  '--innodb-log-buffer-size=1M',
  '--innodb-flush-log-at-trx-commit=0',
  '--innodb-doublewrite=0',
  '--key-buffer-size=1M',
  '--aria-pagecache-buffer-size=1M',
  '--performance-schema=OFF',
  '--skip-log-bin',
  '--skip-name-resolve',
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_general_ci',
];

const running = new Set<ChildProcess>();
// A test process that dies without calling stop() must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function clientArgv(socket: string, database?: string): string[] {
  return ['mariadb', '--no-defaults', `--socket=${socket}`, '--user=root', '--default-character-set=utf8mb4', ...(database ? [`--database=${database}`] : [])];
}

async function runSql(socket: string, sql: string, database: string | undefined): Promise<string> {
  const r = await runCommand([...clientArgv(socket, database), '-N', '-B'], { stdin: sql, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`mariadb failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

async function ping(socket: string): Promise<boolean> {
  const r = await runCommand(['mariadb-admin', '--no-defaults', `--socket=${socket}`, '--user=root', '--connect-timeout=1', 'ping'], { timeoutMs: 5_000 });
  return r.code === 0;
}

async function tail(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(-15).join('\n');
  } catch (err) {
    return `(no error log: ${(err as Error).message})`;
  }
}

export async function startMariadb(options: { schema?: string | false } = {}): Promise<Mariadb> {
  const started = Date.now();
  // Unix socket paths are limited to 107 bytes; a long TMPDIR falls back to /tmp.
  const base = tmpdir().length > 60 ? '/tmp' : tmpdir();
  const dir = await mkdtemp(join(base, 'sendtrace-mariadb-'));
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const errorLog = join(dir, 'error.log');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  let child: ChildProcess | undefined;

  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const proc = child;
      const exited = new Promise<void>((ok) => proc.once('exit', () => ok()));
      const shutdown = await runCommand(['mariadb-admin', '--no-defaults', `--socket=${socket}`, '--user=root', 'shutdown'], { timeoutMs: 10_000 }).catch((err: Error) => err);
      const timer = setTimeout(() => proc.kill('SIGKILL'), shutdown instanceof Error || shutdown.code !== 0 ? 0 : 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (child) running.delete(child);
    await rm(dir, { recursive: true, force: true });
  };

  // Starts mariadbd on `datadir` and waits until it answers on the socket.
  const launch = async (): Promise<void> => {
    child = spawn('mariadbd', [
      '--no-defaults', `--datadir=${datadir}`, `--socket=${socket}`, '--skip-networking', ...asRoot,
      `--pid-file=${join(dir, 'mysqld.pid')}`, `--log-error=${errorLog}`, `--tmpdir=${join(dir, 'tmp')}`, ...serverOptions,
    ], { stdio: 'ignore' });
    running.add(child);
    const proc = child;
    const exitedEarly = new Promise<never>((_, fail) => {
      proc.once('exit', async (code, signal) => fail(new Error(`mariadbd exited during start-up (${code ?? signal}):\n${await tail(errorLog)}`)));
      proc.once('error', (err) => fail(err));
    });
    exitedEarly.catch(() => undefined); // observed below through Promise.race

    const deadline = Date.now() + 30_000;
    for (;;) {
      if (await Promise.race([ping(socket), exitedEarly])) break;
      if (Date.now() > deadline) throw new Error(`mariadbd not ready after 30 s:\n${await tail(errorLog)}`);
      await new Promise((ok) => setTimeout(ok, 50));
    }
  };

  try {
    await mkdir(join(dir, 'tmp'));
    const install = await runCommand(
      // Its own tmpdir: concurrent bootstraps sharing /tmp collide on temporary table names.
      ['mariadb-install-db', '--no-defaults', `--datadir=${datadir}`, `--tmpdir=${join(dir, 'tmp')}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot, ...serverOptions],
      { timeoutMs: 60_000 },
    );
    if (install.code !== 0) throw new Error(`mariadb-install-db failed (exit ${install.code}): ${install.stderr.slice(-2000)}`);

    await launch();
    await runSql(socket, 'CREATE DATABASE psa CHARACTER SET utf8mb4;', undefined);
    if (options.schema !== false) await runSql(socket, await readFile(options.schema ?? schemaPath, 'utf8'), 'psa');
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    socket,
    dir,
    startupMs: Date.now() - started,
    exec: (sql) => runSql(socket, sql, 'psa'),
    loadFile: async (path) => {
      await runSql(socket, await readFile(path, 'utf8'), 'psa');
    },
    async kill() {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((ok) => proc.once('exit', () => ok()));
      proc.kill('SIGKILL');
      await exited;
      running.delete(proc);
    },
    async restart() {
      if (child && child.exitCode === null && child.signalCode === null) throw new Error('mariadbd is still running: kill() or stop() it first');
      await launch();
    },
    stop,
  };
}
