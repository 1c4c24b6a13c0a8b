// Property tests of the `mysql -N -B` output reader: any output → rows, or a
// SENDTRACE_ERR_PANEL_DB naming the query — no other exception; fields
// escaped the way the client escapes them read back exactly (the four letters
// NULL excepted, the client's own ambiguity); every row that passes is what
// its zod schema says.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { check, fc } from './fuzz-config.ts';
import { SendtraceError } from '../../service/errors.ts';
import { decodeBatchField, parseBatchRows, splitBatchRows, sqlInt, sqlNullableText, sqlText } from '../../service/sources/mysql-batch.ts';

/** What the mysql client prints for a value in batch mode (client/mysql.cc: \0 \t \n \\ escaped, \r raw). */
function encodeField(v: string | null): string {
  if (v === null) return 'NULL';
  return v.replace(/[\\\0\t\n]/g, (c) => ({ '\\': '\\\\', '\0': '\\0', '\t': '\\t', '\n': '\\n' })[c]!);
}

const value = fc.option(fc.string({ unit: fc.constantFrom('a', 'é', '\\', '\t', '\n', '\0', '\r', 'N', 'U', 'L', '1', '-', ' ', '漢'), maxLength: 20 }), { nil: null });

describe('fuzz: mysql batch output', () => {
  it('splits any output into rows or refuses it with the panel-db error, nothing else', () => {
    check(fc.property(fc.string({ unit: fc.constantFrom('a', '\\', 't', 'n', '0', '\t', '\n', 'N', 'U', 'L', 'x'), maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (out, cols) => {
      try {
        for (const row of splitBatchRows(out, cols, 'q')) if (row) assert.equal(row.length, cols);
      } catch (err) {
        assert.ok(err instanceof SendtraceError && err.code === 'SENDTRACE_ERR_PANEL_DB', String(err));
        assert.match(err.message, /\(q\)/);
      }
    }), 3000);
  });

  it('reads back every field encoded as the client encodes it', () => {
    check(fc.property(fc.array(fc.array(value, { minLength: 3, maxLength: 3 }), { maxLength: 10 }), (rows) => {
      const out = rows.map((r) => `${r.map(encodeField).join('\t')}\n`).join('');
      const back = splitBatchRows(out, 3, 'q');
      assert.deepEqual(back, rows.map((r) => r.map((v) => (v === 'NULL' ? null : v))));
    }), 1000);
  });

  it('keeps only rows that pass their schema, and counts the rest', () => {
    const Row = z.object({ id: sqlInt, name: sqlText, note: sqlNullableText });
    check(fc.property(fc.array(fc.tuple(fc.oneof(fc.integer().map(String), fc.string({ maxLength: 5 }).map(encodeField)), value, value), { maxLength: 10 }), (rows) => {
      const out = rows.map(([a, b, c]) => `${a.replace(/[\t\n]/g, '')}\t${encodeField(b)}\t${encodeField(c)}\n`).join('');
      const r = parseBatchRows(out, 'q', ['id', 'name', 'note'], Row);
      assert.equal(r.rows.length + r.skipped, rows.length);
      for (const row of r.rows) Row.parse({ id: String(row.id), name: row.name, note: row.note });
    }), 1000);
  });

  it('never decodes an escape the client does not write', () => {
    check(fc.property(fc.string({ maxLength: 20 }), (raw) => {
      const v = decodeBatchField(raw);
      if (/\\(?![0tnr\\])/.test(raw.replace(/\\[0tnr\\]/g, ''))) assert.equal(v, undefined);
    }), 1000);
  });
});
