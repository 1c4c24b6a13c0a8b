// The simulator's second backend: psa in sql.js (SQLite compiled to WASM), for
// the demo that must run with no MariaDB. Every call builds the database in
// memory from the schema and one data file (both MySQL dialect, translated by
// mysql-to-sqlite.mjs; or loads it from a cache of that build) and prints results byte for byte as `mariadb -B` does:
// TAB between fields, `NULL`, and the client's escapes \0 \t \n \\ (it leaves
// \r as is). Changes made by a query are not kept: the data file is the state.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initSqlJs from 'sql.js';
import { translateScript } from './mysql-to-sqlite.mjs';

const require = createRequire(import.meta.url);
const BACKEND_SOURCES = [fileURLToPath(import.meta.url), fileURLToPath(new URL('./mysql-to-sqlite.mjs', import.meta.url))];

/** A field as `mariadb --batch` prints it. */
export function formatBatchField(value) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (value instanceof Uint8Array) return escapeBatch(Buffer.from(value).toString('latin1'));
  return escapeBatch(String(value));
}

function escapeBatch(text) {
  return text.replace(/[\\\t\n\0]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\0': '\\0' })[c]);
}

/** SQLite's message → the MariaDB error line the real client would print. */
export function mariadbErrorLine(message, line) {
  let m;
  if ((m = /^no such table: (?:main\.)?(.+)$/.exec(message))) return `ERROR 1146 (42S02) at line ${line}: Table 'psa.${m[1]}' doesn't exist`;
  if ((m = /^no such column: (.+)$/.exec(message))) return `ERROR 1054 (42S22) at line ${line}: Unknown column '${m[1]}' in 'field list'`;
  if ((m = /^near "(.*)": syntax error$/.exec(message)))
    return `ERROR 1064 (42000) at line ${line}: You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '${m[1]}' at line 1`;
  return `ERROR 1105 (HY000) at line ${line}: ${message} (sql.js backend)`;
}

let SQL;
async function loadSqlJs() {
  SQL ??= await initSqlJs({ locateFile: (file) => require.resolve(`sql.js/dist/${file}`) });
  return SQL;
}

/**
 * The database of one call: schema, then the data file; a failure names the file
 * and line. With `cacheDir`, the built database is kept there, keyed by the
 * content of both files and of this backend, so later calls only load it.
 */
export async function openPsa({ schemaPath, dataPath, cacheDir }) {
  const { Database } = await loadSqlJs();
  const texts = [schemaPath, dataPath].map((path) => readFileSync(path, 'utf8'));
  let cachePath = null;
  if (cacheDir) {
    const hash = createHash('sha256');
    for (const text of [...texts, ...BACKEND_SOURCES.map((f) => readFileSync(f, 'utf8'))]) hash.update(`${text.length}:${text}`);
    cachePath = join(cacheDir, `psa-${hash.digest('hex').slice(0, 32)}.sqlite`);
    if (existsSync(cachePath)) return new Database(readFileSync(cachePath));
  }
  const db = buildPsa(Database, [schemaPath, dataPath], texts);
  if (cachePath) {
    // Written aside and renamed: a concurrent call sees the whole file or none.
    const tmp = `${cachePath}.${process.pid}.tmp`;
    writeFileSync(tmp, db.export());
    renameSync(tmp, cachePath);
  }
  return db;
}

function buildPsa(Database, paths, texts) {
  const db = new Database();
  // Nothing here needs durability: one transaction, no journal (about 5x faster to build).
  db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN');
  paths.forEach((path, i) => {
    let statements;
    try {
      statements = translateScript(texts[i]);
    } catch (err) {
      throw new Error(`${path}: ${err.message}`);
    }
    for (const { sql, line } of statements) {
      if (/^(BEGIN|COMMIT|START TRANSACTION)\b/i.test(sql)) continue; // the load is one transaction already
      try {
        db.run(sql);
      } catch (err) {
        throw new Error(`${path}:${line}: ${err.message}`);
      }
    }
  });
  db.exec('COMMIT');
  return db;
}

/**
 * Runs a MySQL-dialect script the way `mariadb --batch` would and returns what
 * it would print: stops at the first failing statement, exit code 1.
 */
export function runBatch(db, script, { skipColumnNames }) {
  let stdout = '';
  let statements;
  try {
    statements = translateScript(script);
  } catch (err) {
    return { stdout, stderr: `${mariadbErrorLine(err.message, 1)}\n`, code: 1 };
  }
  for (const { sql, line, original } of statements) {
    let stmt;
    try {
      stmt = db.prepare(sql);
      let first = true;
      while (stmt.step()) {
        if (first && !skipColumnNames) stdout += `${stmt.getColumnNames().map(formatBatchField).join('\t')}\n`;
        first = false;
        stdout += `${stmt.get(null, { useBigInt: true }).map(formatBatchField).join('\t')}\n`;
      }
    } catch (err) {
      // The MariaDB client shows the failing statement between dashes before the error.
      return { stdout, stderr: `--------------\n${original}\n--------------\n\n${mariadbErrorLine(err.message, line)}\n`, code: 1 };
    } finally {
      stmt?.free();
    }
  }
  return { stdout, stderr: '', code: 0 };
}
