import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SqlText, sql, sqlDatetime, sqlJoin } from '../../service/sources/sql-text.ts';

describe('sql``', () => {
  it('interpolates safe integers and nested fragments', () => {
    const table = sql`SubscriptionOutgoingMessagesStats`;
    assert.equal(sql`SELECT a FROM ${table} WHERE id = ${42} AND x > ${-1}`.text, 'SELECT a FROM SubscriptionOutgoingMessagesStats WHERE id = 42 AND x > -1');
  });

  it('refuses a string, whatever it contains', () => {
    const name = "x'; DROP TABLE clients; --";
    assert.throws(() => sql`SELECT 1 WHERE name = ${name as unknown as number}`, /refusing an interpolated string/);
    assert.throws(() => sql`SELECT ${'1' as unknown as number}`, TypeError);
  });

  it('refuses numbers that would not print as a plain integer', () => {
    for (const n of [1.5, NaN, Infinity, 2 ** 60, 1e21]) assert.throws(() => sql`SELECT ${n}`, TypeError, String(n));
  });

  it('refuses being called as a plain function with a forged strings array', () => {
    const forged = Object.assign(['SELECT ', ''], { raw: ['SELECT ', ''] }) as unknown as TemplateStringsArray;
    assert.throws(() => sql(forged, 1), /tagged template/);
  });

  it('cannot be constructed outside its module', () => {
    assert.throws(() => new SqlText(Symbol('sql-text'), 'DROP TABLE clients'), TypeError);
  });
});

describe('sqlDatetime', () => {
  it("writes the instant as the zone's wall-clock DATETIME literal", () => {
    const instant = Date.UTC(2022, 1, 3, 13, 30, 5);
    assert.equal(sqlDatetime(instant, 'Asia/Tokyo').text, "'2022-02-03 22:30:05'");
    assert.equal(sql`WHERE d >= ${sqlDatetime(instant, 'UTC')}`.text, "WHERE d >= '2022-02-03 13:30:05'");
  });

  it('refuses an instant that is not a date', () => {
    assert.throws(() => sqlDatetime(NaN, 'UTC'), TypeError);
    assert.throws(() => sqlDatetime(8.64e15, 'UTC'), TypeError);
  });
});

describe('sqlJoin', () => {
  it('joins fragments and refuses anything else', () => {
    assert.equal(sqlJoin([sql`SELECT 1;`, sql`SELECT ${2};`]).text, 'SELECT 1;SELECT 2;');
    assert.throws(() => sqlJoin(['SELECT 1' as unknown as SqlText]), TypeError);
  });
});
