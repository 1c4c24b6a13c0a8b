// The throwaway MariaDB of the tests: starts from nothing, holds the psa
// schema, listens on no TCP port, and leaves nothing behind.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startMariadb } from './mariadb.ts';

it('starts a private MariaDB with the psa schema and removes it on stop', async (t) => {
  const db = await startMariadb();
  let stopped = false;
  t.after(() => (stopped ? undefined : db.stop()));
  t.diagnostic(`mariadb ready with schema in ${db.startupMs} ms`);
  assert.ok(db.startupMs < 30_000);
  const tables = (await db.exec('SHOW TABLES')).trimEnd().split('\n');
  assert.ok(tables.includes('SubscriptionOutgoingMessagesPeaks') && tables.includes('clients'), tables.join(' '));
  assert.equal(await db.exec('SELECT @@skip_networking, @@character_set_server'), '1\tutf8mb4\n');
  const pid = Number((await readFile(join(db.dir, 'mysqld.pid'), 'utf8')).trim());
  assert.ok(pid > 0);

  await db.stop();
  stopped = true;
  assert.equal(existsSync(db.dir), false);
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
});
