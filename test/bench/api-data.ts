// A large Plesk server for the API benchmark: N subscriptions (default
// 10,000) under an admin, 20 resellers and N/2 customers, each with a system
// user, a docroot, two mailboxes and every fourth an additional domain; and
// `days` of hourly OMC statistics per subscription (a row per hour with
// outgoing mail, with probability `activity`), twenty of them over their limit
// in the last hours with an open peak. Written as INSERT batches that
// test/fixtures/psa/schema.sql accepts (MariaDB), plus passwd and an empty
// mail log. Deterministic (a fixed-seed generator).
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSqlDatetime, HOUR } from '../../service/time.ts';
import { mulberry32 as prng } from '../helpers/prng.ts';

export type BenchWorld = { dir: string; sql: string; passwd: string; maillog: string; vhosts: string; subscriptions: number; statsRows: number; incidents: number[] };
export type BenchWorldOptions = { subscriptions: number; days: number; activity: number; now: number; zone: string };


export const RESELLERS = 20;
export const ownerOfSubscription = (i: number, n: number): number => (i % 100 === 0 ? 2 + (i % RESELLERS) : 2 + RESELLERS + (i % Math.ceil(n / 2)));

export async function writeBenchWorld(dir: string, o: BenchWorldOptions): Promise<BenchWorld> {
  await mkdir(join(dir, 'vhosts'), { recursive: true });
  const rand = prng(20220203);
  const n = o.subscriptions;
  const customers = Math.ceil(n / 2);
  const sqlPath = join(dir, 'psa-bench.sql');
  const out = createWriteStream(sqlPath);
  const write = (s: string) => new Promise<void>((ok) => (out.write(s) ? ok() : out.once('drain', () => ok())));
  const batches = async (table: string, cols: string, rows: Iterable<string>) => {
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length) await write(`INSERT INTO ${table} (${cols}) VALUES\n${batch.join(',\n')};\n`);
      batch = [];
    };
    for (const r of rows) {
      batch.push(r);
      if (batch.length >= 2000) await flush();
    }
    await flush();
  };
  const dt = (ms: number) => `'${formatSqlDatetime(ms, o.zone)}'`;

  await write('SET autocommit=0;\n');
  await batches('clients', 'id, login, type, parent_id, guid, pname', (function* () {
    yield `(1, 'admin', 'admin', NULL, 'g-1', 'Administrator')`;
    for (let r = 0; r < RESELLERS; r++) yield `(${2 + r}, 'reseller${r + 1}', 'reseller', 1, 'g-${2 + r}', 'Reseller ${r + 1}')`;
    for (let c = 0; c < customers; c++) yield `(${2 + RESELLERS + c}, 'customer${c + 1}', 'client', ${c % 5 < 3 ? 2 + (c % RESELLERS) : 1}, 'g-${2 + RESELLERS + c}', 'Customer ${c + 1}')`;
  })());
  await write(`INSERT INTO ServiceNodeConfiguration (serviceNodeId, section, name, value) VALUES (1, 'mailServer', 'outgoing_messages_mbox_limit', '100'), (1, 'mailServer', 'outgoing_messages_domain_limit', '250'), (1, 'mailServer', 'outgoing_messages_subscription_limit', '500'), (1, 'mailServer', 'outgoing_messages_enable_sendmail', 'true');\n`);
  const ids = Array.from({ length: n }, (_, k) => k + 1);
  const name = (i: number) => `site${i}.example`;
  const home = (i: number) => `/var/www/vhosts/${name(i)}`;
  await batches('domains', 'id, name, displayName, status, htype, cl_id, guid, webspace_id', (function* () {
    for (const i of ids) yield `(${i}, '${name(i)}', '${name(i)}', 0, 'vrt_hst', ${ownerOfSubscription(i, n)}, 'd-${i}', 0)`;
    for (const i of ids) if (i % 4 === 0) yield `(${n + i}, 'extra${i}.example', 'extra${i}.example', 0, 'vrt_hst', ${ownerOfSubscription(i, n)}, 'd-${n + i}', ${i})`;
  })());
  await batches('Subscriptions', 'id, object_id, object_type, uuid', ids.map((i) => `(${i}, ${i}, 'domain', 's-${i}')`));
  await batches('sys_users', 'id, login, home', ids.map((i) => `(${i}, 'u${i}', '${home(i)}')`));
  await batches('hosting', 'dom_id, sys_user_id, www_root, php_handler_id', (function* () {
    for (const i of ids) yield `(${i}, ${i}, '${home(i)}/httpdocs', 'plesk-php82-fpm')`;
    for (const i of ids) if (i % 4 === 0) yield `(${n + i}, ${i}, '${home(i)}/extra${i}.example', 'plesk-php82-fpm')`;
  })());
  await batches('mail', 'id, mail_name, dom_id', ids.flatMap((i) => [`(${2 * i - 1}, 'info', ${i})`, `(${2 * i}, 'sales', ${i})`]));
  await write('COMMIT;\n');

  // Hourly statistics, collected up to the last full hour before `now`.
  const last = Math.floor(o.now / HOUR) * HOUR - HOUR;
  const first = last - o.days * 24 * HOUR;
  const incidents = ids.filter((i) => i % Math.floor(n / 20) === 7).slice(0, 20);
  const burst = new Set(incidents);
  let statsRows = 0;
  await batches('SubscriptionOutgoingMessagesStats', 'subscriptionId, collectDate, limitValue, passed, rejected', (function* () {
    for (const i of ids) {
      for (let h = first; h <= last; h += HOUR) {
        const over = burst.has(i) && h > last - 6 * HOUR;
        if (!over && rand() >= o.activity) continue;
        statsRows++;
        yield `(${i}, ${dt(h)}, 500, ${over ? 500 : 1 + Math.floor(rand() * 60)}, ${over ? 15000 + Math.floor(rand() * 5000) : 0})`;
      }
    }
  })());
  await batches('SubscriptionOutgoingMessagesPeaks', 'subscriptionId, beginDate, endDate, rejected', incidents.map((i) => `(${i}, ${dt(last - 5 * HOUR + 12 * 60_000)}, NULL, 100000)`));
  await write('COMMIT;\n');
  await new Promise<void>((ok, fail) => out.end((err?: Error | null) => (err ? fail(err) : ok())));

  const passwd = join(dir, 'passwd');
  await writeFile(passwd, ['root:x:0:0:root:/root:/bin/bash', ...ids.map((i) => `u${i}:x:${20000 + i}:1004::${home(i)}:/bin/false`)].join('\n') + '\n');
  const maillog = join(dir, 'mail.log');
  await writeFile(maillog, '');
  return { dir, sql: sqlPath, passwd, maillog, vhosts: join(dir, 'vhosts'), subscriptions: n, statsRows, incidents };
}
