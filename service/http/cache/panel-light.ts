// psa as the sidecar needs it between diagnoses: owners, subscriptions (with
// their system user's home), domains and mailboxes (to name the objects of a
// peak) — with the very queries readPanel uses (panel-queries.ts), in one
// `plesk db` call, and none of its statistics queries: psa's statistics tables
// are keyed by (object, hour) [V reference/plesk.md §1.4], so any question by
// date alone scans millions of rows. The domain → subscription mapping is
// readPanel's (domains.webspace_id, [I]).
import type { Config } from '../../config.ts';
import { createError } from '../../errors.ts';
import * as q from '../../sources/panel-queries.ts';
import type { Level, PanelData, StatRow } from '../../sources/panel-data.ts';
import { queryPleskDb } from '../../sources/plesk-db.ts';

/** The parts of PanelData the snapshot reads, and optionally every hourly row of the window (tests: the timeline without psa). */
export type PanelView = {
  owners: PanelData['owners'];
  subscriptions: Array<{ id: number; name: string; ownerId: number; sysUser: { login: string; home: string } | null }>;
  domains: Array<{ id: number; name: string; subscriptionId: number }>;
  mailboxes: Array<{ id: number; address: string; subscriptionId: number }>;
  peaks: PanelData['peaks'];
  stats?: Record<Level, StatRow[]>;
};

export async function readPanelLight(config: Pick<Config, 'plesk'>): Promise<{ panel: PanelView; warnings: string[] }> {
  const r = await queryPleskDb(config, [q.owners(), q.subscriptions(), q.domains(), q.mailboxes()] as const, { timeoutMs: 60_000 });
  const warnings = r.flatMap((x) => x.warnings);
  for (const x of r.slice(0, 3)) if (x.missingTable) throw createError('SENDTRACE_ERR_PANEL_DB', x.label, `table ${x.missingTable} does not exist`);
  const subscriptions = r[1].rows.map((s) => ({ id: s.id, name: s.name, ownerId: s.ownerId, domainId: s.domainId, sysUser: s.sysUserId === null ? null : { login: s.login, home: s.home } }));
  const ofMainDomain = new Map(subscriptions.map((s) => [s.domainId, s.id]));
  const domains: PanelView['domains'] = [];
  for (const d of r[2].rows) {
    const subscriptionId = ofMainDomain.get(d.webspaceId === 0 ? d.id : d.webspaceId);
    if (subscriptionId !== undefined) domains.push({ id: d.id, name: d.name, subscriptionId });
  }
  const byId = new Map(domains.map((d) => [d.id, d]));
  const mailboxes: PanelView['mailboxes'] = [];
  for (const m of r[3].rows) {
    const d = byId.get(m.domainId);
    if (d) mailboxes.push({ id: m.id, address: `${m.mailName}@${d.name}`, subscriptionId: d.subscriptionId });
  }
  return { panel: { owners: r[0].rows, subscriptions, domains, mailboxes, peaks: { subscription: [], domain: [], mailbox: [] } }, warnings };
}
