// Test data for psa beyond test/fixtures/psa/sample-panel.sql: MySQL string
// literals for arbitrary text, and a set of hostile names (quotes, backslashes,
// tabs, newlines, CR, SQL fragments, the text NULL) that must come back intact.
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { repoRoot } from './repo-root.ts';

export const samplePanelSql = resolve(repoRoot, 'test/fixtures/psa/sample-panel.sql');

/** A MySQL string literal (default sql_mode: backslash escapes on). */
export function mysqlString(text: string): string {
  const escaped = text.replace(/[\\'\0\n\r\t\x1a]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\0': '\\0', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1a': '\\Z' })[c]!);
  return `'${escaped}'`;
}

const injection = "'); DROP TABLE clients; --";

export const HOSTILE = {
  clientLogin: `x${injection}`,
  clientName: 'イージートーン "quoted" \\ back',
  domain: `evil'"\\\t\n${injection}.example`,
  additionalDomain: 'NULL',
  sysUserLogin: 'tab\there',
  sysUserHome: '/var/www/vhosts/back\\slash\r\nCRLF',
  wwwRoot: "/var/www/vhosts/evil/httpdocs\t'; DELETE FROM mail; --",
  phpHandler: 'NULL',
  mailNames: ['a\tb\nc\\d\'"', 'NULL', injection, '\\N', '\\'],
  limitValue: "1'; DROP TABLE Subscriptions; --",
} as const;

/** SQL that adds subscription 7 (main domain 70, additional 71) full of hostile text. */
export function hostileSql(): string {
  const s = mysqlString;
  const h = HOSTILE;
  return [
    `INSERT INTO clients (id, login, type, parent_id, pname, guid) VALUES (7, ${s(h.clientLogin)}, 'client', 2, ${s(h.clientName)}, 'g-7');`,
    `INSERT INTO domains (id, name, displayName, cl_id, guid, webspace_id, htype) VALUES (70, ${s(h.domain)}, 'evil', 7, 'd-70', 0, 'vrt_hst'), (71, ${s(h.additionalDomain)}, 'null', 7, 'd-71', 70, 'none');`,
    `INSERT INTO Subscriptions (id, object_id, object_type, uuid) VALUES (7, 70, 'domain', 's-7');`,
    `INSERT INTO sys_users (id, login, home) VALUES (170, ${s(h.sysUserLogin)}, ${s(h.sysUserHome)});`,
    `INSERT INTO hosting (dom_id, sys_user_id, www_root, php_handler_id) VALUES (70, 170, ${s(h.wwwRoot)}, ${s(h.phpHandler)});`,
    `INSERT INTO mail (id, mail_name, dom_id) VALUES ${h.mailNames.map((name, i) => `(${1700 + i}, ${s(name)}, ${i % 2 ? 71 : 70})`).join(', ')};`,
    `INSERT INTO SubscriptionProperties (subscription_id, name, value) VALUES (7, 'outgoing_messages_subscription_limit', ${s(h.limitValue)});`,
    '',
  ].join('\n');
}

/** The sample panel plus the hostile subscription, as one data file in `dir`. */
export async function writeTestData(dir: string): Promise<string> {
  const path = join(dir, 'psa-data.sql');
  await writeFile(path, `${await readFile(samplePanelSql, 'utf8')}\n${hostileSql()}`);
  return path;
}
