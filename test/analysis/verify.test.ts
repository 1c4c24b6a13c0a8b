// After an action: "0 messages since 22:15" or "still sending: N in the last 10 minutes".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seriesFromMailFlow, verifyActions, type ActionToVerify, type SenderSeries } from '../../service/analysis/verify.ts';
import type { MailFlow } from '../../service/analysis/mail-flow.ts';
import { MINUTE, HOUR, parseIsoInstant } from '../../service/time.ts';

const zone = 'Asia/Tokyo';
const at = (hhmm: string) => parseIsoInstant(`2022-02-03T${hhmm}:00+09:00`, zone)!;
const minutes = (counts: Record<string, number>): SenderSeries => ({ resolutionMs: MINUTE, buckets: new Map(Object.entries(counts).map(([t, n]) => [at(t), n])), from: null });
const quarantine = (time: string, extra: Partial<ActionToVerify> = {}): ActionToVerify => ({
  at: at(time), action: 'quarantine', target: '/var/www/vhosts/sk-seikan.jp/httpdocs/mail.php', watch: ['script:/var/www/vhosts/sk-seikan.jp/httpdocs/mail.php', 'uid:10001'],
  dryRun: false, result: 'done', ...extra,
});

describe('verifyActions', () => {
  it('says "0 messages since 22:15" when the source went quiet at the action', () => {
    const series = new Map([['uid:10001', [minutes({ '22:13': 6, '22:14': 5, '22:15': 0 })]]]);
    const [v] = verifyActions({ now: at('22:40'), zone, actions: [quarantine('22:15')], series, dataUntil: at('22:39') });
    assert.equal(v?.status, 'stopped');
    assert.equal(v?.watched, 'uid:10001');
    assert.equal(v?.text.en, '0 messages since 22:15');
    assert.equal(v?.text.ja, '22:15 以降 0 通');
  });

  it('says "still sending" with the count of the last 10 minutes when it did not stop', () => {
    const counts: Record<string, number> = {};
    for (let m = 15; m < 40; m++) counts[`22:${m}`] = 14;
    const series = new Map([['uid:10001', [minutes(counts)]]]);
    const [v] = verifyActions({ now: at('22:40'), zone, actions: [quarantine('22:15')], series, dataUntil: at('22:40') });
    assert.equal(v?.status, 'still-sending');
    assert.equal(v?.lastWindow.messages, 140);
    assert.equal(v?.messagesSince, 14 * 25);
    assert.match(v?.text.en ?? '', /^still sending: 140 in the last 10 minutes/);
  });

  it('counts only what came after the action, from the first whole minute after it', () => {
    const series = new Map([['uid:10001', [minutes({ '22:15': 9, '22:16': 2 })]]]);
    const [v] = verifyActions({ now: at('22:40'), zone, actions: [{ ...quarantine('22:15'), at: at('22:15') + 30_000 }], series, dataUntil: at('22:40') });
    assert.equal(v?.messagesSince, 2, 'the 22:15 minute also holds mail from before the action');
    assert.equal(v?.status, 'quiet-now');
    assert.match(v?.text.en ?? '', /2 messages since 22:16, none in the last/);
  });

  it('prefers the most specific watched series, and a finer one when it reaches back to the action', () => {
    const hourly: SenderSeries = { resolutionMs: HOUR, buckets: new Map([[at('22:00'), 300], [at('23:00'), 0]]), from: null };
    const series = new Map<string, SenderSeries[]>([
      ['script:/var/www/vhosts/sk-seikan.jp/httpdocs/mail.php', [{ ...minutes({ '22:20': 1 }), from: at('22:30') }, hourly]],
      ['uid:10001', [minutes({ '22:20': 50 })]],
    ]);
    const [v] = verifyActions({ now: at('23:30'), zone, actions: [quarantine('22:15')], series, dataUntil: at('23:30') });
    assert.equal(v?.watched, 'script:/var/www/vhosts/sk-seikan.jp/httpdocs/mail.php');
    assert.equal(v?.since, at('23:00'), 'the hourly series can only speak from the next whole hour');
    assert.equal(v?.text.en, '0 messages since 23:00');
  });

  it('does not claim success when the log has nothing after the action yet', () => {
    const [v] = verifyActions({ now: at('22:40'), zone, actions: [quarantine('22:15')], series: new Map(), dataUntil: at('22:10') });
    assert.equal(v?.status, 'unknown');
    assert.match(v?.text.en ?? '', /not known yet/);
  });

  it('reads a watched source absent from the flow as silent', () => {
    const [v] = verifyActions({ now: at('22:40'), zone, actions: [quarantine('22:15')], series: new Map([['uid:10002', [minutes({ '22:30': 3 })]]]), dataUntil: at('22:40') });
    assert.equal(v?.status, 'stopped');
    assert.equal(v?.watched, null);
  });

  it('skips dry runs, refusals and actions with nothing to watch', () => {
    const series = new Map([['uid:10001', [minutes({ '22:30': 3 })]]]);
    const out = verifyActions({ now: at('22:40'), zone, series, dataUntil: at('22:40'), actions: [
      quarantine('22:15', { dryRun: true }), quarantine('22:15', { result: 'refused' }), quarantine('22:15', { watch: [] }),
    ] });
    assert.deepEqual(out, []);
  });
});

describe('seriesFromMailFlow', () => {
  it('gives minutes for UIDs inside the minute window and hours for every sender', () => {
    const flow = {
      senders: new Map([['uid:10001', { hourly: new Map([[at('22:00'), 40]]) }], ['sasl:info@example.jp', { hourly: new Map([[at('21:00'), 2]]) }]]),
      minuteByUid: new Map([[10001, new Map([[at('22:14'), 7]])]]),
      lastTs: at('22:40'),
    } as unknown as MailFlow;
    const s = seriesFromMailFlow(flow, { from: at('21:00') });
    assert.deepEqual(s.get('uid:10001')?.map((x) => x.resolutionMs), [MINUTE, HOUR]);
    assert.equal(s.get('uid:10001')?.[0]?.from, at('21:00'));
    assert.deepEqual(s.get('sasl:info@example.jp')?.map((x) => x.resolutionMs), [HOUR]);
  });
});
