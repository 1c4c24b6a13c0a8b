import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LiveCounters, StoredCountersSchema } from '../../service/live/counters.ts';
import { createIngest } from '../../service/live/ingest.ts';
import { HOUR, MINUTE } from '../../service/time.ts';
import { directory, phpLine, pickupLines, saslLines, SCRIPT, ZONE } from './live-world.ts';
import { storeV1Counters } from './v1-checkpoint.ts';

const T0 = Date.parse('2022-02-03T12:00:00Z');   // 21:00 in Tokyo

function feed(c: LiveCounters, kind: 'maillog' | 'phpMailLog', lines: string[], now: number) {
  const ingest = createIngest(c, ZONE);
  for (const l of lines) {
    const b = Buffer.from(l);
    ingest.line(kind, b, 0, b.length, { path: '/var/log/maillog', mtimeMs: now }, now);
  }
  return ingest.stats;
}

describe('LiveCounters', () => {
  it('counts pickups per UID and per subscription, per minute and per hour, and ties limit rejects to the submitting UID by queue ID', () => {
    const c = new LiveCounters();
    c.setDirectory(directory());
    const lines: string[] = [];
    for (let i = 0; i < 120; i++) lines.push(...pickupLines(T0 + i * 1000, 10001, 'info@easytone.example', i % 4 === 0));
    for (let i = 0; i < 7; i++) lines.push(...saslLines(T0 + 30 * MINUTE + i * 1000, 'sales@shop.example'));
    const stats = feed(c, 'maillog', lines, T0 + HOUR);
    assert.equal(stats.maillog.garbled, 0);
    const uid = c.sources.get('uid:10001')!;
    assert.equal(uid.subscriptionId, 10);
    assert.equal(uid.messages.total, 120);
    assert.equal(uid.rejects!.total, 30);
    assert.equal(uid.messages.sumMinutes(T0, T0 + MINUTE), 60);
    assert.equal(uid.messages.sumMinutes(T0 + MINUTE, T0 + 2 * MINUTE), 60);
    assert.equal(uid.messages.hour(T0), 120);
    assert.equal(c.subscriptions.get(10)!.messages.total, 120);
    assert.equal(c.subscriptions.get(10)!.rejects.total, 30);
    assert.equal(c.sources.get('sasl:sales@shop.example')!.messages.total, 7);
    assert.equal(c.subscriptions.get(11)!.messages.total, 7);
    assert.equal(c.stats.handlerRejects, 30);            // seen, not counted twice
    assert.deepEqual(c.totals.get('10|system-user'), { messages: 120, rejects: 30 });
    assert.deepEqual(c.totals.get('11|mailbox'), { messages: 7, rejects: 0 });
    const dirty = c.takeDirty();
    assert.deepEqual(new Set(dirty.subscriptions), new Set([10, 11]));
    assert.deepEqual(c.takeDirty(), { sources: [], subscriptions: [] });
  });

  it('maps a PHP mail.log script to its subscription by path, and counts garbled lines without failing', () => {
    const c = new LiveCounters();
    c.setDirectory(directory());
    const stats = feed(c, 'phpMailLog', [phpLine(T0, SCRIPT), phpLine(T0 + 1000, SCRIPT), 'garbage line', phpLine(T0, '/tmp/elsewhere.php')], T0 + HOUR);
    assert.equal(stats.phpMailLog.garbled, 1);
    assert.equal(c.sources.get(`script:${SCRIPT}`)!.messages.total, 2);
    assert.equal(c.sources.get(`script:${SCRIPT}`)!.subscriptionId, 10);
    assert.equal(c.sources.get('script:/tmp/elsewhere.php')!.subscriptionId, null);
  });

  it('keeps at most maxSources sources, evicting the least recently active, and says how many it evicted', () => {
    const c = new LiveCounters({ maxSources: 100 });
    c.setDirectory(directory());
    const lines: string[] = [];
    for (let i = 0; i < 250; i++) lines.push(...saslLines(T0 + i * MINUTE, `user${i}@nowhere.example`));
    feed(c, 'maillog', lines, T0 + 10 * HOUR);
    assert.equal(c.sources.size, 100);
    assert.equal(c.stats.evicted, 150);
    assert.ok(c.sources.has('sasl:user249@nowhere.example'));
    assert.ok(!c.sources.has('sasl:user0@nowhere.example'));
    assert.equal(c.stats.unattributed, 250);
  });

  it('keeps per-minute data for 48 hours and per-hour data for 35 days, and ignores what is older', () => {
    const c = new LiveCounters();
    c.setDirectory(directory());
    const now = T0 + 40 * 24 * HOUR;
    const lines: string[] = [];
    for (let d = 0; d < 40; d++) lines.push(...pickupLines(T0 + d * 24 * HOUR, 10002, 'x@shop.example'));
    feed(c, 'maillog', lines, now);
    const s = c.sources.get('uid:10002')!;
    assert.ok(c.stats.tooOld >= 4 && c.stats.tooOld <= 5, `tooOld ${c.stats.tooOld}`);
    assert.ok(s.messages.hours.size <= 35);
    assert.ok(s.messages.minutes.size <= 48);
    assert.equal(s.messages.hourly(now - 35 * 24 * HOUR, now).size, s.messages.hours.size);
  });

  it('loads the counters of a format-1 checkpoint (before decision 013) with the same counts', () => {
    const c = new LiveCounters();
    c.setDirectory(directory());
    const lines: string[] = [];
    for (let i = 0; i < 50; i++) lines.push(...pickupLines(T0 + i * 7000, 10001, 'info@easytone.example', i % 5 === 0));
    feed(c, 'maillog', lines, T0 + HOUR);
    const stored = StoredCountersSchema.parse(JSON.parse(JSON.stringify(storeV1Counters(c))));
    const d = LiveCounters.load(stored);
    d.setDirectory(directory());
    assert.equal(d.sources.get('uid:10001')!.messages.total, 50);
    assert.equal(d.sources.get('uid:10001')!.subscriptionId, 10);
    assert.equal(d.subscriptions.get(10)!.rejects.total, 10);
    assert.equal(d.subscriptions.get(10)!.messages.sumMinutes(T0, T0 + 2 * MINUTE), c.subscriptions.get(10)!.messages.sumMinutes(T0, T0 + 2 * MINUTE));
    assert.deepEqual(d.totals, c.totals);
  });
});
