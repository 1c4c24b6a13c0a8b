// Who a live event belongs to: UID, SMTP-AUTH mailbox, script path, vhost or
// sender domain → subscription, from the panel data (psa) and /etc/passwd the
// watcher reloads every few minutes; plus what notifications and the limit
// projection need (owner address and language, the subscription's OMC limit).
// Pure: data in, lookups out.
import { sep } from 'node:path';
import type { Owner, PanelData } from '../sources/panel-data.ts';
import type { Passwd } from '../sources/passwd.ts';
import { localPath } from '../sources/vhost-paths.ts';

export type LiveSubscription = {
  id: number;
  name: string;
  ownerId: number;
  home: string | null;          // on this filesystem
  uid: number | null;           // of its system user
  /** Effective OMC subscription limit, messages per hour; -1 unlimited, null unknown [V plesk.md §1.1]. */
  limit: number | null;
};

export type LiveDirectory = {
  subscriptions: ReadonlyMap<number, LiveSubscription>;
  owners: ReadonlyMap<number, Pick<Owner, 'id' | 'login' | 'type' | 'email' | 'locale'>>;
  /** The server administrator's address (psa's admin client), null when psa has none. */
  adminEmail: string | null;
  adminLocale: string | null;
  byUid(uid: number): number | null;
  byMailbox(address: string): number | null;
  byDomain(domain: string): number | null;
  byPath(path: string): number | null;
};

export type DirectoryInput = {
  owners: PanelData['owners'];
  subscriptions: Array<Pick<PanelData['subscriptions'][number], 'id' | 'name' | 'ownerId' | 'sysUser'> & { limits: { subscription: number | null } }>;
  domains: Array<Pick<PanelData['domains'][number], 'name' | 'subscriptionId'>>;
  mailboxes: Array<Pick<PanelData['mailboxes'][number], 'address' | 'subscriptionId'>>;
};

export function buildDirectory(panel: DirectoryInput, passwd: Passwd, vhostsRoot: string): LiveDirectory {
  const subscriptions = new Map<number, LiveSubscription>();
  const uids = new Map<number, number>();
  const homes: Array<[string, number]> = [];
  for (const s of panel.subscriptions) {
    const home = s.sysUser && s.sysUser.home.startsWith('/') ? localPath(s.sysUser.home, vhostsRoot).replace(/\/+$/, '') : null;
    const uid = s.sysUser ? passwd.byLogin.get(s.sysUser.login)?.uid ?? null : null;
    subscriptions.set(s.id, { id: s.id, name: s.name, ownerId: s.ownerId, home, uid, limit: s.limits.subscription });
    // A UID shared by two subscriptions says nothing about which one sent: left unmapped.
    if (uid !== null) uids.set(uid, uids.has(uid) ? -1 : s.id);
    if (home) homes.push([home + sep, s.id]);
  }
  homes.sort((a, b) => b[0].length - a[0].length);
  const domains = new Map(panel.domains.map((d) => [d.name.toLowerCase(), d.subscriptionId]));
  const mailboxes = new Map(panel.mailboxes.map((m) => [m.address.toLowerCase(), m.subscriptionId]));
  const owners = new Map(panel.owners.map((o) => [o.id, { id: o.id, login: o.login, type: o.type, email: o.email, locale: o.locale }]));
  const admin = panel.owners.find((o) => o.type === 'admin' && o.email);
  const vhostsPrefix = vhostsRoot.replace(/\/+$/, '') + sep;
  return {
    subscriptions,
    owners,
    adminEmail: admin?.email ?? null,
    adminLocale: admin?.locale ?? null,
    byUid: (uid) => {
      const id = uids.get(uid);
      return id === undefined || id === -1 ? null : id;
    },
    byMailbox: (address) => mailboxes.get(address.toLowerCase()) ?? null,
    byDomain: (domain) => domains.get(domain.toLowerCase()) ?? null,
    byPath(path) {
      for (const [prefix, id] of homes) if (path.startsWith(prefix)) return id;
      // A path under <vhosts>/<domain>/ of a domain without a known home.
      if (path.startsWith(vhostsPrefix)) {
        const name = path.slice(vhostsPrefix.length).split(sep, 1)[0]!;
        return domains.get(name.toLowerCase()) ?? null;
      }
      return null;
    },
  };
}

export const EMPTY_DIRECTORY: LiveDirectory = buildDirectory({ owners: [], subscriptions: [], domains: [], mailboxes: [] }, { byUid: new Map(), byLogin: new Map() }, '/var/www/vhosts');
