// A `plesk` executable for tests and the demo, bound to one database: a tiny
// /bin/sh wrapper in a temp dir that sets the simulator's binding variables and
// execs test/plesk-sim/plesk.mjs with this Node. Point config `plesk` at it.
//
//   makePleskSim({ socket })        → `plesk db` on the MariaDB at that unix socket (startMariadb())
//   makePleskSim({ sqlite: file })  → `plesk db` on sql.js: schema.sql + that data file (MySQL dialect)
//
// The wrapper sets PLESK_SIM_MARIADB_SOCKET or PLESK_SIM_SQL_DATA (and unsets the
// other, so an inherited environment cannot mix the two), and PLESK_SIM_RECORD
// when `record` is given; see plesk.mjs's header.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from './repo-root.ts';

export const pleskSimScript = resolve(repoRoot, 'test/plesk-sim/plesk.mjs');

export type PleskSimBinding = ({ socket: string } | { sqlite: string; schema?: string }) & {
  /** A file where each call appends its argv as one JSON line. */
  record?: string;
};
export type PleskSim = { path: string; dir: string; remove(): Promise<void> };

/** Single-quotes a word for /bin/sh (the only shell text this project writes, and only in tests). */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export async function makePleskSim(binding: PleskSimBinding): Promise<PleskSim> {
  const dir = await mkdtemp(join(tmpdir(), 'sendtrace-plesk-sim-'));
  const path = join(dir, 'plesk');
  const env =
    'socket' in binding
      ? [`PLESK_SIM_MARIADB_SOCKET=${shellQuote(binding.socket)}`, 'export PLESK_SIM_MARIADB_SOCKET', 'unset PLESK_SIM_SQL_DATA PLESK_SIM_SCHEMA PLESK_SIM_CACHE_DIR']
      : [
          `PLESK_SIM_SQL_DATA=${shellQuote(resolve(binding.sqlite))}`,
          'export PLESK_SIM_SQL_DATA',
          'unset PLESK_SIM_MARIADB_SOCKET',
          // The built database is cached beside the wrapper and goes away with it.
          `PLESK_SIM_CACHE_DIR=${shellQuote(dir)}`,
          'export PLESK_SIM_CACHE_DIR',
          ...(binding.schema ? [`PLESK_SIM_SCHEMA=${shellQuote(resolve(binding.schema))}`, 'export PLESK_SIM_SCHEMA'] : ['unset PLESK_SIM_SCHEMA']),
        ];
  const record = binding.record ? [`PLESK_SIM_RECORD=${shellQuote(resolve(binding.record))}`, 'export PLESK_SIM_RECORD'] : ['unset PLESK_SIM_RECORD'];
  const script = ['#!/bin/sh', '# plesk simulator wrapper (test/helpers/plesk-sim.ts)', ...env, ...record, `exec ${shellQuote(process.execPath)} ${shellQuote(pleskSimScript)} "$@"`, ''].join('\n');
  await writeFile(path, script, { mode: 0o755 });
  await chmod(path, 0o755);
  return { path, dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
