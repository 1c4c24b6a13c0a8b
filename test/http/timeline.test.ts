// GET /api/subscriptions/:id/timeline: hourly OMC statistics with null for
// hours Plesk has not collected yet, events (limit hits, peaks, actions), and
// minute steps only where the mail log was read per minute.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TimelineResponseSchema, type AuditEntry } from '../../service/http/contract.ts';
import { createSnapshotView } from '../../service/http/cache/snapshot-view.ts';
import { buildTimeline } from '../../service/http/timeline.ts';
import { formatIso, HOUR } from '../../service/time.ts';
import { build, recordingActions } from './build.ts';
import { fakeSnapshot, ID } from './fake-world.ts';

const q = (from: string, to: string, step = 'hour') => `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&step=${step}`;
const action: AuditEntry = { at: Date.parse('2022-02-03T21:15:00+09:00'), time: '2022-02-03T21:15:00+09:00', actor: 'panel:client:c1#4', action: 'quarantine', target: '/var/www/vhosts/c1.example/httpdocs/contact/mail.php', subscription: 'c1.example', dryRun: false, result: 'done', reason: null, details: {} };

describe('timeline', () => {
  it('gives passed/rejected per hour from psa, and null for hours not collected yet', async (t) => {
    const s = await build(t);
    const r = await s.inject({ url: `/api/subscriptions/10/timeline?${q('2022-02-03T16:00:00+09:00', '2022-02-03T21:30:00+09:00')}`, as: ID.c1 });
    assert.equal(r.statusCode, 200, r.body);
    const body = TimelineResponseSchema.parse(JSON.parse(r.body));
    assert.deepEqual(body.points.map((p) => [p.t.slice(11, 16), p.passed, p.rejected]), [
      ['16:00', 300, 0], ['17:00', 300, 0], ['18:00', 500, 19500], ['19:00', 500, 19500], ['20:00', 500, 19500], ['21:00', null, null],
    ]);
    assert.equal(body.source, 'psa-hourly-statistics');
    assert.equal(body.points[2]!.limit, 500);
    assert.match(body.notes.join(' '), /last collected hour starts 2022-02-03T20:00:00\+09:00/);
  });

  it('marks the start of the limit hit, the peak and the actions taken as events', async (t) => {
    const s = await build(t, { actions: recordingActions({ audit: [action, { ...action, subscription: 'c2.example' }] }) });
    const body = TimelineResponseSchema.parse(JSON.parse((await s.inject({ url: `/api/subscriptions/10/timeline?${q('2022-02-03T12:00:00+09:00', '2022-02-03T21:30:00+09:00')}`, as: ID.c1 })).body));
    assert.deepEqual(body.events.map((e) => [e.at, e.kind, e.level]), [
      ['2022-02-03T18:00:00+09:00', 'limit-hit', 'subscription'],
      ['2022-02-03T18:17:00+09:00', 'peak-begin', 'subscription'],
      ['2022-02-03T21:15:00+09:00', 'action', null],
    ]);
    assert.match(body.events[0]!.detail, /^58500 message\(s\) refused over 3 hour\(s\) \(limit 500\/hour\)$/);
    assert.deepEqual(body.events[2]!.action, { name: 'quarantine', result: 'done', dryRun: false, actor: 'panel:client:c1#4', target: action.target });
  });

  it('reuses a prepared body while the snapshot, the rows and the audit log are the same, and not after', async (t) => {
    let records: AuditEntry[] = [];
    const s = await build(t, { actions: { ...recordingActions(), readAudit: async () => ({ records, warnings: [] }) } });
    const url = `/api/subscriptions/10/timeline?${q('2022-02-03T12:00:00+09:00', '2022-02-03T21:30:00+09:00')}`;
    const get = async () => {
      const r = await s.inject({ url, as: ID.c1 });
      assert.equal(r.statusCode, 200, r.body);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      return TimelineResponseSchema.parse(JSON.parse(r.body));
    };
    const actions = (b: { events: Array<{ kind: string }> }) => b.events.filter((e) => e.kind === 'action').length;
    const first = await get();
    assert.equal(actions(first), 0);
    // The audit reader hands out a new array when the file changes; the same array means the same log.
    records.push(action);
    assert.deepEqual(await get(), first, 'the body made for these inputs is sent again');
    records = [action];
    assert.equal(actions(await get()), 1, 'a changed audit log makes a new body');
    // A new snapshot with other hourly counts makes a new body too.
    const data = fakeSnapshot();
    const series = data.hourly.get(10)!;
    const passed = Int32Array.from(series.passed, (n) => n + 7);
    data.hourly.set(10, { ...series, passed });
    const before = (await get()).points.find((p) => p.passed !== null)!;
    s.cache.view = createSnapshotView(data, 2, Date.now());
    const after = (await get()).points.find((p) => p.t === before.t)!;
    assert.equal(after.passed, before.passed! + 7);
    // Another range of the same subscription is its own body.
    const other = await s.inject({ url: `/api/subscriptions/10/timeline?${q('2022-02-03T18:00:00+09:00', '2022-02-03T21:30:00+09:00')}`, as: ID.c1 });
    assert.equal(TimelineResponseSchema.parse(JSON.parse(other.body)).points.length, 4);
  });

  it('shows a mailbox-level peak that began and ended in the range', async (t) => {
    const s = await build(t);
    const body = TimelineResponseSchema.parse(JSON.parse((await s.inject({ url: `/api/subscriptions/12/timeline?${q('2022-02-03T00:00:00+09:00', '2022-02-03T06:00:00+09:00')}`, as: ID.c3 })).body));
    assert.deepEqual(body.events.map((e) => [e.kind, e.level, e.detail]), [
      ['peak-begin', 'mailbox', 'over the mailbox limit: info@c3.example'],
      ['peak-end', 'mailbox', 'back under the mailbox limit: info@c3.example (92 refused during the peak)'],
    ]);
  });

  it('gives minute steps from the mail log inside the last 48 hours only', async (t) => {
    const s = await build(t);
    const ok = TimelineResponseSchema.parse(JSON.parse((await s.inject({ url: `/api/subscriptions/10/timeline?${q('2022-02-03T21:00:00+09:00', '2022-02-03T21:30:00+09:00', 'minute')}`, as: ID.c1 })).body));
    assert.equal(ok.points.length, 30);
    assert.ok(ok.points.every((p) => p.submitted === 5 && p.passed === null && p.rejected === null));
    assert.equal(ok.source, 'maillog-pickups');
    const old = await s.inject({ url: `/api/subscriptions/10/timeline?${q('2022-01-30T21:00:00+09:00', '2022-01-30T22:00:00+09:00', 'minute')}`, as: ID.c1 });
    assert.equal(old.statusCode, 400);
    assert.equal(JSON.parse(old.body).error.message, 'Invalid request: query.from/to: minute steps are available from 2022-02-01T21:30:00+09:00 to 2022-02-03T21:30:00+09:00');
  });

  it('says minute steps are unavailable when the mail log had nothing recent, and points to hours', async (t) => {
    const s = await build(t, { snapshot: fakeSnapshot({ withMinutes: false }) });
    const r = await s.inject({ url: '/api/subscriptions/10/timeline?step=minute', as: ID.c1 });
    assert.equal(r.statusCode, 400);
    assert.match(JSON.parse(r.body).error.message, /minute steps are not available .*use step=hour/);
    const body = TimelineResponseSchema.parse(JSON.parse((await s.inject({ url: '/api/subscriptions/10/timeline', as: ID.c1 })).body));
    assert.equal(body.available.minute, null);
    assert.equal(body.points.length, 7 * 24 + 1, 'the default: the last seven days by hour (the first step is the one holding `from`)');
  });

  it('refuses a range that ends before it starts, a bad instant and an unknown step', async (t) => {
    const s = await build(t);
    const cases: Array<[string, RegExp]> = [
      [q('2022-02-03T20:00:00+09:00', '2022-02-03T19:00:00+09:00'), /from: must be before/],
      ['from=yesterday', /query\.from: not an ISO-8601 instant/],
      ['step=second', /query\.step/],
    ];
    for (const [query, message] of cases) {
      const r = await s.inject({ url: `/api/subscriptions/10/timeline?${query}`, as: ID.c1 });
      assert.equal(r.statusCode, 400, query);
      assert.match(JSON.parse(r.body).error.message, message);
    }
  });

  it('writes every step as formatIso would, across a change to summer time', () => {
    const zone = 'Europe/Berlin';
    const now = Date.parse('2022-03-28T12:00:00+02:00');
    const snapshot = { now, zone, peaks: new Map(), minute: null, stats: { from: now - 35 * 24 * HOUR, lastCollected: now } };
    const r = buildTimeline({ subscriptionId: 1, snapshot, series: null, audit: [], query: { from: '2022-03-26T22:00:00+01:00', to: '2022-03-27T06:00:00+02:00', step: 'hour' } });
    const start = Date.parse('2022-03-26T22:00:00+01:00');
    assert.deepEqual(r.points.map((p) => p.t), Array.from({ length: 7 }, (_, i) => formatIso(start + i * HOUR, zone)));
    assert.deepEqual(r.points.slice(3, 6).map((p) => p.t.slice(11)), ['01:00:00+01:00', '03:00:00+02:00', '04:00:00+02:00'], 'the hour that does not exist is skipped');
  });

  it('counts hours in the server\'s zone, also where it is not a whole number of hours from UTC', () => {
    const zone = 'Asia/Kolkata';
    const now = Date.parse('2022-02-03T12:00:00+05:30');
    const hour = Date.parse('2022-02-03T10:00:00+05:30');   // 04:30 UTC
    const snapshot = {
      now, zone, peaks: new Map(), minute: null, stats: { from: now - 35 * 24 * HOUR, lastCollected: hour },
    };
    const series = { hours: Float64Array.of(hour), passed: Int32Array.of(7), rejected: Int32Array.of(1), limit: Int32Array.of(-1) };
    const r = buildTimeline({ subscriptionId: 1, snapshot, series, audit: [], query: { from: '2022-02-03T09:00:00+05:30', to: '2022-02-03T12:00:00+05:30', step: 'hour' } });
    assert.deepEqual(r.points.map((p) => [p.t, p.passed]), [['2022-02-03T09:00:00+05:30', 0], ['2022-02-03T10:00:00+05:30', 7], ['2022-02-03T11:00:00+05:30', null]]);
    assert.match(r.events[0]!.detail, /limit unlimited/);
  });
});
