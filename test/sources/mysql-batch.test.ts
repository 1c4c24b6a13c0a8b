import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { SendtraceError } from '../../service/errors.ts';
import {
  decodeBatchField, parseBatchRows, splitBatchRows, sqlDatetimeIn, sqlInt, sqlNullableInt, sqlNullableText, sqlText,
} from '../../service/sources/mysql-batch.ts';

const row = z.object({ id: sqlInt, name: sqlText, note: sqlNullableText });

describe('decodeBatchField', () => {
  it('decodes the escapes the mysql client writes in batch mode', () => {
    assert.equal(decodeBatchField('a\\tb\\nc\\\\d\\0e'), 'a\tb\nc\\d\0e');
  });

  it('keeps a raw carriage return (the client does not escape it) and decodes \\r', () => {
    assert.equal(decodeBatchField('a\rb'), 'a\rb');
    assert.equal(decodeBatchField('a\\rb'), 'a\rb');
  });

  it('reads a literal NULL as SQL NULL and "\\\\N" style text as text', () => {
    assert.equal(decodeBatchField('NULL'), null);
    assert.equal(decodeBatchField('\\\\NULL'), '\\NULL');
    assert.equal(decodeBatchField('NULLS'), 'NULLS');
  });

  it('refuses an escape the client never writes', () => {
    assert.equal(decodeBatchField('a\\qb'), undefined);
    assert.equal(decodeBatchField('trailing\\'), undefined);
  });
});

describe('splitBatchRows', () => {
  it('reads no rows from empty output, and one empty field from a lone newline', () => {
    assert.deepEqual(splitBatchRows('', 1, 'q'), []);
    assert.deepEqual(splitBatchRows('\n', 1, 'q'), [['']]);
  });

  it('keeps empty fields between tabs', () => {
    assert.deepEqual(splitBatchRows('1\t\tx\n', 3, 'q'), [['1', '', 'x']]);
  });

  it('rejects a row with the wrong number of fields, naming the query and row', () => {
    assert.throws(
      () => splitBatchRows('1\ta\tb\n2\ta\n', 3, 'subscriptions'),
      (err: unknown) => err instanceof SendtraceError && err.code === 'SENDTRACE_ERR_PANEL_DB' && /subscriptions/.test(err.message) && /row 2 has 2 fields, expected 3/.test(err.message),
    );
  });

  it('rejects output cut in the middle of a row', () => {
    assert.throws(() => splitBatchRows('1\ta\n2\tb', 2, 'owners'), /owners.*middle of a row/);
  });
});

describe('parseBatchRows', () => {
  it('turns rows into validated objects keyed by the column list', () => {
    const { rows, skipped } = parseBatchRows('7\tinfo\\tdesk\tNULL\n8\tNULL\ta\\nb\n', 'mail', ['id', 'name', 'note'], row);
    assert.equal(skipped, 0);
    assert.deepEqual(rows, [
      { id: 7, name: 'info\tdesk', note: null },
      // A NOT NULL text column cannot hold SQL NULL, so `NULL` there is the text itself.
      { id: 8, name: 'NULL', note: 'a\nb' },
    ]);
  });

  it('counts and skips rows that fail validation, reporting the first problem', () => {
    const { rows, skipped, firstProblem } = parseBatchRows('1\ta\tb\nx\tc\td\n3\te\\q\tf\n4\tg\th\n', 'q', ['id', 'name', 'note'], row);
    assert.deepEqual(rows.map((r) => r.id), [1, 4]);
    assert.equal(skipped, 2);
    assert.match(firstProblem ?? '', /row 2: id/);
  });
});

describe('column schemas', () => {
  it('parses integers strictly, including negatives, and refuses unsafe ones', () => {
    assert.equal(sqlInt.parse('-1'), -1);
    assert.equal(sqlNullableInt.parse(null), null);
    assert.equal(sqlInt.safeParse('1.5').success, false);
    assert.equal(sqlInt.safeParse('').success, false);
    assert.equal(sqlInt.safeParse('99999999999999999999').success, false);
  });

  it('reads a DATETIME as wall-clock time of the given zone and refuses zero dates', () => {
    const tokyo = sqlDatetimeIn('Asia/Tokyo');
    assert.equal(tokyo.parse('2022-02-03 22:00:00'), Date.UTC(2022, 1, 3, 13, 0, 0));
    assert.equal(sqlDatetimeIn('UTC').parse('2022-02-03 22:00:00'), Date.UTC(2022, 1, 3, 22, 0, 0));
    assert.equal(tokyo.safeParse('0000-00-00 00:00:00').success, false);
    assert.equal(tokyo.safeParse('2022-02-03').success, false);
  });
});
