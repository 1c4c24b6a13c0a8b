// readPanel against a real MariaDB loaded with the psa schema (through the plesk
// simulator, the product's own `plesk db` path), and the same reads on the
// simulator's sql.js backend.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendtraceError } from '../../service/errors.ts';
import { readPanel, type ReadPanelOptions } from '../../service/sources/panel-db.ts';
import { runCommand } from '../../service/sources/run-command.ts';
import { parseIsoInstant, parseSqlDatetime } from '../../service/time.ts';
import { schemaPath, startMariadb, type Mariadb } from '../helpers/mariadb.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';
import { HOSTILE, writeTestData } from '../helpers/psa-data.ts';

const zone = 'Asia/Tokyo';
const at = (iso: string) => parseIsoInstant(iso, zone)!;
const tokyo = (sqlDatetime: string) => parseSqlDatetime(sqlDatetime, zone)!;
const window = { since: at('2022-02-03T00:00:00+09:00'), until: at('2022-02-03T23:30:00+09:00') };

let dir: string;
let dataPath: string;
let db: Mariadb;
let onMariadb: PleskSim;
let onSqlite: PleskSim;
let record: string;
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-panel-db-test-'));
  dataPath = await writeTestData(dir);
  db = await startMariadb();
  await db.loadFile(dataPath);
  record = join(dir, 'calls.jsonl');
  onMariadb = await makePleskSim({ socket: db.socket, record });
  onSqlite = await makePleskSim({ sqlite: dataPath });
});
after(async () => {
  await Promise.all([db?.stop(), onMariadb?.remove(), onSqlite?.remove(), ...cleanups.map((c) => c())]);
  await rm(dir, { recursive: true, force: true });
});

const read = (plesk: string, opts: ReadPanelOptions = window) => readPanel({ plesk, timezone: zone }, opts);

async function assertPanelDbError(promise: Promise<unknown>, pattern: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SendtraceError, String(err));
    assert.equal(err.code, 'SENDTRACE_ERR_PANEL_DB');
    assert.match(err.message, pattern);
    return true;
  });
}

describe('readPanel on MariaDB', () => {
  it('reads owners with their type and parent', async () => {
    const { panel } = await read(onMariadb.path);
    const byLogin = new Map(panel.owners.map((o) => [o.login, o]));
    assert.deepEqual(byLogin.get('admin'), { id: 1, login: 'admin', type: 'admin', parentId: null, email: 'admin@host.example', locale: 'en-US' });
    assert.equal(byLogin.get('reseller2')?.type, 'reseller');
    assert.equal(byLogin.get('reseller2')?.email, null);
    assert.equal(byLogin.get('easytone')?.parentId, byLogin.get('reseller1')?.id);
    assert.equal(byLogin.get('bcorp')?.parentId, byLogin.get('reseller2')?.id);
  });

  it('reads hosting subscriptions only, with main domain, owner, status, hosting and system user', async () => {
    const { panel } = await read(onMariadb.path);
    assert.deepEqual(panel.subscriptions.map((s) => s.name).slice(0, 3), ['easytone.example', 'b-site.example', 'direct.example']);
    assert.ok(!panel.subscriptions.some((s) => s.id === 4), 'a reseller subscription (object_type client) is not hosting');
    const [easytone, , direct] = panel.subscriptions;
    assert.deepEqual({ ...easytone, limits: undefined }, {
      id: 1, domainId: 10, name: 'easytone.example', ownerId: 4, status: 0,
      sysUser: { login: 'easytone', home: '/var/www/vhosts/easytone.example' },
      wwwRoot: '/var/www/vhosts/easytone.example/httpdocs', phpHandler: 'plesk-php82-fpm', limits: undefined,
    });
    // A forwarding-only subscription has no hosting row: unknown, not empty strings.
    assert.deepEqual([direct?.status, direct?.sysUser, direct?.wwwRoot, direct?.phpHandler], [16, null, null, null]);
  });

  it('puts additional domains in the subscription of their main domain, and warns about strays', async () => {
    const { panel, warnings } = await read(onMariadb.path);
    const sub = new Map(panel.domains.map((d) => [d.name, d.subscriptionId]));
    assert.equal(sub.get('easytone-shop.example'), 1);
    assert.equal(sub.get('b-second.example'), 2);
    assert.equal(sub.get('b-site.example'), 2);
    assert.equal(sub.has('stray.example'), false);
    assert.equal(panel.domains.find((d) => d.name === 'easytone-shop.example')?.wwwRoot, '/var/www/vhosts/easytone.example/easytone-shop.example');
    assert.ok(warnings.some((w) => /1 domain\(s\) belong to no hosting subscription/.test(w)), warnings.join('\n'));
  });

  it('builds mailbox addresses from mail_name and the domain, with the subscription', async () => {
    const { panel } = await read(onMariadb.path);
    const mailbox = new Map(panel.mailboxes.map((m) => [m.address, m]));
    assert.deepEqual(mailbox.get('info@easytone-shop.example'), { id: 1002, address: 'info@easytone-shop.example', domainId: 11, subscriptionId: 1 });
    assert.equal(mailbox.get('admin@b-site.example')?.subscriptionId, 2);
    assert.ok(![...mailbox.keys()].some((a) => a.startsWith('lost@')), 'a mailbox of a stray domain is left out');
  });

  it('resolves OMC limits: subscription over plan over server, default inherits, -1 and unlimited are unlimited', async () => {
    const { panel, warnings } = await read(onMariadb.path);
    const limits = new Map(panel.subscriptions.map((s) => [s.id, s.limits]));
    // 1: own subscription limit 500; domain from plan 50 (200); add-on plan's 9999 ignored; mailbox and sendmail from the server.
    assert.deepEqual(limits.get(1), { subscription: 500, domain: 200, mailbox: 10, enableSendmail: true });
    // 2: 'default' → plan 51 says -1; mailbox 'unlimited' in the plan; sendmail switched off on the subscription.
    assert.deepEqual(limits.get(2), { subscription: -1, domain: 50, mailbox: -1, enableSendmail: false });
    // 3: an unreadable value ('lots') falls back to the server and is reported.
    assert.deepEqual(limits.get(3), { subscription: 100, domain: 50, mailbox: 10, enableSendmail: true });
    assert.ok(warnings.some((w) => /subscription 3 \(direct\.example\).*"lots"/.test(w)), warnings.join('\n'));
    assert.deepEqual(panel.serverLimits, { subscription: 100, domain: 50, mailbox: 10, enableSendmail: true, filterEnabled: true });
  });

  it('reads hourly statistics of all three levels inside the window only, summed per object in SQL, with the newest row', async () => {
    const { panel } = await read(onMariadb.path);
    // Subscription 1's row of Feb 2 and the one after the window are not counted.
    const newest = (objectId: number, hour: string, limit: number, passed: number, rejected: number) => ({ objectId, hour: tokyo(hour), limit, passed, rejected });
    assert.deepEqual(panel.stats.subscription.totals, [
      { objectId: 1, rows: 3, passed: 1500, rejected: 57600, last: tokyo('2022-02-03 22:00:00'), lastRejected: tokyo('2022-02-03 22:00:00'), newest: newest(1, '2022-02-03 22:00:00', 500, 500, 18000) },
      { objectId: 2, rows: 1, passed: 12, rejected: 0, last: tokyo('2022-02-03 21:00:00'), lastRejected: null, newest: newest(2, '2022-02-03 21:00:00', -1, 12, 0) },
    ]);
    assert.deepEqual(panel.stats.domain.totals.map((t) => [t.objectId, t.rows, t.passed, t.rejected, t.lastRejected]), [[10, 1, 3, 0, null], [20, 1, 12, 0, null]]);
    assert.deepEqual(panel.stats.mailbox.totals.map((t) => [t.objectId, t.passed, t.rejected, t.lastRejected, t.newest?.rejected]), [[1000, 2, 0, null, 0], [1003, 10, 4, tokyo('2022-02-03 21:00:00'), 4]]);
  });

  it('takes the newest row and the newest hour with rejects inside the window, not after it', async () => {
    const { panel } = await read(onMariadb.path, { ...window, until: at('2022-02-03T21:30:00+09:00') });
    const sub1 = panel.stats.subscription.totals.find((t) => t.objectId === 1)!;
    assert.deepEqual([sub1.rows, sub1.rejected, sub1.last, sub1.lastRejected, sub1.newest?.hour, sub1.newest?.rejected],
      [2, 39600, tokyo('2022-02-03 21:00:00'), tokyo('2022-02-03 21:00:00'), tokyo('2022-02-03 21:00:00'), 20100]);
  });

  it('with newestSince, gives the newest row only when collected from then on; totals and the newest hours stay', async () => {
    const full = await read(onMariadb.path);
    const { panel } = await read(onMariadb.path, { ...window, newestSince: tokyo('2022-02-03 21:30:00') });
    // Subscription 1's newest row (22:00) is recent; subscription 2's (21:00) is not.
    assert.deepEqual(panel.stats.subscription.totals.map((t) => [t.objectId, t.newest?.hour ?? null]), [[1, tokyo('2022-02-03 22:00:00')], [2, null]]);
    for (const level of ['subscription', 'domain', 'mailbox'] as const) {
      assert.deepEqual(panel.stats[level].totals.map(({ newest: _, ...t }) => t), full.panel.stats[level].totals.map(({ newest: _, ...t }) => t));
    }
    // A row collected exactly at newestSince is read.
    const at21 = await read(onMariadb.path, { ...window, newestSince: tokyo('2022-02-03 21:00:00') });
    assert.deepEqual(at21.panel.stats.subscription.totals.map((t) => t.newest?.hour ?? null), [tokyo('2022-02-03 22:00:00'), tokyo('2022-02-03 21:00:00')]);
  });

  it('gives the newest subscription hour of the window from the same totals (the sidecar\'s timeline)', async () => {
    const full = await read(onMariadb.path);
    const newest = Math.max(...full.panel.stats.subscription.totals.map((t) => t.last));
    assert.ok(newest <= window.until && newest >= window.since);
    assert.equal(full.statsLastCollected, newest);
    const none = await read(onMariadb.path, { since: at('2022-01-01T00:00:00+09:00'), until: at('2022-01-02T00:00:00+09:00') });
    assert.equal(none.statsLastCollected, null, 'no row in the window');
  });

  it('converts DATETIMEs with the configured time zone', async () => {
    const { panel } = await readPanel({ plesk: onMariadb.path, timezone: 'UTC' }, {
      since: Date.UTC(2022, 1, 3, 0), until: Date.UTC(2022, 1, 3, 23, 30),
    });
    const sub1 = panel.stats.subscription.totals.find((t) => t.objectId === 1)!;
    assert.deepEqual([sub1.rows, sub1.newest?.hour, sub1.lastRejected], [3, Date.UTC(2022, 1, 3, 22), Date.UTC(2022, 1, 3, 22)]);
  });

  it('reads peaks overlapping the window; one that ended after the window is still open as of its end', async () => {
    const { panel } = await read(onMariadb.path);
    assert.deepEqual(panel.peaks.subscription, [
      { objectId: 1, begin: tokyo('2022-02-02 23:00:00'), end: null, rejected: 154149 },
      { objectId: 2, begin: tokyo('2022-02-03 23:00:00'), end: null, rejected: 40 },
    ]);
    assert.deepEqual(panel.peaks.mailbox, [{ objectId: 1003, begin: tokyo('2022-02-03 21:00:00'), end: tokyo('2022-02-03 22:00:00'), rejected: 4 }]);
    const later = await read(onMariadb.path, { since: window.since, until: at('2022-02-04T12:00:00+09:00') });
    assert.equal(later.panel.peaks.subscription.find((p) => p.objectId === 2)?.end, tokyo('2022-02-04 02:00:00'));
  });

  it('returns hostile names intact: quotes, backslashes, tabs, newlines, CR, SQL, the text NULL', async () => {
    const { panel, warnings } = await read(onMariadb.path);
    const sub = panel.subscriptions.find((s) => s.id === 7);
    assert.equal(sub?.name, HOSTILE.domain);
    assert.deepEqual(sub?.sysUser, { login: HOSTILE.sysUserLogin, home: HOSTILE.sysUserHome });
    assert.equal(sub?.wwwRoot, HOSTILE.wwwRoot);
    assert.equal(sub?.phpHandler, 'NULL');
    assert.equal(panel.owners.find((o) => o.id === 7)?.login, HOSTILE.clientLogin);
    assert.equal(panel.domains.find((d) => d.id === 71)?.name, 'NULL');
    assert.deepEqual(
      panel.mailboxes.filter((m) => m.subscriptionId === 7).map((m) => m.address),
      HOSTILE.mailNames.map((name, i) => `${name}@${i % 2 ? 'NULL' : HOSTILE.domain}`),
    );
    assert.ok(warnings.some((w) => w.includes(JSON.stringify(HOSTILE.limitValue))), 'the hostile limit value is reported, not used');
    assert.equal(sub?.limits.subscription, 100);
    // And nothing was executed: the tables the payloads name are all still there.
    assert.equal(await db.exec('SELECT COUNT(*) FROM clients; SELECT COUNT(*) FROM Subscriptions; SELECT COUNT(*) FROM mail'), '7\n5\n10\n');
  });

  it('reads a NUL byte in a name (MariaDB only: sql.js cannot store one)', async () => {
    await db.exec("INSERT INTO mail (id, mail_name, dom_id) VALUES (1800, 'nul\\0byte', 10)");
    try {
      const { panel } = await read(onMariadb.path);
      assert.equal(panel.mailboxes.find((m) => m.id === 1800)?.address, 'nul\0byte@easytone.example');
    } finally {
      await db.exec('DELETE FROM mail WHERE id = 1800');
    }
  });
});

describe('readPanel on the sql.js backend', () => {
  it('gives the same result as on MariaDB', async () => {
    const [m, s] = await Promise.all([read(onMariadb.path), read(onSqlite.path)]);
    assert.ok(m.panel.subscriptions.length >= 4 && m.panel.stats.subscription.totals.length >= 2 && m.panel.stats.mailbox.totals.length >= 2);
    assert.deepEqual(s, m);
  });

  it('gives the same totals, newest rows and newest rejected hours as on MariaDB for a narrower window', async () => {
    const opts = { ...window, until: at('2022-02-03T21:30:00+09:00'), newestSince: at('2022-02-03T21:00:00+09:00') };
    const [m, s] = await Promise.all([read(onMariadb.path, opts), read(onSqlite.path, opts)]);
    assert.ok(m.panel.stats.subscription.totals.some((t) => t.lastRejected !== null));
    assert.deepEqual(s, m);
  });

  it('prints the same bytes as MariaDB for every query readPanel issues', async () => {
    await writeFile(record, '');
    await read(onMariadb.path);
    const calls = (await readFile(record, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as string[]);
    assert.ok(calls.length >= 1);
    for (const args of calls) {
      assert.deepEqual(args.slice(0, 5), ['db', '-N', '-B', '-e', args[4]]);
      const [a, b] = await Promise.all([runCommand([onMariadb.path, ...args]), runCommand([onSqlite.path, ...args])]);
      assert.equal(a.code, 0, a.stderr);
      assert.ok(a.stdout.split('\n').length > 40, 'the batch returns the data');
      assert.deepEqual(b, a);
    }
  });
});

describe('readPanel when plesk db fails', () => {
  it('gives SENDTRACE_ERR_PANEL_DB with the client error when the database is unreachable', async () => {
    const nowhere = await makePleskSim({ socket: join(dir, 'no-such.sock') });
    cleanups.push(nowhere.remove);
    await assertPanelDbError(read(nowhere.path), /ERROR 2002 .*Can't connect/);
  });

  it('gives SENDTRACE_ERR_PANEL_DB when the plesk command does not exist', async () => {
    await assertPanelDbError(read(join(dir, 'no-such-plesk')), /ENOENT/);
  });

  it('gives SENDTRACE_ERR_PANEL_DB when plesk db hangs, after the timeout', async () => {
    const hang = join(dir, 'hanging-plesk');
    await writeFile(hang, '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
    const started = Date.now();
    await assertPanelDbError(readPanel({ plesk: hang, timezone: zone }, { ...window, timeoutMs: 500 }), /did not finish within 500 ms/);
    assert.ok(Date.now() - started < 5000);
  });

  it('names the exit status when plesk fails without a message', async () => {
    const failing = join(dir, 'failing-plesk');
    await writeFile(failing, '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    await assertPanelDbError(read(failing), /exit code 3/);
  });
});

describe('readPanel on an older Plesk without some tables', () => {
  it('warns about each missing statistics table and reads everything else (MariaDB)', async () => {
    await db.exec('RENAME TABLE SubscriptionOutgoingMessagesStats TO hidden_stats, MailOutgoingMessagesPeaks TO hidden_peaks');
    try {
      const { panel, warnings } = await read(onMariadb.path);
      assert.ok(warnings.some((w) => /SubscriptionOutgoingMessagesStats does not exist.*subscription statistics/.test(w)), warnings.join('\n'));
      assert.ok(warnings.some((w) => /MailOutgoingMessagesPeaks does not exist.*mailbox peaks/.test(w)), warnings.join('\n'));
      assert.deepEqual([panel.stats.subscription, panel.peaks.mailbox], [{ totals: [] }, []]);
      assert.equal(warnings.filter((w) => w.includes('SubscriptionOutgoingMessagesStats')).length, 1, 'one warning per missing table');
      // Queries after each missing table still ran.
      assert.equal(panel.peaks.subscription.length, 2);
      assert.equal(panel.stats.mailbox.totals.length, 2);
      assert.equal(panel.subscriptions.length, 4);
    } finally {
      await db.exec('RENAME TABLE hidden_stats TO SubscriptionOutgoingMessagesStats, hidden_peaks TO MailOutgoingMessagesPeaks');
    }
  });

  it('warns the same way on the sql.js backend', async () => {
    const schema = (await readFile(schemaPath, 'utf8')).replace(/CREATE TABLE DomainOutgoingMessagesStats \([^;]*\);/, '');
    const schemaFile = join(dir, 'old-schema.sql');
    const dataFile = join(dir, 'old-data.sql');
    await writeFile(schemaFile, schema);
    await writeFile(dataFile, (await readFile(dataPath, 'utf8')).replace(/INSERT INTO DomainOutgoingMessagesStats[^;]*;/, ''));
    const old = await makePleskSim({ sqlite: dataFile, schema: schemaFile });
    cleanups.push(old.remove);
    const { panel, warnings } = await read(old.path);
    assert.ok(warnings.some((w) => /DomainOutgoingMessagesStats does not exist/.test(w)), warnings.join('\n'));
    assert.deepEqual(panel.stats.domain, { totals: [] });
    assert.equal(panel.stats.subscription.totals.length, 2);
  });

  it('fails with SENDTRACE_ERR_PANEL_DB when a table it cannot do without is missing', async () => {
    await db.exec('RENAME TABLE domains TO hidden_domains');
    try {
      await assertPanelDbError(read(onMariadb.path), /subscriptions.*table domains does not exist/);
    } finally {
      await db.exec('RENAME TABLE hidden_domains TO domains');
    }
  });
});
