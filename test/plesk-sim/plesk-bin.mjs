// `plesk bin …` in the simulator: the password resets of reference/plesk.md
// §4.1–4.2 [V], against the MariaDB binding (psa is changed, as Plesk would).
//
//   plesk bin mail     -u|--update ADDRESS -passwd VALUE
//   plesk bin domain   -u|--update DOMAIN  -passwd VALUE   (the subscription's system user)
//   plesk bin client   -u|--update LOGIN   -passwd VALUE   (also `customer`)
//   plesk bin reseller -u|--update LOGIN   -passwd VALUE
//   plesk bin user     -u|--update LOGIN   -passwd VALUE   (additional panel user, smb_users)
//
// With `-passwd ''` the password is read from PSA_PASSWORD (§4.1 [V]); a non-empty
// -passwd is accepted like Plesk does (and the call record shows it in argv, which
// is what the product's tests look for). The simulator never stores a password:
// it stores `$SIM-SHA256$<sha256 hex>` (in accounts.password, or
// smb_users.password), so tests can check the password handed out is the one set.
// Like a server whose policy is "Very strong", it refuses weaker passwords with
// Plesk's message; the score follows Plesk's published rules (support article
// 213912245).
//
// Test knob: PLESK_SIM_BIN_FAIL=name1,name2 makes the update of those names fail
// (exit 1) with an error that — like a careless tool — echoes the password, so
// tests can prove the product never passes such text on.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

const SPECIALS = '!@#$%^&*?_~';

function score(pw) {
  const n = [...pw].length;
  const count = (re) => (pw.match(re) ?? []).length;
  const lower = count(/[a-z]/g), upper = count(/[A-Z]/g), digits = count(/[0-9]/g);
  const specials = [...pw].filter((c) => SPECIALS.includes(c)).length;
  let s = n <= 4 ? 3 : n <= 7 ? 6 : n <= 15 ? 12 : 18;
  if (lower) s += 1;
  if (upper) s += 5;
  if (digits) s += 5;
  if (digits >= 3) s += 5;
  if (specials) s += 5;
  if (specials >= 2) s += 5;
  if (lower && upper) s += 2;
  if ((lower || upper) && digits) s += 2;
  if ((lower || upper) && digits && specials) s += 2;
  return s;
}

/** A MySQL string literal (default sql_mode: backslash escapes on). */
function lit(text) {
  return `'${text.replace(/[\\'\0\n\r\t\x1a]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\0': '\\0', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1a': '\\Z' })[c])}'`;
}

export const simHash = (pw) => `$SIM-SHA256$${createHash('sha256').update(pw, 'utf8').digest('hex')}`;

/** The environment of a call as recorded: PSA_PASSWORD only as its sha256 (the record file is not a place for secrets either). */
export function recordedEnv(env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) out[k] = k === 'PSA_PASSWORD' && v !== undefined ? `sha256:${createHash('sha256').update(v, 'utf8').digest('hex')}` : v;
  return out;
}

function sqlOn(socket, text) {
  const r = spawnSync('mariadb', ['--no-defaults', `--socket=${socket}`, '--user=root', '--default-character-set=utf8mb4', '--database=psa', '-N', '-B'], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mariadb: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

// utility → how to find the object and where its password lives.
const TARGETS = {
  mail: (name) => {
    const at = name.lastIndexOf('@');
    if (at < 1) return null;
    return { what: 'mail name', find: `SELECT m.id, m.account_id FROM mail m JOIN domains d ON d.id = m.dom_id WHERE m.mail_name = ${lit(name.slice(0, at))} AND d.name = ${lit(name.slice(at + 1))}`, table: 'mail' };
  },
  domain: (name) => ({ what: 'domain', find: `SELECT u.id, u.account_id FROM domains d JOIN hosting h ON h.dom_id = d.id JOIN sys_users u ON u.id = h.sys_user_id WHERE d.name = ${lit(name)}`, table: 'sys_users' }),
  client: (name) => ({ what: 'customer', find: `SELECT id, account_id FROM clients WHERE type = 'client' AND login = ${lit(name)}`, table: 'clients' }),
  reseller: (name) => ({ what: 'reseller', find: `SELECT id, account_id FROM clients WHERE type = 'reseller' AND login = ${lit(name)}`, table: 'clients' }),
  user: (name) => ({ what: 'user', find: `SELECT id, 0 FROM smb_users WHERE login = ${lit(name)}`, table: 'smb_users' }),
};
TARGETS.customer = TARGETS.client;

export function runBin(args, env, fail) {
  const [utility, ...rest] = args;
  const target = TARGETS[utility];
  if (!target) fail(`plesk bin ${utility ?? ''}: not implemented in the simulator (test/plesk-sim/plesk.mjs)`.replace(' :', ':'));
  const socket = env.PLESK_SIM_MARIADB_SOCKET;
  if (!socket) fail(`plesk bin ${utility}: not implemented in the simulator on the sql.js backend (read-only); bind MariaDB`);
  let name = null;
  let passwd = null;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '-u' || a === '--update') name = rest[++i] ?? fail(`Option ${a} requires an argument`);
    else if (a === '-passwd') passwd = rest[++i] ?? fail('Option -passwd requires an argument');
    else fail(`Unknown option '${a}' (the simulator supports -u/--update and -passwd)`);
  }
  if (name === null) fail(`plesk bin ${utility}: nothing to do: give -u NAME`);
  if (passwd === null) fail(`plesk bin ${utility}: the simulator only changes passwords (-passwd)`);
  const password = passwd !== '' ? passwd : env.PSA_PASSWORD ?? '';
  if (password === '') fail('Error: Password is empty. Give it with -passwd or in the PSA_PASSWORD environment variable.');
  if ((env.PLESK_SIM_BIN_FAIL ?? '').split(',').includes(name)) fail(`An error occurred during ${utility} update: simulated failure for ${name} (password ${password} not set)`);
  if (score(password) < 45) {
    fail('Error: Some fields are empty or contain an improper value.\nYour password is not complex enough. According to the server policy, the minimal password strength is Very strong. ' +
      'To improve the password strength, use numbers, upper and lower-case characters, and special characters like !,@,#,$,%,^,&,*,?,_,~');
  }
  const t = target(name);
  const rows = t ? sqlOn(socket, `${t.find};`) : [];
  if (rows.length !== 1) fail(`Error: Unable to find ${t?.what ?? 'object'} '${name}'`);
  const [id, accountId] = rows[0];
  const hash = lit(simHash(password));
  if (t.table === 'smb_users') sqlOn(socket, `UPDATE smb_users SET password = ${hash} WHERE id = ${Number(id)};`);
  else if (Number(accountId) === 0) {
    sqlOn(socket, `INSERT INTO accounts (type, password) VALUES ('sym', ${hash}); UPDATE ${t.table} SET account_id = LAST_INSERT_ID() WHERE id = ${Number(id)};`);
  } else sqlOn(socket, `UPDATE accounts SET type = 'sym', password = ${hash} WHERE id = ${Number(accountId)};`);
  process.stdout.write(`SUCCESS: Update of ${t.what} '${name}' completed.\n`);
}
