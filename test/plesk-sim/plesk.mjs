#!/usr/bin/env node
// The `plesk` command simulator: the project's one stand-in for Plesk
// (DESIGN.md §5). The product runs it as a command, exactly as it runs the real
// `plesk` (config `plesk` points at a wrapper made by test/helpers/plesk-sim.ts).
//
// Binding (environment, set by the wrapper; exactly one of):
//   PLESK_SIM_MARIADB_SOCKET=/tmp/…/mysqld.sock   `plesk db` runs the real `mariadb` client on
//                                                 that socket, database psa, as root
//   PLESK_SIM_SQL_DATA=/path/data.sql              `plesk db` runs on sql.js: schema + this data
//                                                 file (MySQL dialect), rebuilt in memory per call
//   PLESK_SIM_SCHEMA=/path/schema.sql              optional, default test/fixtures/psa/schema.sql
//   PLESK_SIM_CACHE_DIR=/path/dir                  optional: keep the built sql.js database there (keyed
//                                                  by content) so later calls skip rebuilding it
//   PLESK_SIM_RECORD=/path/calls.jsonl             optional: every call appends its argv as a JSON line
//                                                  (tests assert which commands the product ran); a
//                                                  `plesk bin` call appends {"argv": […], "env": {…}} with
//                                                  PSA_PASSWORD recorded only as its sha256
//
// Implemented:
//   plesk db [-N|--skip-column-names] [-B|--batch] [-e SQL|--execute=SQL|SQL]   (also -Ne, -NBe …;
//       without a query the SQL is read from stdin). reference/plesk.md §4.3: `plesk db` is the
//       mysql client on psa with its flags passed through [I]; output, stderr and exit code are
//       the client's.
//   plesk bin extension --list|--install|--upgrade   plesk-bin-extension.mjs (state in PLESK_SIM_STATE_DIR)
//   plesk bin mail|domain|client|customer|reseller|user -u NAME -passwd ''   password resets with
//       PSA_PASSWORD, on the MariaDB binding only (plesk-bin.mjs); other utilities, and the sql.js
//       binding (read-only), exit 1 with "not implemented in the simulator".
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** mysql-client options the product (and Plesk's own scripts) use with `plesk db`. */
function parseDbArgs(args) {
  const opts = { skipColumnNames: false, batch: false, execute: null };
  const setQuery = (q) => {
    if (q === undefined) fail("plesk db: option '-e' requires an argument");
    if (opts.execute !== null) fail('plesk db: more than one query given');
    opts.execute = q;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--skip-column-names') opts.skipColumnNames = true;
    else if (a === '--batch') opts.batch = true;
    else if (a === '--execute') setQuery(args[++i]);
    else if (a.startsWith('--execute=')) setQuery(a.slice('--execute='.length));
    else if (/^-[A-Za-z]/.test(a)) {
      // A cluster of short flags; `e` takes the rest of the cluster or the next argument.
      for (let k = 1; k < a.length; k++) {
        const f = a[k];
        if (f === 'N') opts.skipColumnNames = true;
        else if (f === 'B') opts.batch = true;
        else if (f === 'e') {
          setQuery(k + 1 < a.length ? a.slice(k + 1) : args[++i]);
          break;
        } else fail(`plesk db: unknown option '-${f}' (the simulator supports -N, -B, -e)`);
      }
    } else if (a.startsWith('-')) fail(`plesk db: unknown option '${a}' (the simulator supports -N, -B, -e)`);
    else setQuery(a); // `plesk db "SELECT …"` [V third-party usage, reference/plesk.md §4.3]
  }
  return opts;
}

function runMariadb(socket, opts) {
  const argv = [
    '--no-defaults', `--socket=${socket}`, '--user=root', '--default-character-set=utf8mb4', '--database=psa',
    ...(opts.skipColumnNames ? ['--skip-column-names'] : []),
    ...(opts.batch ? ['--batch'] : []),
    ...(opts.execute !== null ? [`--execute=${opts.execute}`] : []),
  ];
  // Pipes, not inherited descriptors: if the caller kills this process on a
  // timeout, its pipes close at once instead of staying open in the client.
  const child = spawn('mariadb', argv, { stdio: [opts.execute === null ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  if (child.stdin) process.stdin.pipe(child.stdin);
  child.stdout.pipe(process.stdout);
  child.stderr.pipe(process.stderr);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('error', (err) => fail(`plesk db: cannot run mariadb: ${err.message}`));
  child.on('close', (code, signal) => {
    process.exitCode = code ?? 128 + ({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 }[signal] ?? 1);
  });
}

async function runSqlite(dataPath, opts) {
  const { openPsa, runBatch } = await import('./sqlite-backend.mjs');
  const schemaPath = process.env.PLESK_SIM_SCHEMA || resolve(here, '../fixtures/psa/schema.sql');
  let db;
  try {
    db = await openPsa({ schemaPath, dataPath, cacheDir: process.env.PLESK_SIM_CACHE_DIR || null });
  } catch (err) {
    fail(`plesk db (simulator, sql.js): cannot load psa: ${err.message}`);
  }
  const script = opts.execute ?? readFileSync(0, 'utf8');
  const { stdout, stderr, code } = runBatch(db, script, opts);
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  process.exitCode = code;
}

async function main(argv) {
  if (process.env.PLESK_SIM_RECORD) {
    const record = argv[0] === 'bin' ? { argv, env: (await import('./plesk-bin.mjs')).recordedEnv(process.env) } : argv;
    appendFileSync(process.env.PLESK_SIM_RECORD, `${JSON.stringify(record)}\n`);
  }
  const [command, ...rest] = argv;
  if (command === 'db') {
    const opts = parseDbArgs(rest);
    const socket = process.env.PLESK_SIM_MARIADB_SOCKET;
    const data = process.env.PLESK_SIM_SQL_DATA;
    if (socket && data) fail('plesk (simulator): both PLESK_SIM_MARIADB_SOCKET and PLESK_SIM_SQL_DATA are set; bind one database');
    if (socket) return runMariadb(socket, opts);
    if (data) return runSqlite(data, opts);
    fail('plesk (simulator): no database bound: set PLESK_SIM_MARIADB_SOCKET or PLESK_SIM_SQL_DATA (see test/helpers/plesk-sim.ts)');
  }
  if (command === 'bin' && rest[0] === 'extension') return (await import('./plesk-bin-extension.mjs')).runExtension(rest.slice(1), process.env, fail);
  if (command === 'bin') return (await import('./plesk-bin.mjs')).runBin(rest, process.env, fail);
  if (command === undefined) fail('Usage: plesk <command> [<args>]\nCommands implemented by the simulator: db, bin (password changes)');
  fail(`plesk: unknown command '${command}'. Run 'plesk help' to see the list of available commands.`);
}

await main(process.argv.slice(2));
