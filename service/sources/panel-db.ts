// Reads what sendtrace needs from Plesk's psa database through `plesk db`
// (reference/plesk.md §1.3, §1.4, §3; table and column names [V] from a psa dump).
// Queries are plain, portable SQL (SELECT/JOIN/WHERE/ORDER BY on integers) so the
// simulator's sql.js backend runs them unchanged; everything a user controls
// (names, addresses) stays out of SQL and is joined in TypeScript. All queries
// travel in one `plesk db` call (plesk-db.ts).
//
// The hourly OMC statistics are the bulk of psa (~720 rows an object a month [V];
// 7 million at 10,000 subscriptions): they are summed in SQL per object in one
// pass, and only a row of totals an object crosses the client
// (docs/decisions/011-omc-totals-in-sql.md).
import type { Config } from '../config.ts';
import { createError } from '../errors.ts';
import type { Domain, Level, LevelStats, Mailbox, PanelData, PeakRow, StatTotal, Subscription } from './panel-data.ts';
import { HOUR } from '../time.ts';
import { resolveLimits, resolveServerLimits, type OmcLayer } from './omc-limits.ts';
import * as q from './panel-queries.ts';
import { queryPleskDb, type PleskDbResult } from './plesk-db.ts';
import { sqlDatetime } from './sql-text.ts';

export type ReadPanelOptions = {
  since: number;
  until: number;
  /** An object's newest hourly row is read when collected from here on (default: since, always); older, it is null. */
  newestSince?: number;
  timeoutMs?: number;
};

// psa's DATETIMEs are wall-clock time: across a DST change an instant's wall
// clock can run behind an earlier one's by the shift (at most 2 h anywhere), so
// the SQL bound for the newest row is that much earlier and TypeScript cuts exactly.
const DST_MARGIN = 2 * HOUR;

/** Tables that an older Plesk may lack: a warning, not a failure (everything else must be there). */
const OPTIONAL = new Set<string>(['ServiceNodeConfiguration', 'PlansSubscriptions', 'TmplData', 'Templates', 'SubscriptionProperties', 'mail',
  ...q.LEVELS.flatMap((l) => [l.statsTable, l.peaksTable])]);

/** Rows of one query; a missing optional table is noted (one warning per table, naming what was not read). */
function rowsOf<T>(result: PleskDbResult<T>, warnings: string[], missing: Map<string, string[]>): T[] {
  warnings.push(...result.warnings);
  if (result.missingTable) {
    if (!OPTIONAL.has(result.missingTable)) throw createError('SENDTRACE_ERR_PANEL_DB', result.label, `table ${result.missingTable} does not exist`);
    missing.set(result.missingTable, [...(missing.get(result.missingTable) ?? []), result.label]);
  }
  return result.rows;
}

/** name → value per object id (the first row of an object wins: queries order by precedence). */
export function layersById(rows: Array<{ id: number; name: string; value: string | null }>): Map<number, Map<string, string | null>> {
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
export async function readPanel(config: Pick<Config, 'plesk' | 'timezone'>, opts: ReadPanelOptions): Promise<{ panel: PanelData; warnings: string[]; statsLastCollected: number | null }> {
  const zone = config.timezone;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const since = sqlDatetime(opts.since, zone);
  const until = sqlDatetime(opts.until, zone);
  const newestSince = Math.max(opts.newestSince ?? opts.since, opts.since);
  const recent = sqlDatetime(Math.max(opts.since, newestSince - DST_MARGIN), zone);
  const [subLevel, domainLevel, mailLevel] = q.LEVELS;
  const queries = [
    q.owners(), q.subscriptions(), q.domains(), q.mailboxes(), q.serverSettings(), q.planSettings(), q.subscriptionSettings(),
    q.statTotals(subLevel, since, until, recent, zone), q.peaks(subLevel, since, until, zone),
    q.statTotals(domainLevel, since, until, recent, zone), q.peaks(domainLevel, since, until, zone),
    q.statTotals(mailLevel, since, until, recent, zone), q.peaks(mailLevel, since, until, zone),
  ] as const;
  const r = await queryPleskDb(config, queries, { timeoutMs });
  const warnings: string[] = [];
  const missing = new Map<string, string[]>();
  const owners = rowsOf(r[0], warnings, missing);
  const subRows = rowsOf(r[1], warnings, missing);
  const domainRows = rowsOf(r[2], warnings, missing);
  const mailRows = rowsOf(r[3], warnings, missing);
  const serverRows = rowsOf(r[4], warnings, missing);
  const planRows = rowsOf(r[5], warnings, missing);
  const propRows = rowsOf(r[6], warnings, missing);
  // As of `until`: a peak that ended later was still open then.
  const asOfUntil = (rows: PeakRow[]) => rows.map((p) => (p.end !== null && p.end > opts.until ? { ...p, end: null } : p));
  const totalsOf = (rows: StatTotal[]) => rows.map((t) => (t.newest && t.newest.hour < newestSince ? { ...t, newest: null } : t));
  const stats: Record<Level, LevelStats> = {
    subscription: { totals: totalsOf(rowsOf(r[7], warnings, missing)) },
    domain: { totals: totalsOf(rowsOf(r[9], warnings, missing)) },
    mailbox: { totals: totalsOf(rowsOf(r[11], warnings, missing)) },
  };
  // The newest subscription hour of the window, for the sidecar's timeline.
  let statsLastCollected: number | null = null;
  for (const t of stats.subscription.totals) if (statsLastCollected === null || t.last > statsLastCollected) statsLastCollected = t.last;
  const peaks: Record<Level, PeakRow[]> = {
    subscription: asOfUntil(rowsOf(r[8], warnings, missing)),
    domain: asOfUntil(rowsOf(r[10], warnings, missing)),
    mailbox: asOfUntil(rowsOf(r[12], warnings, missing)),
  };
  for (const [table, labels] of missing) warnings.push(`psa table ${table} does not exist (older Plesk?): ${labels.join(', ')} not read`);

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
    statsLastCollected,
  };
}
