// A generated month of logs (real-shaped Postfix and PHP mail.log lines, fed
// through the parsers), detection every 10 minutes and hourly: the slow leak is
// flagged within about a day and a half of starting; a weekly daytime
// newsletter, a busy human mailbox and a daytime web form are not leaks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LiveCounters } from '../../service/live/counters.ts';
import { detect } from '../../service/live/detect.ts';
import type { Incident, Transition } from '../../service/live/incident.ts';
import { createIngest } from '../../service/live/ingest.ts';
import { DEFAULT_SETTINGS } from '../../service/http/settings-store.ts';
import { DAY, HOUR, MINUTE, wallClock } from '../../service/time.ts';
import { directory, phpLine, pickupLines, saslLines, SCRIPT, ZONE } from './live-world.ts';

const START = Date.parse('2022-02-01T00:00:00+09:00');   // a Tuesday, midnight in Tokyo
const DAYS = 30;
const LEAK_FROM = START + 12 * DAY + 14 * HOUR;           // day 12, 14:00: ~30 messages an hour from then on

describe('slow leak over a month of logs', () => {
  it('flags the leaking script once, and not the newsletter, the busy mailbox or the daytime form', () => {
    const counters = new LiveCounters();
    const dir = directory();
    counters.setDirectory(dir);
    const ingest = createIngest(counters, ZONE);
    let incidents = new Map<string, Incident>();
    const transitions: Transition[] = [];
    const generated = { leak: 0, newsletter: 0, mailbox: 0, form: 0 };
    const feed = (kind: 'maillog' | 'phpMailLog', lines: string[], now: number) => {
      for (const l of lines) {
        const b = Buffer.from(l);
        ingest.line(kind, b, 0, b.length, { path: `/var/log/${kind}`, mtimeMs: now }, now);
      }
    };
    for (let t = START; t < START + DAYS * DAY; t += 10 * MINUTE) {
      const w = wallClock(t, ZONE);
      const weekday = new Date(Date.UTC(w.y, w.mo - 1, w.d)).getUTCDay();   // 0 Sunday
      const mail: string[] = [];
      const php: string[] = [];
      // The leak: 5 messages every 10 minutes, day and night (mail.log names the script; the UID picks them up).
      if (t >= LEAK_FROM) for (let k = 0; k < 5; k++) {
        const at = t + k * 97_000;
        php.push(phpLine(at, SCRIPT));
        mail.push(...pickupLines(at, 10001, 'info@easytone.example'));
        generated.leak++;
      }
      // The newsletter: Mondays 10:00–10:50, 1,500 messages from its system user.
      if (weekday === 1 && w.h === 10) for (let k = 0; k < 250; k++) {
        mail.push(...pickupLines(t + k * 2000, 10003, 'letter@news.example'));
        generated.newsletter++;
      }
      // A busy person: weekdays 9–18, 40 messages an hour over SMTP AUTH, and now and then one at 23:00.
      if (weekday >= 1 && weekday <= 5 && ((w.h >= 9 && w.h < 18) || (w.h === 23 && w.mi === 0 && w.d % 3 === 0))) for (let k = 0; k < (w.h === 23 ? 1 : 7); k++) {
        mail.push(...saslLines(t + k * 80_000, 'sales@shop.example'));
        generated.mailbox++;
      }
      // A contact form used by people: a few messages in daytime hours.
      if (w.h >= 8 && w.h < 22 && w.mi % 20 === 0) {
        mail.push(...pickupLines(t + 3 * MINUTE, 10002, 'form@shop.example'));
        generated.form++;
      }
      const now = t + 10 * MINUTE;
      feed('maillog', mail, now);
      feed('phpMailLog', php, now);
      const r = detect({ now, zone: ZONE, counters, directory: dir, settingsOf: () => DEFAULT_SETTINGS, incidents, dirty: counters.takeDirty(), hourly: now % HOUR === 0 });
      incidents = r.incidents;
      transitions.push(...r.transitions);
    }
    // The generator's counts made it through the parser into the counters.
    assert.equal(counters.sources.get(`script:${SCRIPT}`)!.messages.total, generated.leak);
    assert.equal(counters.sources.get('uid:10003')!.messages.total, generated.newsletter);
    assert.equal(counters.sources.get('sasl:sales@shop.example')!.messages.total, generated.mailbox);
    assert.equal(ingest.stats.maillog.garbled + ingest.stats.phpMailLog.garbled, 0);

    const leaks = transitions.filter((x) => x.incident.kind === 'slow-leak' && x.type === 'opened');
    assert.equal(leaks.length, 1, leaks.map((x) => x.incident.source?.label).join(', '));
    const leak = leaks[0]!.incident;
    assert.deepEqual([leak.source?.kind, leak.source?.id, leak.subscriptionId], ['script', SCRIPT, 10]);
    const after = (leak.openedAt - LEAK_FROM) / HOUR;
    assert.ok(after >= 24 && after <= 40, `flagged ${after} h after the leak began`);
    assert.ok(Math.abs(leak.figures.perHour! - 30) <= 1, `perHour ${leak.figures.perHour}`);
    assert.match(leak.reason.en, /about 30 messages an hour, through the night/);
    // Still open at the end of the month: the leak never stopped.
    assert.equal([...incidents.values()].find((i) => i.id === leak.id)?.state, 'open');
    // The newsletter: a burst the very first Monday (nothing known yet), never again after.
    const newsletterBursts = transitions.filter((x) => x.incident.source?.id === '10003' && x.type === 'opened');
    assert.ok(newsletterBursts.length <= 1, `${newsletterBursts.length} newsletter incidents`);
    assert.ok(newsletterBursts.every((x) => x.incident.kind === 'burst' && x.incident.openedAt < START + 7 * DAY));
    assert.equal(transitions.filter((x) => x.incident.source?.id === 'sales@shop.example').length, 0);
    assert.equal(transitions.filter((x) => x.incident.source?.id === '10002').length, 0);
  });
});
