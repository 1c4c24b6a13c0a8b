// The unpaged list body is prepared once per caller's visible set and reused
// while the snapshot's metadata stays the same (snapshot-view.ts): the same
// bytes a fresh build would give, and a new body when the metadata changes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ListResponseSchema } from '../../service/http/contract.ts';
import type { RefreshState } from '../../service/http/cache/diagnosis-cache.ts';
import { createSnapshotView } from '../../service/http/cache/snapshot-view.ts';
import { buildOwnership } from '../../service/http/authorize.ts';
import { build } from './build.ts';
import { fakeSnapshot, ID, VISIBLE } from './fake-world.ts';

describe('prepared list bodies', () => {
  it('gives the same buffer to repeated callers with the same visible set and metadata', () => {
    const view = createSnapshotView(fakeSnapshot(), 1, 0);
    const a = view.listBody('admin', null, '{"generation":1}');
    assert.equal(view.listBody('admin', null, '{"generation":1}'), a, 'built once');
    const parsed = JSON.parse(a.toString('utf8')) as { snapshot: unknown; total: number; offset: number; items: Array<{ id: number }> };
    assert.deepEqual(parsed.snapshot, { generation: 1 });
    assert.deepEqual(parsed.items.map((i) => i.id), fakeSnapshot().ranked.map((r) => r.id));
    assert.deepEqual([parsed.total, parsed.offset], [6, 0]);
  });

  it('builds a new body when the metadata changes, and keeps visible sets apart', () => {
    const data = fakeSnapshot();
    const view = createSnapshotView(data, 1, 0);
    const before = view.listBody('admin', null, '{"refreshing":false}');
    const during = view.listBody('admin', null, '{"refreshing":true}');
    assert.notEqual(during, before);
    assert.deepEqual(JSON.parse(during.toString('utf8')).snapshot, { refreshing: true });
    const reseller = buildOwnership(data.ownership, 1).visibleIds(ID.r1);
    const body = JSON.parse(view.listBody('r1', reseller, '{}').toString('utf8')) as { total: number; items: Array<{ id: number }> };
    assert.deepEqual(body.items.map((i) => i.id).sort(), [...VISIBLE.r1!].sort());
    assert.equal(body.total, VISIBLE.r1!.length);
  });

  it('answers GET /api/subscriptions with the prepared body, and says when a refresh starts', async (t) => {
    const data = fakeSnapshot();
    const view = createSnapshotView(data, 1, 0);
    const ownership = buildOwnership(data.ownership, 1);
    let refreshing: RefreshState | null = null;
    const s = await build(t, { deps: { cache: { current: () => view, ownership: () => ownership, refreshing: () => refreshing, requestRefresh: () => undefined } } });
    const first = await s.inject({ url: '/api/subscriptions', as: ID.admin });
    const again = await s.inject({ url: '/api/subscriptions', as: ID.admin });
    assert.equal(again.body, first.body);
    assert.equal(ListResponseSchema.parse(JSON.parse(first.body)).snapshot.refreshing, false);
    refreshing = { startedAt: 0, expectedMs: null };
    const during = ListResponseSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions', as: ID.admin })).body));
    assert.equal(during.snapshot.refreshing, true);
    assert.equal(during.items.length, 6);
    const r1 = ListResponseSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions', as: ID.r1 })).body));
    assert.deepEqual(r1.items.map((i) => i.id).sort(), [...VISIBLE.r1!].sort());
  });
});
