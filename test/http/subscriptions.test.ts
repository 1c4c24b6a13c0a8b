// GET /api/subscriptions and GET /api/subscriptions/:id over the fake world:
// the contract's shapes, ranking, paging, and what is said before the first
// diagnosis exists.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DetailResponseSchema, ErrorBodySchema, ListResponseSchema } from '../../service/http/contract.ts';
import { buildOwnership } from '../../service/http/authorize.ts';
import { hasProblem } from '../../service/http/list-order.ts';
import { build } from './build.ts';
import { fakeDiagnosis, fakeSnapshot, ID, LEAKING_SCRIPT } from './fake-world.ts';

describe('subscription list and detail', () => {
  it('lists every subscription riskiest first, in the contract\'s compact shape', async (t) => {
    const s = await build(t);
    const r = await s.inject({ url: '/api/subscriptions', as: ID.admin });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const body = ListResponseSchema.parse(JSON.parse(r.body));
    const expected = fakeDiagnosis().subscriptions;
    assert.deepEqual(body.items.map((i) => i.id), expected.map((d) => d.id));
    assert.deepEqual([body.total, body.visible], [6, 6]);
    const top = body.items[0]!;
    assert.deepEqual([top.name, top.status, top.cause, top.topSource?.label, top.topSource?.kind, top.sources], ['c1.example', 'not-sending', 'script', LEAKING_SCRIPT, 'script', 1]);
    assert.ok(!('explanation' in top) && !('evidence' in (top.topSource ?? {})), 'explanations and evidence stay in the detail');
    assert.equal(body.snapshot.generation, 1);
    assert.deepEqual(body.snapshot.warnings, ['cannot scan files of c3.example under /var/www/vhosts/c3.example: EACCES']);
  });

  it('pages the list with offset and limit, keeping the ranking and the total', async (t) => {
    const s = await build(t);
    const all = ListResponseSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions', as: ID.admin })).body)).items.map((i) => i.id);
    const page = ListResponseSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions?offset=2&limit=3', as: ID.admin })).body));
    assert.deepEqual(page.items.map((i) => i.id), all.slice(2, 5));
    assert.deepEqual([page.total, page.offset], [6, 2]);
    const past = ListResponseSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions?offset=99', as: ID.admin })).body));
    assert.deepEqual([past.items.length, past.offset], [0, 6]);
    const bad = await s.inject({ url: '/api/subscriptions?limit=-1&order=name', as: ID.admin });
    assert.equal(bad.statusCode, 400);
    const e = ErrorBodySchema.parse(JSON.parse(bad.body)).error;
    assert.equal(e.code, 'SENDTRACE_ERR_INVALID_REQUEST');
    assert.deepEqual(e.issues?.map((i) => i.where).sort(), ['query', 'query.limit']);
    assert.match(e.message, /order/);
  });

  it('sorts, filters and pages on the server, counting what matched and what the caller may see', async (t) => {
    const s = await build(t);
    const list = async (query: string, as = ID.admin) => {
      const r = await s.inject({ url: `/api/subscriptions?${query}`, as });
      assert.equal(r.statusCode, 200, r.body);
      return ListResponseSchema.parse(JSON.parse(r.body));
    };
    const ranked = await list('');
    assert.equal(ranked.visible, 6);
    const names = ranked.items.map((i) => i.name);
    const byName = [...names].sort();
    assert.deepEqual((await list('sort=name')).items.map((i) => i.name), byName, 'a name sorts A→Z unless asked otherwise');
    assert.deepEqual((await list('sort=name&dir=desc')).items.map((i) => i.name), [...byName].reverse());
    const page = await list('sort=name&offset=1&limit=2');
    assert.deepEqual([page.items.map((i) => i.name), page.total, page.visible, page.offset], [byName.slice(1, 3), 6, 6, 1]);
    // Least risky first: unblocked before blocked, then risk up, ties by name.
    const rank = (id: number) => ranked.items.find((i) => i.id === id)!;
    const leastFirst = ranked.items.map((i) => i.id).sort((a, b) => {
      const [x, y] = [rank(a), rank(b)];
      return Number(x.status === 'not-sending') - Number(y.status === 'not-sending') || x.risk - y.risk || x.name.localeCompare(y.name);
    });
    assert.deepEqual((await list('sort=risk&dir=asc')).items.map((i) => i.id), leastFirst);

    const one = await list('q=C3.EXAMPLE');
    assert.deepEqual([one.items.map((i) => i.id), one.total, one.visible], [[12], 1, 6]);
    const bySource = await list(`q=${encodeURIComponent(LEAKING_SCRIPT.slice(-12))}`);
    assert.deepEqual(bySource.items.map((i) => i.id), [10], 'the top source\'s path is searched too');
    const problems = await list('problems=true');
    assert.ok(problems.total > 0 && problems.total < 6, `some, not all, have a problem: ${problems.total}`);
    assert.deepEqual(problems.items.map((i) => i.id), ranked.items.filter(hasProblem).map((i) => i.id), 'in ranked order');
    const both = await list('problems=true&q=c1');
    assert.deepEqual(both.items.map((i) => i.id), [10]);
    const pastEnd = await list('q=example&offset=50&limit=50');
    assert.deepEqual([pastEnd.items.length, pastEnd.total, pastEnd.offset], [0, 6, 6]);
  });

  it("filters only what the caller may see: a reseller's search never finds another's subscription", async (t) => {
    const s = await build(t);
    const r1 = async (query: string) => ListResponseSchema.parse(JSON.parse((await s.inject({ url: `/api/subscriptions?${query}`, as: ID.r1 })).body));
    const none = await r1('q=c3.example');
    assert.deepEqual([none.items.length, none.total, none.visible], [0, 0, 3]);
    const mine = await r1('q=example&sort=name');
    assert.deepEqual(mine.items.map((i) => i.id), [10, 11, 14]);
    const c1 = ListResponseSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions?sort=owner&q=c', as: ID.c1 })).body));
    assert.deepEqual([c1.items.map((i) => i.id), c1.visible], [[10], 1]);
  });

  it('says what is wrong with a sort, a direction, a filter flag or an overlong filter', async (t) => {
    const s = await build(t);
    const cases: Array<[string, string]> = [['sort=colour', 'query.sort'], ['dir=up', 'query.dir'], ['problems=yes', 'query.problems'], [`q=${'x'.repeat(201)}`, 'query.q']];
    for (const [query, where] of cases) {
      const r = await s.inject({ url: `/api/subscriptions?${query}`, as: ID.admin });
      assert.equal(r.statusCode, 400, query);
      const e = ErrorBodySchema.parse(JSON.parse(r.body)).error;
      assert.deepEqual(e.issues?.map((i) => i.where), [where], query);
    }
  });

  it('serves one diagnosis with its sources and evidence', async (t) => {
    const s = await build(t);
    const r = await s.inject({ url: '/api/subscriptions/10', as: ID.c1 });
    assert.equal(r.statusCode, 200, r.body);
    const body = DetailResponseSchema.parse(JSON.parse(r.body));
    assert.deepEqual(body.subscription, fakeDiagnosis().subscriptions.find((d) => d.id === 10));
    assert.deepEqual(body.snapshot.warnings, [], 'a customer does not see the server\'s warnings');
  });

  it('says what is wrong with an id that is not a number', async (t) => {
    const s = await build(t);
    for (const id of ['abc', '0', '10.5', '99999999999']) {
      const r = await s.inject({ url: `/api/subscriptions/${id}`, as: ID.admin });
      assert.equal(r.statusCode, 400, id);
      assert.match(JSON.parse(r.body).error.message, /path\.id: a subscription id/);
    }
  });

  it('before the first diagnosis: an empty list at generation 0, and 503 for a detail', async (t) => {
    const s = await build(t, { snapshot: null });
    // Ownership is known (read quickly from psa) while the diagnosis still runs.
    s.cache.ownership = buildOwnership(fakeSnapshot().ownership, 1);
    const list = ListResponseSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions', as: ID.admin })).body));
    assert.deepEqual([list.snapshot.generation, list.total, list.items.length], [0, 0, 0]);
    const detail = await s.inject({ url: '/api/subscriptions/10', as: ID.admin });
    assert.equal(detail.statusCode, 503);
    assert.equal(JSON.parse(detail.body).error.code, 'SENDTRACE_ERR_NOT_READY');
    assert.equal((await s.app.inject({ url: '/healthz' })).json().status, 'starting');
  });
});
