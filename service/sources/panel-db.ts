// Reads what sendtrace needs from Plesk's psa database through `plesk db`
// (reference/plesk.md §1.3, §1.4, §3; table and column names [V] from a psa dump).
// Queries are plain, portable SQL (SELECT/JOIN/WHERE/ORDER BY on integers) so the
// simulator's sql.js backend runs them unchanged; everything a user controls
// (names, addresses) stays out of SQL and is joined in TypeScript. All queries
// travel in one `plesk db` call (plesk-db.ts).
import type { Config } from '../config.ts';
import { createError } from '../errors.ts';
import type { Domain, Level, Mailbox, PanelData, PeakRow, StatRow, Subscription } from './panel-data.ts';
import { resolveLimits, resolveServerLimits, type OmcLayer } from './omc-limits.ts';
import * as q from './panel-queries.ts';
import { queryPleskDb, type PleskDbResult } from './plesk-db.ts';
import { sqlDatetime } from './sql-text.ts';

export type ReadPanelOptions = { since: number; until: number; timeoutMs?: number };

/** Tables that an older Plesk may lack: a warning, not a failure (everything else must be there). */
const OPTIONAL = new Set<string>(['ServiceNodeConfiguration', 'PlansSubscriptions', 'TmplData', 'Templates', 'SubscriptionProperties', 'mail',
  ...q.LEVELS.flatMap((l) => [l.statsTable, l.peaksTable])]);

/** Rows of one query; a missing optional table becomes a warning naming it. */
function rowsOf<T>(result: PleskDbResult<T>, warnings: string[]): T[] {
  warnings.push(...result.warnings);
  if (result.missingTable) {
    if (!OPTIONAL.has(result.missingTable)) throw createError('SENDTRACE_ERR_PANEL_DB', result.label, `table ${result.missingTable} does not exist`);
    warnings.push(`psa table ${result.missingTable} does not exist (older Plesk?): ${result.label} not read`);
  }
  return result.rows;
}

/** name → value per object id (the first row of an object wins: queries order by precedence). */
function layersById(rows: Array<{ id: number; name: string; value: string | null }>): Map<number, Map<string, string | null>> {
  const byId = new Map<number, Map<string, string | null>>();
  for (const r of rows) {
    const layer = byId.get(r.id) ?? new Map<string, string | null>();
    if (!layer.has(r.name)) layer.set(r.name, r.value);
    byId.set(r.id, layer);
  }
  return byId;
}

/**
 * Everything sendtrace reads from psa, as of `until`. A failing `plesk db` (exit
 * status, not found, timeout) throws SENDTRACE_ERR_PANEL_DB for the caller to
 * turn into a warning; a missing optional table is a warning here.
 */
export async function readPanel(config: Pick<Config, 'plesk' | 'timezone'>, opts: ReadPanelOptions): Promise<{ panel: PanelData; warnings: string[] }> {
  const zone = config.timezone;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const since = sqlDatetime(opts.since, zone);
  const until = sqlDatetime(opts.until, zone);
  const [subLevel, domainLevel, mailLevel] = q.LEVELS;
  const queries = [
    q.owners(), q.subscriptions(), q.domains(), q.mailboxes(), q.serverSettings(), q.planSettings(), q.subscriptionSettings(),
    q.stats(subLevel, since, until, zone), q.peaks(subLevel, since, until, zone),
    q.stats(domainLevel, since, until, zone), q.peaks(domainLevel, since, until, zone),
    q.stats(mailLevel, since, until, zone), q.peaks(mailLevel, since, until, zone),
  ] as const;
  const r = await queryPleskDb(config, queries, { timeoutMs });
  const warnings: string[] = [];
  const owners = rowsOf(r[0], warnings);
  const subRows = rowsOf(r[1], warnings);
  const domainRows = rowsOf(r[2], warnings);
  const mailRows = rowsOf(r[3], warnings);
  const serverRows = rowsOf(r[4], warnings);
  const planRows = rowsOf(r[5], warnings);
  const propRows = rowsOf(r[6], warnings);
  // As of `until`: a peak that ended later was still open then.
  const asOfUntil = (rows: PeakRow[]) => rows.map((p) => (p.end !== null && p.end > opts.until ? { ...p, end: null } : p));
  const stats: Record<Level, StatRow[]> = { subscription: rowsOf(r[7], warnings), domain: rowsOf(r[9], warnings), mailbox: rowsOf(r[11], warnings) };
  const peaks: Record<Level, PeakRow[]> = {
    subscription: asOfUntil(rowsOf(r[8], warnings)),
    domain: asOfUntil(rowsOf(r[10], warnings)),
    mailbox: asOfUntil(rowsOf(r[12], warnings)),
  };

  // Server settings of the first (local) service node [I: node 1 is the local one].
  const firstNode = serverRows[0]?.node;
  const server: OmcLayer = new Map(serverRows.filter((r) => r.node === firstNode).map((r) => [r.name, r.value]));
  // A subscription's main plan; add-on plans (Templates.type 'domain_addon') are not read for OMC [I].
  const plans = layersById(planRows.filter((r) => r.planType === null || r.planType === 'domain'));
  const props = layersById(propRows);

  const subscriptions: Subscription[] = subRows.map((r) => ({
    id: r.id,
    domainId: r.domainId,
    name: r.name,
    ownerId: r.ownerId,
    status: r.status,
    sysUser: r.sysUserId === null ? null : { login: r.login, home: r.home },
    wwwRoot: r.hostingDomId === null ? null : r.wwwRoot,
    phpHandler: r.hostingDomId === null ? null : r.phpHandler,
    limits: resolveLimits(
      [
        { what: `subscription ${r.id} (${r.name})`, values: props.get(r.id) },
        { what: `the service plan of subscription ${r.id} (${r.name})`, values: plans.get(r.id) },
        { what: 'the server', values: server },
      ],
      warnings,
    ),
  }));

  // domains.webspace_id = 0: the domain is a subscription's main domain; otherwise it
  // belongs to the subscription whose main domain has id = webspace_id [I].
  const subscriptionOfMainDomain = new Map(subscriptions.map((s) => [s.domainId, s.id]));
  const domains: Domain[] = [];
  let orphanDomains = 0;
  for (const d of domainRows) {
    const subscriptionId = subscriptionOfMainDomain.get(d.webspaceId === 0 ? d.id : d.webspaceId);
    if (subscriptionId === undefined) orphanDomains++;
    else domains.push({ id: d.id, name: d.name, subscriptionId, wwwRoot: d.hostingDomId === null ? null : d.wwwRoot });
  }
  if (orphanDomains) warnings.push(`psa: ${orphanDomains} domain(s) belong to no hosting subscription and were left out, with their mailboxes`);

  const domainById = new Map(domains.map((d) => [d.id, d]));
  const mailboxes: Mailbox[] = [];
  for (const m of mailRows) {
    const domain = domainById.get(m.domainId);
    if (domain) mailboxes.push({ id: m.id, address: `${m.mailName}@${domain.name}`, domainId: domain.id, subscriptionId: domain.subscriptionId });
  }

  const serverLimits = resolveServerLimits(server, warnings);
  return {
    panel: { serverLimits, owners, subscriptions, domains, mailboxes, stats, peaks },
    warnings: [...new Set(warnings)],
  };
}
