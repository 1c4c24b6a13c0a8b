// `plesk bin …` password changes in the simulator, on a real MariaDB psa.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../service/sources/run-command.ts';
import { startMariadb, type Mariadb } from '../helpers/mariadb.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';
import { PSA_SQL } from '../actions/world.ts';

const STRONG = 'Xq7_k2Lm9%rT4pWz8vNc3@Hd';
const hex = (s: string) => createHash('sha256').update(s).digest('hex');

let dir: string;
let db: Mariadb;
let sim: PleskSim;
let onSqlite: PleskSim;
let record: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-plesk-bin-'));
  await writeFile(join(dir, 'data.sql'), PSA_SQL);
  db = await startMariadb();
  await db.loadFile(join(dir, 'data.sql'));
  record = join(dir, 'calls.jsonl');
  sim = await makePleskSim({ socket: db.socket, record });
  onSqlite = await makePleskSim({ sqlite: join(dir, 'data.sql') });
});
after(async () => {
  await Promise.all([db?.stop(), sim?.remove(), onSqlite?.remove()]);
  await rm(dir, { recursive: true, force: true });
});

const bin = (args: string[], password: string | undefined, extra: Record<string, string> = {}) =>
  runCommand([sim.path, 'bin', ...args], { env: { PATH: process.env.PATH, ...(password === undefined ? {} : { PSA_PASSWORD: password }), ...extra } });

describe('plesk bin in the simulator', () => {
  it('sets a mailbox, system user, customer and additional user password from PSA_PASSWORD, storing only a hash', async () => {
    for (const [utility, name] of [['mail', 'info@acme.example'], ['domain', 'acme.example'], ['client', 'acme'], ['user', 'acme-web']] as const) {
      const r = await bin([utility, '-u', name, '-passwd', ''], STRONG);
      assert.equal(r.code, 0, `${utility}: ${r.stderr}`);
      assert.match(r.stdout, /SUCCESS/);
    }
    const stored = await db.exec(`SELECT a.password FROM mail m JOIN accounts a ON a.id = m.account_id WHERE m.id = 1000;
SELECT a.password FROM sys_users u JOIN accounts a ON a.id = u.account_id WHERE u.id = 100;
SELECT a.password FROM clients c JOIN accounts a ON a.id = c.account_id WHERE c.id = 3;
SELECT password FROM smb_users WHERE login = 'acme-web';`);
    assert.deepEqual(stored.trim().split('\n'), Array(4).fill(`$SIM-SHA256$${hex(STRONG)}`));
    assert.doesNotMatch(await db.exec('SELECT password FROM accounts; SELECT password FROM smb_users;'), new RegExp(STRONG.replace(/[%@]/g, '.')));
  });

  it('records argv and environment, with PSA_PASSWORD only as its sha256', async () => {
    const calls = (await readFile(record, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const last = calls.at(-1);
    assert.deepEqual(last.argv, ['bin', 'user', '-u', 'acme-web', '-passwd', '']);
    assert.equal(last.env.PSA_PASSWORD, `sha256:${hex(STRONG)}`);
    assert.ok(!(await readFile(record, 'utf8')).includes(STRONG));
  });

  it("refuses a password weaker than 'Very strong' with Plesk's message", async () => {
    const r = await bin(['mail', '-u', 'sales@acme.example', '-passwd', ''], 'P@ssw0rd');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not complex enough.*Very strong/);
  });

  it('fails like Plesk for an unknown object, an empty password, an unknown utility or option', async () => {
    assert.match((await bin(['mail', '-u', "x'; DROP TABLE mail; --@acme.example", '-passwd', ''], STRONG)).stderr, /Unable to find mail name/);
    assert.match((await bin(['client', '-u', 'reseller1', '-passwd', ''], STRONG)).stderr, /Unable to find customer/);
    assert.match((await bin(['mail', '-u', 'info@acme.example', '-passwd', ''], undefined)).stderr, /Password is empty/);
    assert.match((await bin(['admin_alias', '-u', 'x', '-passwd', ''], STRONG)).stderr, /not implemented in the simulator/);
    const r = await bin(['mail', '-u', 'info@acme.example', '-passwd', '', '-mbox_quota', '1G'], STRONG);
    assert.equal(r.code, 1);
    assert.equal((await db.exec('SELECT COUNT(*) FROM mail')).trim(), '4', 'the injection attempt changed nothing');
  });

  it('takes a password given in argv too (as Plesk does), which is what the product must never do', async () => {
    const r = await bin(['mail', '-u', 'shop@acme-shop.example', '-passwd', STRONG], undefined);
    assert.equal(r.code, 0, r.stderr);
    const calls = (await readFile(record, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(calls.at(-1).argv.includes(STRONG));
  });

  it('fails the names listed in PLESK_SIM_BIN_FAIL, echoing the password like a careless tool', async () => {
    const r = await bin(['mail', '-u', 'sales@acme.example', '-passwd', ''], STRONG, { PLESK_SIM_BIN_FAIL: 'sales@acme.example' });
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes(STRONG));
  });

  it('says plesk bin is not implemented on the read-only sql.js binding', async () => {
    const r = await runCommand([onSqlite.path, 'bin', 'mail', '-u', 'info@acme.example', '-passwd', ''], { env: { PATH: process.env.PATH, PSA_PASSWORD: STRONG } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /plesk bin mail: not implemented in the simulator on the sql.js backend/);
  });
});
