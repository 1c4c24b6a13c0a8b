// When psa cannot be read, the subscriptions can still be found on disk: each
// home under the vhosts root owned by the system user whose passwd home it is
// (Plesk's layout: /var/www/vhosts/<domain>, owned by the subscription's user
// [V: reference/plesk.md §3.3 sys_users.home]). Ids are positional, not Plesk's.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, isErrno } from '../errors.ts';
import type { PanelData } from './panel-data.ts';
import type { Passwd } from './passwd.ts';

// Folders Plesk keeps under the vhosts root that are not subscriptions.
const NOT_SUBSCRIPTIONS = new Set(['system', 'default', 'chroot', 'fs', 'fs-passwd', '.skel']);

export async function inferPanel(vhostsRoot: string, passwd: Passwd): Promise<{ panel: PanelData; warnings: string[] }> {
  const panel: PanelData = {
    serverLimits: { subscription: null, domain: null, mailbox: null, enableSendmail: null, filterEnabled: null },
    owners: [{ id: 0, login: 'unknown', type: 'client', parentId: null, email: null, locale: null }],
    subscriptions: [], domains: [], mailboxes: [],
    stats: { subscription: { totals: [] }, domain: { totals: [] }, mailbox: { totals: [] } },
    peaks: { subscription: [], domain: [], mailbox: [] },
  };
  let names: string[];
  try {
    names = (await readdir(vhostsRoot)).sort();
  } catch (err) {
    return { panel, warnings: [`cannot list ${vhostsRoot} to find subscriptions: ${describeError(err)}`] };
  }
  for (const name of names) {
    if (NOT_SUBSCRIPTIONS.has(name) || name.startsWith('.')) continue;
    const home = join(vhostsRoot, name);
    let st;
    try {
      st = await stat(home);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) continue;
      throw err;
    }
    const user = passwd.byUid.get(st.uid);
    if (!st.isDirectory() || !user || st.uid === 0) continue;
    const id = panel.subscriptions.length + 1;
    panel.subscriptions.push({
      id, domainId: id, name, ownerId: 0, status: 0,
      sysUser: { login: user.login, home },
      wwwRoot: join(home, 'httpdocs'), phpHandler: null,
      limits: { subscription: null, domain: null, mailbox: null, enableSendmail: null },
    });
  }
  return { panel, warnings: [`subscriptions were inferred from ${vhostsRoot} and the passwd file (${panel.subscriptions.length} found); their ids are not Plesk's and OMC limits are unknown`] };
}
