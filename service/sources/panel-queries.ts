// The psa queries of panel-db.ts, each with its columns and the zod schema its
// rows must pass. Names are [V] from a psa dump (reference/plesk.md §1.3, §1.4, §3)
// unless marked. Portable SQL only (the simulator's sql.js backend runs the same
// text): no MySQL functions (the standard aggregates COUNT and SUM are fine), ORDER BY
// integers and DATETIMEs only (MariaDB and SQLite collate text differently),
// values only through sql`` (integers, DATETIMEs).
import { z } from 'zod';
import type { Level } from './panel-data.ts';
import { sqlDatetimeIn, sqlInt, sqlNullableInt, sqlNullableText, sqlText } from './mysql-batch.ts';
import type { PleskDbQuery } from './plesk-db.ts';
import { sql, type SqlText } from './sql-text.ts';

const query = <S extends z.ZodType>(label: string, text: SqlText, columns: readonly string[], schema: S): PleskDbQuery<S> => ({ label, sql: text, columns, schema });

export const owners = () =>
  query('owners', sql`SELECT id, login, type, parent_id, email, locale FROM clients ORDER BY id`,
    ['id', 'login', 'type', 'parentId', 'email', 'locale'],
    z.object({ id: sqlInt, login: sqlText, type: sqlText.pipe(z.enum(['admin', 'reseller', 'client'])), parentId: sqlNullableInt, email: sqlNullableText, locale: sqlNullableText }));

// Hosting subscriptions: Subscriptions.object_type = 'domain', object_id = the main domain [V/I].
// hosting/sys_users ids are selected to tell "no row" from a text that reads `NULL`.
export const subscriptions = () =>
  query('subscriptions',
    sql`SELECT s.id, d.id, d.name, d.cl_id, d.status, h.dom_id, h.www_root, h.php_handler_id, u.id, u.login, u.home
FROM Subscriptions s
JOIN domains d ON d.id = s.object_id
LEFT JOIN hosting h ON h.dom_id = d.id
LEFT JOIN sys_users u ON u.id = h.sys_user_id
WHERE s.object_type = 'domain'
ORDER BY s.id`,
    ['id', 'domainId', 'name', 'ownerId', 'status', 'hostingDomId', 'wwwRoot', 'phpHandler', 'sysUserId', 'login', 'home'],
    z.object({
      id: sqlInt, domainId: sqlInt, name: sqlText, ownerId: sqlInt, status: sqlInt,
      hostingDomId: sqlNullableInt, wwwRoot: sqlText, phpHandler: sqlText,
      sysUserId: sqlNullableInt, login: sqlText, home: sqlText,
    }));

export const domains = () =>
  query('domains',
    sql`SELECT d.id, d.name, d.webspace_id, h.dom_id, h.www_root FROM domains d LEFT JOIN hosting h ON h.dom_id = d.id ORDER BY d.id`,
    ['id', 'name', 'webspaceId', 'hostingDomId', 'wwwRoot'],
    z.object({ id: sqlInt, name: sqlText, webspaceId: sqlInt, hostingDomId: sqlNullableInt, wwwRoot: sqlText }));

// The address is built in TypeScript (no CONCAT: portability, and names stay out of SQL).
export const mailboxes = () =>
  query('mailboxes', sql`SELECT m.id, m.mail_name, m.dom_id FROM mail m ORDER BY m.id`,
    ['id', 'mailName', 'domainId'],
    z.object({ id: sqlInt, mailName: sqlText, domainId: sqlInt }));

export const serverSettings = () =>
  query('server mail settings',
    sql`SELECT serviceNodeId, name, value FROM ServiceNodeConfiguration
WHERE section = 'mailServer' AND name IN ('outgoing_messages_mbox_limit', 'outgoing_messages_domain_limit',
  'outgoing_messages_subscription_limit', 'outgoing_messages_enable_sendmail', 'outgoing_messages_filter_enabled')
ORDER BY serviceNodeId`,
    ['node', 'name', 'value'],
    z.object({ node: sqlInt, name: sqlText, value: sqlNullableText }));

// PlansSubscriptions (subscription_id, plan_id) links a subscription to its plans:
// the table is NOT in reference/plesk.md [I]; Templates.type tells the main plan
// from add-ons [I]. Main plans are listed first for each subscription.
export const planSettings = () =>
  query('plan mail settings',
    sql`SELECT ps.subscription_id, t.element, t.value, p.type
FROM PlansSubscriptions ps
JOIN TmplData t ON t.tmpl_id = ps.plan_id
LEFT JOIN Templates p ON p.id = ps.plan_id
WHERE t.element IN ('outgoing_messages_mbox_limit', 'outgoing_messages_domain_limit',
  'outgoing_messages_subscription_limit', 'outgoing_messages_enable_sendmail')
ORDER BY ps.subscription_id, ps.plan_id`,
    ['id', 'name', 'value', 'planType'],
    z.object({ id: sqlInt, name: sqlText, value: sqlNullableText, planType: sqlNullableText }));

export const subscriptionSettings = () =>
  query('subscription mail settings',
    sql`SELECT subscription_id, name, value FROM SubscriptionProperties
WHERE name IN ('outgoing_messages_mbox_limit', 'outgoing_messages_domain_limit',
  'outgoing_messages_subscription_limit', 'outgoing_messages_enable_sendmail')
ORDER BY subscription_id`,
    ['id', 'name', 'value'],
    z.object({ id: sqlInt, name: sqlText, value: sqlNullableText }));

// The three OMC levels: same columns, a different id column (§1.4 [V]).
export const LEVELS = [
  { level: 'subscription', statsTable: 'SubscriptionOutgoingMessagesStats', peaksTable: 'SubscriptionOutgoingMessagesPeaks',
    stats: sql`SubscriptionOutgoingMessagesStats`, peaks: sql`SubscriptionOutgoingMessagesPeaks`, id: sql`subscriptionId` },
  { level: 'domain', statsTable: 'DomainOutgoingMessagesStats', peaksTable: 'DomainOutgoingMessagesPeaks',
    stats: sql`DomainOutgoingMessagesStats`, peaks: sql`DomainOutgoingMessagesPeaks`, id: sql`domainId` },
  { level: 'mailbox', statsTable: 'MailOutgoingMessagesStats', peaksTable: 'MailOutgoingMessagesPeaks',
    stats: sql`MailOutgoingMessagesStats`, peaks: sql`MailOutgoingMessagesPeaks`, id: sql`mailId` },
] as const satisfies ReadonlyArray<{ level: Level; statsTable: string; peaksTable: string; stats: SqlText; peaks: SqlText; id: SqlText }>;
export type LevelTables = (typeof LEVELS)[number];

const statRow = (zone: string) =>
  z.object({ objectId: sqlInt, hour: sqlDatetimeIn(zone), limit: sqlInt, passed: sqlInt.pipe(z.number().nonnegative()), rejected: sqlInt.pipe(z.number().nonnegative()) });

/** Hourly rows with collectDate in [since, until] (all of them: millions on a large server; the timeline's reader streams them instead). */
export const stats = (l: LevelTables, since: SqlText, until: SqlText, zone: string) =>
  query(`${l.level} statistics`,
    sql`SELECT ${l.id}, collectDate, limitValue, passed, rejected FROM ${l.stats}
WHERE collectDate >= ${since} AND collectDate <= ${until} ORDER BY ${l.id}, collectDate`,
    ['objectId', 'hour', 'limit', 'passed', 'rejected'], statRow(zone));

/**
 * Per object over [since, until], in one pass over the table inside the
 * database (docs/decisions/011-omc-totals-in-sql.md): how many hourly rows,
 * their sums, the newest hour, the newest hour with rejects, and — when it was
 * collected from `recent` on — the newest row itself. That row travels as one
 * text, `collectDate|limitValue|passed|rejected`: collectDate leads at a fixed
 * width and is unique per object (psa's primary key is (object, collectDate)
 * [V: schema]), so the greatest text is the newest row. Joining the newest row
 * back by primary key instead made MariaDB 10.11 sort the 7 million rows in a
 * temporary table (1.3× the two scans it was meant to replace); this form stays
 * a plain scan of the primary key. MariaDB prints a SUM of integers without
 * decimals, as SQLite does; MAX of a DATETIME (or of a CASE yielding one or
 * NULL) is the DATETIME in both.
 */
export const statTotals = (l: LevelTables, since: SqlText, until: SqlText, recent: SqlText, zone: string) =>
  query(`${l.level} statistics totals`,
    sql`SELECT ${l.id}, COUNT(*), SUM(passed), SUM(rejected), MAX(collectDate), MAX(CASE WHEN rejected > 0 THEN collectDate END),
  MAX(CASE WHEN collectDate >= ${recent} THEN CONCAT(collectDate, '|', limitValue, '|', passed, '|', rejected) END)
FROM ${l.stats} WHERE collectDate >= ${since} AND collectDate <= ${until} GROUP BY ${l.id} ORDER BY ${l.id}`,
    ['objectId', 'rows', 'passed', 'rejected', 'last', 'lastRejected', 'newest'],
    z.object({
      objectId: sqlInt,
      rows: sqlInt.pipe(z.number().nonnegative()),
      passed: sqlInt.pipe(z.number().nonnegative()),
      rejected: sqlInt.pipe(z.number().nonnegative()),
      last: sqlDatetimeIn(zone),
      lastRejected: sqlDatetimeIn(zone).nullable(),
      newest: newestRow(zone),
    }).transform((t) => ({ ...t, newest: t.newest && { objectId: t.objectId, ...t.newest } })));

/** `collectDate|limitValue|passed|rejected` (statTotals) as the row's values. */
const newestRow = (zone: string) =>
  z.string().transform((v) => v.split('|')).pipe(z.tuple([sqlDatetimeIn(zone), sqlInt, sqlInt.pipe(z.number().nonnegative()), sqlInt.pipe(z.number().nonnegative())]))
    .transform(([hour, limit, passed, rejected]) => ({ hour, limit, passed, rejected })).nullable();

/** Over-limit periods overlapping [since, until]; endDate NULL = still over the limit [I]. */
export const peaks = (l: LevelTables, since: SqlText, until: SqlText, zone: string) =>
  query(`${l.level} peaks`,
    sql`SELECT ${l.id}, beginDate, endDate, rejected FROM ${l.peaks}
WHERE beginDate <= ${until} AND (endDate IS NULL OR endDate >= ${since}) ORDER BY ${l.id}, beginDate`,
    ['objectId', 'begin', 'end', 'rejected'],
    z.object({ objectId: sqlInt, begin: sqlDatetimeIn(zone), end: sqlDatetimeIn(zone).nullable(), rejected: sqlInt.pipe(z.number().nonnegative()) }));
