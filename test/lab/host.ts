// The lab's Plesk-shaped host in a temporary root: the vhosts tree
// (`<root>/var/www/vhosts/<domain>/httpdocs`, `…/system/<domain>/logs`), one
// REAL Unix user per subscription (so Postfix's `pickup … uid=N` is real and
// /etc/passwd maps it back), and the psa rows that describe it all.
//
// psa names homes under /var/www/vhosts (Plesk's HTTPD_VHOSTS_D); the product
// reads the tree at `<root>/var/www/vhosts` through config `vhostsRoot`, as it
// reads the fixture world (service/sources/vhost-paths.ts).
//
// Users are made with useradd under a unique prefix and the comment
// LAB_GECOS; removeLabUsers() deletes them, and removeStaleLabUsers() deletes
// those a killed run left behind (their home, a lab temp dir, is gone).
import { chmod, chown, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../service/sources/run-command.ts';
import { mysqlString as s } from '../helpers/psa-data.ts';

export const LAB_GECOS = 'sendtrace lab user';
export const LAB_ZONE = 'Asia/Tokyo';
const SITES_DIR = fileURLToPath(new URL('./sites/', import.meta.url));

export type LabSiteKey = 'seikan' | 'dental' | 'blog';
export type LabSite = {
  key: LabSiteKey;
  domain: string;
  subscriptionId: number;
  domainId: number;
  clientLogin: string;
  mailboxes: string[];
  /** Messages per hour the limit-out stand-in lets through (psa's subscription limit). */
  limit: number;
  /** PHP mail.log + mail.add_x_header on (Plesk admins switch it on per site). */
  phpMailLog: boolean;
};
export type LabUser = { login: string; uid: number; gid: number };
export type LabHost = {
  root: string;
  vhostsRoot: string;
  sites: Array<LabSite & { user: LabUser; home: string; httpdocs: string; logs: string; mailLog: string | null }>;
};

/** The three subscriptions of the lab (DESIGN.md §1's incident, a clean form, an uploaded mailer). */
export const LAB_SITES: LabSite[] = [
  { key: 'seikan', domain: 'seikan-lab.example', subscriptionId: 1, domainId: 10, clientLogin: 'seikan', mailboxes: ['info', 'sales', 'tanaka', 'yamada'], limit: 60, phpMailLog: false },
  { key: 'dental', domain: 'dental-lab.example', subscriptionId: 2, domainId: 20, clientLogin: 'dental', mailboxes: ['info', 'reception'], limit: 500, phpMailLog: false },
  { key: 'blog', domain: 'blog-lab.example', subscriptionId: 3, domainId: 30, clientLogin: 'blogger', mailboxes: ['me'], limit: 500, phpMailLog: true },
];

async function run(argv: string[]): Promise<string> {
  const r = await runCommand(argv, { timeoutMs: 30_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const e of await readdir(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) await chownTree(p, uid, gid);
    else await chown(p, uid, gid);
  }
}

/** Deletes lab users whose home no longer exists (a run that was killed). */
export async function removeStaleLabUsers(): Promise<string[]> {
  const removed: string[] = [];
  for (const line of (await readFile('/etc/passwd', 'utf8')).split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || f[4] !== LAB_GECOS || !/^stlab[0-9a-f]{6}-[a-z]+$/.test(f[0]!)) continue;
    if (existsSync(f[5]!)) continue;
    await run(['userdel', f[0]!]);
    removed.push(f[0]!);
  }
  return removed;
}

export async function removeLabUsers(users: LabUser[]): Promise<void> {
  const failures: string[] = [];
  for (const u of users) {
    const r = await runCommand(['userdel', u.login], { timeoutMs: 30_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    // 6: no such user (already gone) is fine.
    if (r.code !== 0 && r.code !== 6) failures.push(`${u.login}: ${r.stderr.trim()}`);
  }
  if (failures.length) throw new Error(`userdel failed: ${failures.join('; ')}`);
}

/** Makes the tree and the users under `root` (an empty 0755 temp dir). Users made are pushed to `made` at once, so a failure half-way still cleans them. */
export async function createLabHost(root: string, made: LabUser[]): Promise<LabHost> {
  const vhostsRoot = join(root, 'var/www/vhosts');
  const prefix = `stlab${randomBytes(3).toString('hex')}`;
  const sites: LabHost['sites'] = [];
  await mkdir(join(vhostsRoot, 'system'), { recursive: true });
  await mkdir(join(root, 'var/log/php-mail'), { recursive: true });
  for (const d of [join(root, 'var'), join(root, 'var/www'), vhostsRoot, join(vhostsRoot, 'system'), join(root, 'var/log'), join(root, 'var/log/php-mail')]) await chmod(d, 0o755);
  for (const site of LAB_SITES) {
    const home = join(vhostsRoot, site.domain);
    const login = `${prefix}-${site.key}`;
    await run(['useradd', '--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', '--user-group', '--comment', LAB_GECOS, login]);
    const uid = Number((await run(['id', '-u', login])).trim());
    const gid = Number((await run(['id', '-g', login])).trim());
    const user = { login, uid, gid };
    made.push(user);
    await cp(join(SITES_DIR, site.key), home, { recursive: true });
    await chownTree(home, uid, gid);
    await chmod(home, 0o755);
    // Plesk's per-vhost log folder is root's; nginx (root master) writes it.
    const logs = join(vhostsRoot, 'system', site.domain, 'logs');
    await mkdir(logs, { recursive: true });
    let mailLog: string | null = null;
    if (site.phpMailLog) {
      mailLog = join(root, 'var/log/php-mail', `${site.domain}.log`);
      await writeFile(mailLog, '', { mode: 0o640 });
      await chown(mailLog, uid, gid); // PHP writes it as the site's user
    }
    sites.push({ ...site, user, home, httpdocs: join(home, 'httpdocs'), logs, mailLog });
  }
  return { root, vhostsRoot, sites };
}

/** psa rows for the lab (reference/plesk.md §3 table and column names), homes named as Plesk names them. */
export function labPsaSql(host: LabHost): string {
  const out: string[] = [
    "INSERT INTO clients (id, login, type, parent_id, email, locale, guid, pname) VALUES (1, 'admin', 'admin', NULL, 'admin@lab.example', 'en-US', 'g-1', 'Administrator');",
    "INSERT INTO ServiceNodeConfiguration (serviceNodeId, section, name, value) VALUES (1, 'mailServer', 'outgoing_messages_subscription_limit', '500'), (1, 'mailServer', 'outgoing_messages_domain_limit', 'unlimited'), (1, 'mailServer', 'outgoing_messages_mbox_limit', 'unlimited'), (1, 'mailServer', 'outgoing_messages_enable_sendmail', 'true');",
  ];
  let mailId = 1000;
  for (const site of host.sites) {
    const clientId = 10 + site.subscriptionId;
    const plesk = `/var/www/vhosts/${site.domain}`;
    out.push(
      `INSERT INTO clients (id, login, type, parent_id, email, locale, guid, pname) VALUES (${clientId}, ${s(site.clientLogin)}, 'client', 1, ${s(`owner@${site.domain}`)}, 'en-US', 'g-${clientId}', ${s(`${site.clientLogin} Co.`)});`,
      `INSERT INTO domains (id, name, displayName, status, htype, cl_id, guid, webspace_id) VALUES (${site.domainId}, ${s(site.domain)}, ${s(site.domain)}, 0, 'vrt_hst', ${clientId}, 'd-${site.domainId}', 0);`,
      `INSERT INTO Subscriptions (id, object_id, object_type, uuid) VALUES (${site.subscriptionId}, ${site.domainId}, 'domain', 's-${site.subscriptionId}');`,
      `INSERT INTO sys_users (id, login, home) VALUES (${100 + site.subscriptionId}, ${s(site.user.login)}, ${s(plesk)});`,
      `INSERT INTO hosting (dom_id, sys_user_id, www_root, php_handler_id) VALUES (${site.domainId}, ${100 + site.subscriptionId}, ${s(`${plesk}/httpdocs`)}, 'plesk-php82-fpm');`,
      `INSERT INTO SubscriptionProperties (subscription_id, name, value) VALUES (${site.subscriptionId}, 'outgoing_messages_subscription_limit', '${site.limit}');`,
      `INSERT INTO mail (id, mail_name, dom_id) VALUES ${site.mailboxes.map((m) => `(${mailId++}, ${s(m)}, ${site.domainId})`).join(', ')};`,
    );
  }
  return `${out.join('\n')}\n`;
}
