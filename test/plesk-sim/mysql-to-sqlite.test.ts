// The simulator's MySQL → SQLite translation, checked through the sql.js backend
// that uses it (a translation is only right if SQLite accepts it and keeps the data).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaPath } from '../helpers/mariadb.ts';
import { mysqlString } from '../helpers/psa-data.ts';
import { translateScript } from './mysql-to-sqlite.mjs';
import { openPsa, runBatch } from './sqlite-backend.mjs';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-sqlite-test-'));
});
after(() => rm(dir, { recursive: true, force: true }));

let fileNo = 0;
async function psaWith(data: string) {
  const dataPath = join(dir, `data-${fileNo++}.sql`);
  await writeFile(dataPath, data);
  return openPsa({ schemaPath, dataPath });
}
const query = (db: Awaited<ReturnType<typeof psaWith>>, sql: string) => runBatch(db, sql, { skipColumnNames: true });

describe('MySQL → SQLite translation', () => {
  it('creates every table of the psa schema', async () => {
    const names = [...(await readFile(schemaPath, 'utf8')).matchAll(/^CREATE TABLE (\w+)/gm)].map((m) => m[1]).sort();
    assert.ok(names.length >= 20);
    const db = await psaWith('');
    const { stdout } = query(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    assert.deepEqual(stdout.trimEnd().split('\n').sort(), names);
  });

  it('lets an AUTO_INCREMENT column assign ids, as MariaDB does on a fresh table', async () => {
    const db = await psaWith("INSERT INTO accounts (password) VALUES ('a'), ('b');");
    assert.equal(query(db, 'SELECT id, password FROM accounts ORDER BY id').stdout, '1\ta\n2\tb\n');
  });

  it('turns enum into a CHECK that refuses other values, naming the file and line', async () => {
    await assert.rejects(psaWith("\nINSERT INTO clients (login, guid, type) VALUES ('x', 'g', 'hacker');"), /data-\d+\.sql:2: .*CHECK constraint failed/);
  });

  it('refuses a DATETIME that MariaDB would normalise, instead of printing it differently', async () => {
    await assert.rejects(psaWith("INSERT INTO MailOutgoingMessagesStats (mailId, collectDate) VALUES (1, '2022-2-3 1:00:00');"), /CHECK constraint failed/);
    const db = await psaWith("INSERT INTO MailOutgoingMessagesPeaks (mailId, beginDate, endDate) VALUES (1, '2022-02-03 01:00:00', NULL);");
    assert.equal(query(db, 'SELECT beginDate, endDate FROM MailOutgoingMessagesPeaks').stdout, '2022-02-03 01:00:00\tNULL\n');
  });

  it('keeps UNIQUE KEY constraints', async () => {
    await assert.rejects(psaWith("INSERT INTO clients (login, guid) VALUES ('same', 'g1'), ('same', 'g2');"), /UNIQUE constraint failed: clients\.login/);
  });

  it('reads MySQL string literals with MySQL escaping rules', async () => {
    const text = "it's a \\ back\tslash\nline \"dq\" \r end ｱ";
    const db = await psaWith(`INSERT INTO accounts (id, password) VALUES (1, ${mysqlString(text)}), (2, 'a''b'), (3, "dq\\"s"), (4, 'pct\\%');`);
    const { stdout } = query(db, 'SELECT password FROM accounts ORDER BY id');
    assert.equal(stdout, "it's a \\\\ back\\tslash\\nline \"dq\" \r end ｱ\na'b\ndq\"s\npct\\\\%\n");
  });

  it('refuses a NUL character, which sql.js cannot carry', () => {
    assert.throws(() => translateScript("INSERT INTO accounts (password) VALUES ('a\\0b');"), /NUL character/);
  });

  it('drops mysqldump noise: version comments, SET, LOCK TABLES; maps INSERT IGNORE', async () => {
    const db = await psaWith(
      [
        '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;',
        'SET NAMES utf8mb4;',
        'LOCK TABLES `accounts` WRITE;',
        "INSERT INTO `accounts` VALUES (1,'sym','x');",
        "INSERT IGNORE INTO `accounts` VALUES (1,'sym','duplicate');",
        'UNLOCK TABLES;',
      ].join('\n'),
    );
    assert.equal(query(db, 'SELECT id, type, password FROM `accounts`').stdout, '1\tsym\tx\n');
  });

  it('moves a separate PRIMARY KEY of an AUTO_INCREMENT column inline', () => {
    const [stmt] = translateScript('CREATE TABLE t (id int unsigned NOT NULL AUTO_INCREMENT, v text, PRIMARY KEY (`id`), KEY v (v(10))) ENGINE=InnoDB DEFAULT CHARSET=utf8;');
    assert.equal(stmt?.sql.replace(/\s+/g, ' '), 'CREATE TABLE t ( id INTEGER PRIMARY KEY, v TEXT )');
  });

  it('reports the line each statement starts on', () => {
    assert.deepEqual(translateScript('SELECT 1;\n\n-- c\nSELECT\n2;').map((s) => s.line), [1, 4]);
  });
});
