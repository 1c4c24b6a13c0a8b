// Several queries in one `plesk db` call, framed by marker rows (on the
// simulator's sql.js backend: same client output format, no server needed).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { SendtraceError } from '../../service/errors.ts';
import { sqlInt, sqlText } from '../../service/sources/mysql-batch.ts';
import { missingTableOf, queryPleskDb, summarizeStderr } from '../../service/sources/plesk-db.ts';
import { sql } from '../../service/sources/sql-text.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';
import { samplePanelSql } from '../helpers/psa-data.ts';

let dir: string;
let sim: PleskSim;
let record: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-plesk-db-test-'));
  record = join(dir, 'calls.jsonl');
  sim = await makePleskSim({ sqlite: samplePanelSql, record });
});
after(async () => {
  await sim?.remove();
  await rm(dir, { recursive: true, force: true });
});

const pair = z.object({ a: sqlText, b: sqlInt });
const logins = { label: 'logins', sql: sql`SELECT login, id FROM clients WHERE id <= 2 ORDER BY id`, columns: ['a', 'b'], schema: pair };
const calls = async () => (await readFile(record, 'utf8')).trimEnd().split('\n').filter(Boolean).length;

describe('queryPleskDb', () => {
  it('runs several queries in one plesk db call and gives each its own rows', async () => {
    await writeFile(record, '');
    const empty = { label: 'empty', sql: sql`SELECT login, id FROM clients WHERE id < 0`, columns: ['a', 'b'], schema: pair };
    const [first, second, third] = await queryPleskDb({ plesk: sim.path }, [logins, empty, logins], { timeoutMs: 30_000 });
    assert.deepEqual(first.rows, [{ a: 'admin', b: 1 }, { a: 'reseller1', b: 2 }]);
    assert.deepEqual(second.rows, []);
    assert.deepEqual(third.rows, first.rows);
    assert.equal(await calls(), 1);
  });

  it('keeps a row that contains the marker text as data', async () => {
    const tricky = { label: 'tricky', sql: sql`SELECT 'sendtrace-query-1', 2`, columns: ['a', 'b'], schema: pair };
    const [r0, r1] = await queryPleskDb({ plesk: sim.path }, [tricky, logins], { timeoutMs: 30_000 });
    assert.deepEqual(r0.rows, [{ a: 'sendtrace-query-1', b: 2 }]);
    assert.equal(r1.rows.length, 2);
  });

  it('reports a missing table for its query and resumes with the next one', async () => {
    await writeFile(record, '');
    const old = { label: 'old table', sql: sql`SELECT name, id FROM TableOfOlderPlesk`, columns: ['a', 'b'], schema: pair };
    const [r0, r1, r2] = await queryPleskDb({ plesk: sim.path }, [logins, old, logins], { timeoutMs: 30_000 });
    assert.equal(r0.rows.length, 2);
    assert.deepEqual([r1.missingTable, r1.label, r1.rows], ['TableOfOlderPlesk', 'old table', []]);
    assert.equal(r2.rows.length, 2);
    assert.equal(await calls(), 2);
  });

  it('names the failing query when it fails for another reason', async () => {
    const broken = { label: 'broken query', sql: sql`SELECT login, nonexistent_column FROM clients`, columns: ['a', 'b'], schema: pair };
    await assert.rejects(queryPleskDb({ plesk: sim.path }, [logins, broken], { timeoutMs: 30_000 }), (err: unknown) =>
      err instanceof SendtraceError && err.code === 'SENDTRACE_ERR_PANEL_DB' && /\(broken query\): ERROR 1054/.test(err.message));
  });

  it('refuses a one-column query, which the marker framing could not tell from a marker', async () => {
    const one = { label: 'one', sql: sql`SELECT login FROM clients`, columns: ['a'], schema: z.object({ a: sqlText }) };
    await assert.rejects(queryPleskDb({ plesk: sim.path }, [one], { timeoutMs: 30_000 }), TypeError);
  });

  it('refuses output that does not come from its batch', async () => {
    const liar = join(dir, 'lying-plesk');
    await writeFile(liar, '#!/bin/sh\necho "admin\t1"\n', { mode: 0o755 });
    await assert.rejects(queryPleskDb({ plesk: liar }, [logins], { timeoutMs: 30_000 }), /does not start with a query marker/);
  });
});

describe('client error lines', () => {
  const stderr = "--------------\nSELECT x FROM y\n--------------\n\nERROR 1146 (42S02) at line 4: Table 'psa.y' doesn't exist\n";
  it('finds the ERROR line behind the echoed statement', () => {
    assert.equal(summarizeStderr(stderr), "ERROR 1146 (42S02) at line 4: Table 'psa.y' doesn't exist");
    assert.equal(summarizeStderr('\nsh: plesk: not found\n'), 'sh: plesk: not found');
  });
  it('tells a missing table from other errors', () => {
    assert.equal(missingTableOf(stderr), 'y');
    assert.equal(missingTableOf("ERROR 1054 (42S22) at line 1: Unknown column 'y' in 'field list'"), null);
  });
});
