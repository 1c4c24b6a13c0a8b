// The list's order and filter (service/http/list-order.ts), which the sidecar
// applies to GET /api/subscriptions: pure functions over rows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ListItem } from '../../service/http/contract.ts';
import { hasProblem, naturalDir, nextSort, RANKED, selectRows, sortRows } from '../../service/http/list-order.ts';

function row(id: number, o: Partial<ListItem> = {}): ListItem {
  return {
    id, name: `site${id}.example`, owner: { login: `owner${id % 7}`, type: 'client' }, status: 'sending', blockedSince: null, blockedLevel: null,
    lastHour: { passed: id % 50, rejected: 0, limit: 500 }, cause: 'none', risk: 0, rejectedTotal: 0, topSource: null, leak: null, sources: 0, ...o,
  };
}
const ids = (rows: readonly ListItem[]) => rows.map((r) => r.id);

describe('list order and filter', () => {
  it('puts a blocked subscription first even when another scores a higher risk', () => {
    const items = [row(1, { risk: 99, cause: 'script' }), row(2, { risk: 95, status: 'not-sending', blockedSince: '2022-02-03T15:00:00+09:00' }), row(3)];
    assert.deepEqual(ids(selectRows(items, RANKED)), [2, 1, 3]);
    assert.deepEqual(ids(selectRows(items, { ...RANKED, dir: 'asc' })), [3, 1, 2]);
  });

  it('keeps an already ranked array as it is, and makes each order once', () => {
    const ranked = [row(2, { status: 'not-sending', risk: 95 }), row(1, { risk: 99 }), row(3)];
    assert.equal(sortRows(ranked, 'risk', 'desc'), ranked);
    const byName = sortRows(ranked, 'name', 'asc');
    assert.equal(sortRows(ranked, 'name', 'asc'), byName, 'the second ask is the same array');
    assert.deepEqual(ids(byName), [1, 2, 3]);
  });

  it('filters by name, owner or source, case-insensitively', () => {
    const items = [row(1), row(2, { topSource: { kind: 'script', label: '/var/www/vhosts/x/httpdocs/Mail.php', confidence: 0.9, messages: 10, perHour: 3 } }), row(3)];
    assert.deepEqual(ids(selectRows(items, { ...RANKED, text: 'mail.PHP' })), [2]);
    assert.deepEqual(ids(selectRows(items, { ...RANKED, text: ' SITE3 ' })), [3]);
    assert.equal(selectRows(items, { ...RANKED, text: 'owner1' }).length, 1);
    assert.equal(selectRows(items, { ...RANKED, text: 'nowhere' }).length, 0);
  });

  it('keeps only subscriptions with a problem when asked', () => {
    const items = [row(1), row(2, { leak: { since: '2022-01-01T00:00:00+09:00', perHour: 300, source: 'x' } }), row(3, { lastHour: { passed: 500, rejected: 20, limit: 500 } })];
    assert.deepEqual(ids(selectRows(items, { ...RANKED, problemsOnly: true })).sort(), [2, 3]);
    assert.equal(hasProblem(items[0]!), false);
  });

  it('sorts names naturally, and every column in both directions with a stable tie-break', () => {
    const items = [row(10), row(9), row(100)];
    assert.deepEqual(selectRows(items, { ...RANKED, ...nextSort(RANKED, 'name') }).map((r) => r.name), ['site9.example', 'site10.example', 'site100.example']);
    const many = Array.from({ length: 2_000 }, (_, i) => row(i + 1, {
      risk: (i * 7) % 100, lastHour: { passed: i % 13, rejected: i % 5, limit: 500 }, status: i % 97 === 0 ? 'not-sending' : 'sending',
      topSource: i % 3 === 0 ? { kind: 'script', label: `/x/${i}.php`, confidence: 0.9, messages: i % 17, perHour: null } : null,
    }));
    for (const sort of ['risk', 'name', 'owner', 'status', 'lastHour', 'source'] as const) {
      const asc = ids(selectRows(many, { ...RANKED, sort, dir: 'asc' }));
      const desc = ids(selectRows(many, { ...RANKED, sort, dir: 'desc' }));
      assert.equal(new Set(asc).size, 2_000, sort);
      assert.deepEqual(ids(selectRows([...many].reverse(), { ...RANKED, sort, dir: 'asc' })), asc, `${sort}: the order does not depend on the input's`);
      assert.notDeepEqual(asc, desc, sort);
    }
    const byRejected = selectRows(many, { ...RANKED, sort: 'lastHour', dir: 'desc' });
    for (let i = 1; i < byRejected.length; i++) assert.ok(byRejected[i - 1]!.lastHour.rejected >= byRejected[i]!.lastHour.rejected);
  });

  it('starts a new column in its natural direction, and flips the same one', () => {
    assert.deepEqual(nextSort(RANKED, 'lastHour'), { sort: 'lastHour', dir: 'desc' });
    assert.deepEqual(nextSort(RANKED, 'owner'), { sort: 'owner', dir: 'asc' });
    assert.deepEqual(nextSort({ sort: 'name', dir: 'asc' }, 'name'), { sort: 'name', dir: 'desc' });
    assert.equal(naturalDir('risk'), 'desc');
  });
});
