// The `plesk` simulator as a command: usage, and `plesk db` printing the same
// bytes on its two backends (real MariaDB client vs sql.js) for the same data.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../service/sources/run-command.ts';
import { startMariadb, type Mariadb } from '../helpers/mariadb.ts';
import { writeTestData } from '../helpers/psa-data.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';

let dir: string;
let db: Mariadb;
let onMariadb: PleskSim;
let onSqlite: PleskSim;
let record: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-plesk-sim-test-'));
  const data = await writeTestData(dir);
  db = await startMariadb();
  await db.loadFile(data);
  record = join(dir, 'calls.jsonl');
  onMariadb = await makePleskSim({ socket: db.socket, record });
  onSqlite = await makePleskSim({ sqlite: data });
});
after(async () => {
  await Promise.all([db?.stop(), onMariadb?.remove(), onSqlite?.remove()]);
  await rm(dir, { recursive: true, force: true });
});

const bothPrint = async (args: string[], stdin?: string) => {
  const [m, s] = await Promise.all([runCommand([onMariadb.path, ...args], { stdin }), runCommand([onSqlite.path, ...args], { stdin })]);
  assert.deepEqual({ code: s.code, stdout: s.stdout, stderr: s.stderr }, { code: m.code, stdout: m.stdout, stderr: m.stderr }, `plesk ${args.join(' ')}`);
  return m;
};

describe('plesk db on both backends', () => {
  it('prints hostile text with the client escapes, byte for byte the same', async () => {
    const r = await bothPrint(['db', '-N', '-B', '-e', 'SELECT id, mail_name, dom_id FROM mail WHERE id >= 1700 ORDER BY id']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "1700\ta\\tb\\nc\\\\d'\"\t70\n1701\tNULL\t71\n1702\t'); DROP TABLE clients; --\t70\n1703\t\\\\N\t71\n1704\t\\\\\t70\n");
  });

  it('prints NULL, negative defaults, DATETIMEs, raw CR and UTF-8 the same way', async () => {
    const r = await bothPrint(['db', '-N', '-B', '-e',
      'SELECT c.id, c.email, c.pname, u.home, p.beginDate, p.endDate, s.limitValue FROM clients c LEFT JOIN sys_users u ON u.id = 170 ' +
      'LEFT JOIN SubscriptionOutgoingMessagesPeaks p ON p.subscriptionId = 1 LEFT JOIN MailOutgoingMessagesStats s ON s.mailId = 1000 WHERE c.id IN (3, 7) ORDER BY c.id']);
    assert.match(r.stdout, /^3\tNULL\tReseller Two\t\/var\/www\/vhosts\/back\\\\slash\r\\nCRLF\t2022-02-02 23:00:00\tNULL\t10\n/);
    assert.match(r.stdout, /\n7\tNULL\tイージートーン "quoted" \\\\ back\t/);
  });

  it('accepts the option spellings Plesk scripts use: -Ne, -NBe, long options, a bare query', async () => {
    const q = 'SELECT id, login FROM clients WHERE id < 3 ORDER BY id';
    const expected = '1\tadmin\n2\treseller1\n';
    for (const args of [['-Ne', q], ['-NBe', q], ['-BN', '-e', q], ['--skip-column-names', '--batch', `--execute=${q}`], ['-N', q]]) {
      assert.equal((await bothPrint(['db', ...args])).stdout, expected, args.join(' '));
    }
  });

  it('prints a header row without -N and reads the query from stdin without -e', async () => {
    assert.equal((await bothPrint(['db', '-B', '-e', 'SELECT id, login FROM clients WHERE id = 1'])).stdout, 'id\tlogin\n1\tadmin\n');
    assert.equal((await bothPrint(['db', '-N', '-B'], 'SELECT login FROM clients WHERE id = 2;\nSELECT 1 + 1;\n')).stdout, 'reseller1\n2\n');
  });

  it('fails a missing table with the client message and exit status, after earlier results', async () => {
    const r = await bothPrint(['db', '-N', '-B', '-e', "SELECT 'before';\nSELECT x FROM OldTable;\nSELECT 'after';"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'before\n');
    assert.equal(r.stderr, "--------------\nSELECT x FROM OldTable\n--------------\n\nERROR 1146 (42S02) at line 2: Table 'psa.OldTable' doesn't exist\n");
  });

  it('records each call when asked', async () => {
    await runCommand([onMariadb.path, 'db', '-N', '-e', 'SELECT 1']);
    const calls = (await readFile(record, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as string[]);
    assert.deepEqual(calls.at(-1), ['db', '-N', '-e', 'SELECT 1']);
  });
});

describe('plesk usage', () => {
  it('refuses plesk bin for now, saying it is not implemented in the simulator', async () => {
    const r = await runCommand([onSqlite.path, 'bin', 'mail', '-u', 'info@easytone.example', '-passwd', '']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /plesk bin mail: not implemented in the simulator/);
  });

  it('refuses unknown commands and options like Plesk, with exit status 1', async () => {
    for (const args of [['frobnicate'], [], ['db', '-X', 'SELECT 1'], ['db', '--host=db.example', '-e', 'SELECT 1'], ['db', '-e']]) {
      const r = await runCommand([onSqlite.path, ...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.notEqual(r.stderr, '', args.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  it('refuses to run plesk db when no database is bound', async () => {
    const env = { ...process.env, PLESK_SIM_MARIADB_SOCKET: '', PLESK_SIM_SQL_DATA: '' };
    const r = await runCommand([process.execPath, join(import.meta.dirname, 'plesk.mjs'), 'db', '-Ne', 'SELECT 1'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no database bound/);
  });
});
