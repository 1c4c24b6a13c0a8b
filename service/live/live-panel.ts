// psa and /etc/passwd as the live watcher needs them, reloaded every few
// minutes: owners (address, language), subscriptions with their system user
// and effective OMC subscription limit (server → plan → subscription,
// omc-limits.ts), domains and mailboxes — in one `plesk db` call and without
// any statistics query (psa's statistics tables are keyed by (object, hour)
// [V reference/plesk.md §1.4]: a question by date alone scans them all).
import type { Config } from '../config.ts';
import { createError } from '../errors.ts';
import { resolveLimits, type OmcLayer } from '../sources/omc-limits.ts';
import * as q from '../sources/panel-queries.ts';
import { readPasswd, type Passwd } from '../sources/passwd.ts';
import { queryPleskDb } from '../sources/plesk-db.ts';
import { layersById } from '../sources/panel-db.ts';
import type { DirectoryInput } from './directory.ts';

/** What the directory is built from (directory.ts buildDirectory): plain data, so that the sidecar reads it in its psa thread (http/cache/psa-thread.ts). */
export async function readLiveDirectoryParts(config: Pick<Config, 'plesk' | 'passwdFile'>): Promise<{ input: DirectoryInput; passwd: Passwd; warnings: string[] }> {
  const r = await queryPleskDb(config, [q.owners(), q.subscriptions(), q.domains(), q.mailboxes(), q.serverSettings(), q.planSettings(), q.subscriptionSettings()] as const, { timeoutMs: 60_000 });
  const warnings = r.flatMap((x) => x.warnings);
  for (const x of r.slice(0, 3)) if (x.missingTable) throw createError('SENDTRACE_ERR_PANEL_DB', x.label, `table ${x.missingTable} does not exist`);
  for (const x of r.slice(3)) if (x.missingTable) warnings.push(`psa table ${x.missingTable} does not exist (older Plesk?): ${x.label} not read`);
  const firstNode = r[4].rows[0]?.node;
  const server: OmcLayer = new Map(r[4].rows.filter((x) => x.node === firstNode).map((x) => [x.name, x.value]));
  const plans = layersById(r[5].rows.filter((x) => x.planType === null || x.planType === 'domain'));
  const props = layersById(r[6].rows);
  const subscriptions = r[1].rows.map((s) => ({
    id: s.id, name: s.name, ownerId: s.ownerId, domainId: s.domainId,
    sysUser: s.sysUserId === null ? null : { login: s.login, home: s.home },
    limits: resolveLimits([{ what: `subscription ${s.id}`, values: props.get(s.id) }, { what: `the plan of subscription ${s.id}`, values: plans.get(s.id) }, { what: 'the server', values: server }], warnings),
  }));
  const ofMainDomain = new Map(subscriptions.map((s) => [s.domainId, s.id]));
  const domains: Array<{ id: number; name: string; subscriptionId: number }> = [];
  for (const d of r[2].rows) {
    const subscriptionId = ofMainDomain.get(d.webspaceId === 0 ? d.id : d.webspaceId);
    if (subscriptionId !== undefined) domains.push({ id: d.id, name: d.name, subscriptionId });
  }
  const byId = new Map(domains.map((d) => [d.id, d]));
  const mailboxes: Array<{ address: string; subscriptionId: number }> = [];
  for (const m of r[3].rows) {
    const d = byId.get(m.domainId);
    if (d) mailboxes.push({ address: `${m.mailName}@${d.name}`, subscriptionId: d.subscriptionId });
  }
  const passwd = await readPasswd(config.passwdFile);
  return { input: { owners: r[0].rows, subscriptions, domains, mailboxes }, passwd: passwd.passwd, warnings: [...new Set([...warnings, ...passwd.warnings])] };
}
