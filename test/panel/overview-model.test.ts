import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ListItem } from '../../service/http/contract.ts';
import { DEFAULT_QUERY, hasProblem, nextSort, riskLevel, selectPage } from '../../frontend/views/overview-model.ts';

function row(id: number, o: Partial<ListItem> = {}): ListItem {
  return {
    id, name: `site${id}.example`, owner: { login: `owner${id % 7}`, type: 'client' }, status: 'sending', blockedSince: null, blockedLevel: null,
    lastHour: { passed: id % 50, rejected: 0, limit: 500 }, cause: 'none', risk: 0, rejectedTotal: 0, topSource: null, leak: null, sources: 0, ...o,
  };
}

describe('overview rows', () => {
  it('puts a blocked subscription first even when another scores a higher risk', () => {
    const items = [row(1, { risk: 99, cause: 'script' }), row(2, { risk: 95, status: 'not-sending', blockedSince: '2022-02-03T15:00:00+09:00' }), row(3)];
    assert.deepEqual(selectPage(items, DEFAULT_QUERY).rows.map((r) => r.id), [2, 1, 3]);
  });

  it('filters by name, owner or source, case-insensitively', () => {
    const items = [row(1), row(2, { topSource: { kind: 'script', label: '/var/www/vhosts/x/httpdocs/Mail.php', confidence: 0.9, messages: 10, perHour: 3 } }), row(3)];
    assert.deepEqual(selectPage(items, { ...DEFAULT_QUERY, text: 'mail.PHP' }).rows.map((r) => r.id), [2]);
    assert.deepEqual(selectPage(items, { ...DEFAULT_QUERY, text: 'SITE3' }).rows.map((r) => r.id), [3]);
    assert.equal(selectPage(items, { ...DEFAULT_QUERY, text: 'owner1' }).matched, 1);
  });

  it('keeps only subscriptions with a problem when asked', () => {
    const items = [row(1), row(2, { leak: { since: '2022-01-01T00:00:00+09:00', perHour: 300, source: 'x' } }), row(3, { lastHour: { passed: 500, rejected: 20, limit: 500 } })];
    assert.deepEqual(selectPage(items, { ...DEFAULT_QUERY, problemsOnly: true }).rows.map((r) => r.id).sort(), [2, 3]);
    assert.equal(hasProblem(items[0]!), false);
  });

  it('pages 10,000 rows and clamps a page number past the end', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => row(i + 1, { risk: i % 100 }));
    const last = selectPage(items, { ...DEFAULT_QUERY, page: 999 });
    assert.equal(last.pages, 200);
    assert.equal(last.page, 200);
    assert.equal(last.rows.length, 50);
    const seen = new Set<number>();
    for (let p = 1; p <= 200; p++) for (const r of selectPage(items, { ...DEFAULT_QUERY, page: p }).rows) seen.add(r.id);
    assert.equal(seen.size, 10_000, 'every row on exactly one page');
  });

  it('sorts names naturally and numbers biggest first on the first click', () => {
    const items = [row(10), row(9), row(100)];
    const byName = selectPage(items, { ...DEFAULT_QUERY, ...nextSort(DEFAULT_QUERY, 'name') });
    assert.deepEqual(byName.rows.map((r) => r.name), ['site9.example', 'site10.example', 'site100.example']);
    assert.deepEqual(nextSort(DEFAULT_QUERY, 'lastHour'), { sort: 'lastHour', dir: 'desc' });
    assert.deepEqual(nextSort({ sort: 'name', dir: 'asc' }, 'name'), { sort: 'name', dir: 'desc' });
  });

  it('marks risk by the scores diagnose gives', () => {
    assert.equal(riskLevel(95), 'high');
    assert.equal(riskLevel(60), 'medium');
    assert.equal(riskLevel(10), 'low');
    assert.equal(riskLevel(0), null);
  });
});
