// reset-passwords through the plesk simulator on a real MariaDB psa: the right
// accounts, strong unique passwords that Plesk really stores, passwords only in
// the one answer, one failure not stopping the others.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readAuditLog } from '../../service/actions/audit-log.ts';
import { PASSWORD_ALPHABET } from '../../service/actions/password-generator.ts';
import { pleskStrength } from '../../service/actions/password-strength.ts';
import { startMariadb, type Mariadb } from '../helpers/mariadb.ts';
import { makePleskSim } from '../helpers/plesk-sim.ts';
import { makeWorld, sha256Of, type World } from './world.ts';

let db: Mariadb;
let w: World;
let record: string;
const given: string[] = [];   // every password handed out, for the leak check

before(async () => {
  db = await startMariadb();
  w = await makeWorld({
    makePlesk: async ({ root, dataPath }) => {
      await db.loadFile(dataPath);
      record = join(root, 'plesk-calls.jsonl');
      return makePleskSim({ socket: db.socket, record });
    },
  });
});
after(async () => {
  await w?.remove();
  await db?.stop();
});

type Account = { kind: string; name: string; ok: boolean; password?: string; error?: string };
const stored = async (sql: string) => (await db.exec(sql)).trim();
const simHash = (pw: string) => `$SIM-SHA256$${sha256Of(pw)}`;

describe('reset-passwords', () => {
  it("resets the subscription's mailboxes, system user, customer login and additional users, each with its own very strong password", async () => {
    const r = await w.run('reset-passwords', ['--subscription', 'acme.example', '--mailboxes', 'all', '--system-user', '--panel-login', '--json']);
    assert.equal(r.exit, 0, r.text);
    const accounts = r.json.accounts as Account[];
    assert.deepEqual(accounts.map((a) => [a.kind, a.name, a.ok]), [
      ['mailbox', 'info@acme.example', true], ['mailbox', 'sales@acme.example', true], ['mailbox', 'shop@acme-shop.example', true],
      ['system-user', 'acme', true], ['panel-login', 'acme', true], ['panel-user', 'acme-web', true],
    ]);
    const pws = accounts.map((a) => a.password!);
    given.push(...pws);
    assert.equal(new Set(pws).size, pws.length, 'unique per account');
    for (const pw of pws) {
      assert.ok(pw.length >= 20, pw);
      assert.equal(pleskStrength(pw), 'very-strong');
      assert.ok([...pw].every((c) => PASSWORD_ALPHABET.includes(c)), pw);
    }
    // What Plesk stored is what the customer was given.
    assert.equal(await stored('SELECT a.password FROM mail m JOIN accounts a ON a.id = m.account_id WHERE m.id = 1000'), simHash(pws[0]!));
    assert.equal(await stored('SELECT a.password FROM mail m JOIN accounts a ON a.id = m.account_id WHERE m.id = 1002'), simHash(pws[2]!));
    assert.equal(await stored('SELECT a.password FROM sys_users u JOIN accounts a ON a.id = u.account_id WHERE u.id = 100'), simHash(pws[3]!));
    assert.equal(await stored('SELECT a.password FROM clients c JOIN accounts a ON a.id = c.account_id WHERE c.id = 3'), simHash(pws[4]!));
    assert.equal(await stored("SELECT password FROM smb_users WHERE login = 'acme-web'"), simHash(pws[5]!));
    assert.equal(await stored("SELECT COALESCE(password, 'none') FROM smb_users WHERE login = 'other-staff'"), 'none', "another customer's user is untouched");
    assert.match(r.text, /shown only this once/);
  });

  it('passes every password in PSA_PASSWORD with an empty -passwd, never in argv', async () => {
    const calls = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((c) => !Array.isArray(c));
    assert.equal(calls.length, 6);
    for (const c of calls) {
      assert.deepEqual(c.argv.slice(-2), ['-passwd', '']);
      for (const pw of given) assert.ok(!c.argv.some((a: string) => a.includes(pw)), 'a password in argv');
    }
    assert.deepEqual(calls.map((c) => c.env.PSA_PASSWORD), given.map((pw) => `sha256:${sha256Of(pw)}`));
    assert.deepEqual(calls.map((c) => c.argv.slice(1, 4)), [
      ['mail', '-u', 'info@acme.example'], ['mail', '-u', 'sales@acme.example'], ['mail', '-u', 'shop@acme-shop.example'],
      ['domain', '-u', 'acme.example'], ['client', '-u', 'acme'], ['user', '-u', 'acme-web'],
    ]);
  });

  it('goes on after a failed account, reports each result, and keeps the password out of the error', async () => {
    const env = { ...process.env, PLESK_SIM_BIN_FAIL: 'sales@acme.example' };
    const r = await w.run('reset-passwords', ['--subscription', 'acme.example', '--mailboxes', 'info@acme.example,sales@acme.example,admin@other.example', '--json'], env);
    assert.equal(r.exit, 1, r.text);
    const [info, sales, foreign] = r.json.accounts as Account[];
    assert.equal(info?.ok, true);
    given.push(info!.password!);
    assert.equal(sales?.ok, false);
    assert.equal(sales?.password, undefined);
    assert.match(sales?.error ?? '', /simulated failure.*\[password hidden\]/);
    assert.equal(foreign?.ok, false);
    assert.match(foreign?.error ?? '', /not a mailbox of subscription acme\.example/);
    const calls = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((c) => !Array.isArray(c));
    assert.ok(!calls.some((c) => c.argv.includes('admin@other.example')), "another subscription's mailbox was never passed to plesk");
    given.push(...r.notes);   // checked below: the notes must hold no password
    const audit = readAuditLog(w.stateDir).records.at(-1)!;
    assert.equal(audit.result, 'partial');
    assert.deepEqual((audit.details.accounts as Account[]).map((a) => a.ok), [true, false, false]);
  });

  it("does not touch the administrator's password", async () => {
    const r = await w.run('reset-passwords', ['--subscription', 'evil.example', '--panel-login', '--json']);
    assert.equal(r.exit, 3);
    assert.match((r.json.accounts as Account[])[0]!.error ?? '', /belongs to the administrator/);
  });

  it('writes no password to the audit log, the state, the call record, notes or errors', async () => {
    const notes = given.filter((g) => g.includes(' '));
    const passwords = given.filter((g) => !g.includes(' '));
    assert.ok(passwords.length >= 7);
    for (const note of notes) for (const pw of passwords) assert.ok(!note.includes(pw), `password in a note: ${note}`);
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
    const everything = walk(w.root);
    assert.ok(everything.some((f) => f.endsWith('audit.log')));
    for (const f of everything) {
      const text = readFileSync(f, 'latin1');
      for (const pw of passwords) assert.ok(!text.includes(pw), `a password in ${f}`);
    }
    const log = await db.exec('SELECT password FROM accounts; SELECT COALESCE(password, "") FROM smb_users;');
    for (const pw of passwords) assert.ok(!log.includes(pw), 'a password stored in clear in psa');
  });

  it('changes nothing on --dry-run', async () => {
    const before = await stored('SELECT id, type, password FROM accounts ORDER BY id; SELECT login, COALESCE(password, "") FROM smb_users ORDER BY id;');
    const calls = readFileSync(record, 'utf8').length;
    const r = await w.run('reset-passwords', ['--subscription', 'acme.example', '--mailboxes', 'all', '--system-user', '--panel-login', '--dry-run', '--json']);
    assert.equal(r.exit, 0, r.text);
    assert.ok((r.json.accounts as Account[]).every((a) => a.ok && a.password === undefined));
    assert.equal(await stored('SELECT id, type, password FROM accounts ORDER BY id; SELECT login, COALESCE(password, "") FROM smb_users ORDER BY id;'), before);
    assert.ok(!readFileSync(record, 'utf8').slice(calls).includes('"bin"'), 'no plesk bin call');
  });

  it('needs a subscription that exists and something to reset', async () => {
    assert.equal((await w.run('reset-passwords', ['--subscription', 'acme.example'])).exit, 2);
    const r = await w.run('reset-passwords', ['--subscription', 'nope.example', '--system-user']);
    assert.equal(r.exit, 2);
    assert.match(r.text, /Subscription not found: nope\.example/);
  });
});
