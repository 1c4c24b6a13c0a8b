// The overview's query → what it asks the sidecar for, and the sidecar's
// answer → the page shown.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_QUERY, listParams, pageOf, riskLevel } from '../../frontend/views/overview-model.ts';
import { syntheticList } from './helpers/fake-api.ts';

describe('overview query', () => {
  it('asks for one page, leaving defaults out', () => {
    assert.deepEqual(listParams(DEFAULT_QUERY), { offset: 0, limit: 50 });
    assert.deepEqual(listParams({ ...DEFAULT_QUERY, page: 3, sort: 'name', dir: 'asc', text: '  mail.php ', problemsOnly: true }), {
      offset: 100, limit: 50, sort: 'name', dir: 'asc', q: 'mail.php', problems: 'true',
    });
    assert.deepEqual(listParams({ ...DEFAULT_QUERY, dir: 'asc' }), { offset: 0, limit: 50, sort: 'risk', dir: 'asc' });
    assert.deepEqual(listParams({ ...DEFAULT_QUERY, page: 0 }), { offset: 0, limit: 50 });
  });

  it('shows the page the answer is for, and says when it lies past the end', () => {
    const list = syntheticList(120);
    const p = pageOf({ ...list, total: 120, offset: 100, items: list.items.slice(100) }, DEFAULT_QUERY);
    assert.deepEqual([p.page, p.pages, p.matched, p.total, p.rows.length], [3, 3, 120, 120, 20]);
    const filtered = pageOf({ ...list, total: 7, visible: 120, offset: 0, items: list.items.slice(0, 7) }, DEFAULT_QUERY);
    assert.deepEqual([filtered.page, filtered.pages, filtered.matched, filtered.total], [1, 1, 7, 120]);
    const past = pageOf({ ...list, total: 60, offset: 60, items: [] }, DEFAULT_QUERY);
    assert.deepEqual([past.page, past.pages], [0, 2]);
    const none = pageOf({ ...list, total: 0, offset: 0, items: [] }, DEFAULT_QUERY);
    assert.deepEqual([none.page, none.pages], [1, 1]);
  });

  it('marks risk by the scores diagnose gives', () => {
    assert.equal(riskLevel(95), 'high');
    assert.equal(riskLevel(60), 'medium');
    assert.equal(riskLevel(10), 'low');
    assert.equal(riskLevel(0), null);
  });
});
