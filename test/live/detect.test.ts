import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LiveCounters } from '../../service/live/counters.ts';
import { detect, type DetectInput } from '../../service/live/detect.ts';
import type { Incident, Transition } from '../../service/live/incident.ts';
import { createIngest } from '../../service/live/ingest.ts';
import { DEFAULT_SETTINGS } from '../../service/http/settings-store.ts';
import { HOUR, MINUTE } from '../../service/time.ts';
import { directory, phpLine, pickupLines, saslLines, SCRIPT, ZONE } from './live-world.ts';

const T0 = Date.parse('2022-02-01T00:00:00Z');

/** A watcher in miniature: lines in, detection at each `tick`, all transitions kept. */
function rig() {
  const counters = new LiveCounters();
  const dir = directory();
  counters.setDirectory(dir);
  const ingest = createIngest(counters, ZONE);
  let incidents = new Map<string, Incident>();
  const transitions: Transition[] = [];
  return {
    counters,
    feed(kind: 'maillog' | 'phpMailLog', lines: string[], now: number) {
      for (const l of lines) {
        const b = Buffer.from(l);
        ingest.line(kind, b, 0, b.length, { path: `/var/log/${kind}`, mtimeMs: now }, now);
      }
    },
    tick(now: number, hourly = false, extra: Partial<DetectInput> = {}) {
      const r = detect({ now, zone: ZONE, counters, directory: dir, settingsOf: () => DEFAULT_SETTINGS, incidents, dirty: counters.takeDirty(), hourly, ...extra });
      incidents = r.incidents;
      transitions.push(...r.transitions);
      return r.transitions;
    },
    transitions,
    get incidents() {
      return incidents;
    },
  };
}

describe('detect', () => {
  it('opens one burst for a script far above its own normal, says when the subscription reaches its limit, and resolves it once quiet', () => {
    const r = rig();
    // A week of a quiet contact form: 2 messages an hour.
    for (let h = 0; h < 7 * 24; h++) r.feed('phpMailLog', [phpLine(T0 + h * HOUR, SCRIPT), phpLine(T0 + h * HOUR + 20 * MINUTE, SCRIPT)], T0 + h * HOUR + HOUR);
    r.tick(T0 + 7 * 24 * HOUR, true);
    assert.equal(r.transitions.length, 0);
    // Then bots: 5 messages a second, through sendmail (pickups) and in mail.log.
    const start = T0 + 7 * 24 * HOUR + 5 * MINUTE;
    let opened: number | null = null;
    for (let s = 0; s < 600; s++) {
      const t = start + s * 1000;
      const pl: string[] = [];
      const ml: string[] = [];
      for (let k = 0; k < 5; k++) {
        pl.push(...pickupLines(t + k * 100, 10001, 'info@easytone.example'));
        ml.push(phpLine(t + k * 100, SCRIPT));
      }
      r.feed('maillog', pl, t + 999);
      r.feed('phpMailLog', ml, t + 999);
      const tr = r.tick(t + 999);
      if (opened === null && tr.some((x) => x.type === 'opened')) opened = t + 999;
    }
    assert.ok(opened !== null && opened - start <= 15_000, `opened ${opened === null ? 'never' : `${(opened - start) / 1000} s`} after the first message`);
    const bursts = r.transitions.filter((x) => x.incident.kind === 'burst');
    assert.deepEqual(bursts.filter((x) => x.type === 'opened').map((x) => x.incident.source?.kind), ['script']);   // the script, not its UID as well
    const inc = bursts[0]!.incident;
    assert.equal(inc.subscriptionId, 10);
    assert.ok(inc.confidence! >= 0.9, `confidence ${inc.confidence}`);
    assert.ok(inc.figures.reachesLimitAt !== null && inc.figures.reachesLimitAt - opened! <= 30 * MINUTE, 'says when the limit of 500/h is reached');
    assert.match(inc.reason.en, /reaches its limit of 500 messages per hour at \d\d:\d\d/);
    assert.match(inc.reason.ja, /上限/);
    // Quiet again: resolved once, after the quiet period, and nothing else is sent meanwhile.
    const end = start + 600_000;
    for (let m = 1; m <= 15; m++) r.tick(end + m * MINUTE);
    const again = r.transitions.filter((x) => x.incident.id === inc.id);
    assert.deepEqual(again.map((x) => x.type).filter((t) => t !== 'escalated'), ['opened', 'resolved']);
    assert.ok(again.filter((x) => x.type === 'escalated').length <= 3);
  });

  it('does not call an established sender at its usual peak a burst', () => {
    const r = rig();
    // A busy shop: every day at 10:00 UTC, 2,400 order confirmations in one hour (40/min).
    for (let d = 0; d < 9; d++) {
      const lines: string[] = [];
      for (let i = 0; i < 2400; i++) lines.push(...pickupLines(T0 + d * 24 * HOUR + 10 * HOUR + i * 1500, 10002, 'orders@shop.example'));
      r.feed('maillog', lines, T0 + d * 24 * HOUR + 11 * HOUR);
      if (d < 8) r.tick(T0 + d * 24 * HOUR + 11 * HOUR);
    }
    const day8 = r.transitions.length;
    r.transitions.length = 0;
    r.tick(T0 + 8 * 24 * HOUR + 10 * HOUR + 30 * MINUTE);
    assert.equal(r.transitions.filter((x) => x.incident.kind === 'burst').length, 0, 'day 9 is like the days before');
    assert.ok(day8 >= 1, 'the first day, with no history, was flagged');
  });

  it('opens one block on limit-out rejects, escalates as refusals pile up, resolves after 30 quiet minutes', () => {
    const r = rig();
    const t = T0 + 3 * HOUR;
    const lines: string[] = [];
    for (let i = 0; i < 150; i++) lines.push(...pickupLines(t + i * 400, 10001, 'info@easytone.example', true));
    r.feed('maillog', lines, t + MINUTE);
    r.tick(t + MINUTE);
    const blocks = () => r.transitions.filter((x) => x.incident.kind === 'block');
    assert.deepEqual(blocks().map((x) => x.type), ['opened']);
    assert.equal(blocks()[0]!.incident.subscriptionId, 10);
    assert.equal(blocks()[0]!.incident.source?.id, '10001');
    assert.equal(blocks()[0]!.incident.figures.count, 150);
    r.tick(t + 2 * MINUTE);
    assert.equal(blocks().length, 1, 'nothing new: no second message');
    const more: string[] = [];
    for (let i = 0; i < 1500; i++) more.push(...pickupLines(t + 2 * MINUTE + i * 40, 10001, 'info@easytone.example', true));
    r.feed('maillog', more, t + 3 * MINUTE);
    for (let m = 3; m <= 20; m++) r.tick(t + m * MINUTE);
    assert.deepEqual(blocks().map((x) => x.type), ['opened', 'escalated']);   // 1,650 refused ≥ 10 × 150
    r.tick(t + 33 * MINUTE);
    assert.deepEqual(blocks().map((x) => x.type), ['opened', 'escalated', 'resolved']);
  });

  it('flags probing of a vhost and attaches it as context to a burst of the same subscription', () => {
    const r = rig();
    const t = T0 + 5 * HOUR;
    for (let i = 0; i < 300; i++) {
      r.counters.addAccess({ ts: t + i * 500, ip: `198.51.100.${i % 200}`, user: null, method: 'GET', path: `/wp-${i}.php`, query: null, request: null, status: 404, bytes: 0, referrer: null, userAgent: null, vhost: 'easytone.example' }, t + 3 * MINUTE);
    }
    r.tick(t + 150_000);
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) lines.push(phpLine(t + 150_000 + i * 200, SCRIPT));
    r.feed('phpMailLog', lines, t + 200_000);
    r.tick(t + 200_000);
    const probe = r.transitions.find((x) => x.incident.kind === 'probing');
    assert.ok(probe);
    assert.equal(probe.incident.subscriptionId, 10);
    const burst = r.transitions.find((x) => x.incident.kind === 'burst');
    assert.ok(burst);
    assert.match(burst.incident.context[0] ?? '', /probing: \d+ requests\/min .*easytone\.example/);
  });

  it('an SMTP-AUTH mailbox sending at a normal rate raises nothing', () => {
    const r = rig();
    const lines: string[] = [];
    for (let i = 0; i < 20; i++) lines.push(...saslLines(T0 + i * 30_000, 'sales@shop.example'));
    r.feed('maillog', lines, T0 + 10 * MINUTE);
    r.tick(T0 + 10 * MINUTE, true);
    assert.equal(r.transitions.length, 0);
  });
});
