import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SenderKind, SenderStats } from '../../service/analysis/mail-flow.ts';
import { BucketCounts } from '../../service/analysis/counters.ts';
import { SenderAcc } from '../../service/analysis/sender-acc.ts';
import { SubmitLog } from '../../service/analysis/submit-log.ts';

const HOUR = 3_600_000;

/** Everything a sender's numbers say (its hours are counted elsewhere: hour-log.ts), every Map as its entries in order. */
function plain(acc: SenderAcc) {
  const s: SenderStats = acc.toStats(new BucketCounts(HOUR));
  return {
    ...s, hourly: [...s.hourly], limitRejectedHourly: [...s.limitRejectedHourly],
    fromAddresses: [...s.fromAddresses], clientIps: [...s.clientIps], scripts: [...s.scripts],
  };
}

/** A deterministic stream of submissions to `senders` senders: runs of one address, 60 addresses (past TopK's 20), late messages. */
function submissions(count: number, senders: number, seed: number) {
  let x = seed;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const out: Array<{ s: number; at: number; recipients: number; from: string | null; ip: string }> = [];
  let t = Date.UTC(2022, 0, 20);
  for (let i = 0; i < count; i++) {
    t += Math.floor(rnd() * 90_000);
    const s = Math.floor(rnd() * rnd() * senders);
    // One message in ten is tallied late (retries): its hour may be before the sender's last one.
    const at = rnd() < 0.1 ? t - Math.floor(rnd() * 5 * HOUR) : t;
    const from = rnd() < 0.05 ? null : `u${s}-${rnd() < 0.7 ? 0 : Math.floor(rnd() * 60)}@site${s}.example`;
    out.push({ s, at, recipients: 1 + Math.floor(rnd() * 3), from, ip: `203.0.113.${Math.floor(rnd() * 40)}` });
  }
  return out;
}

const KINDS: SenderKind[] = ['uid', 'sasl', 'client'];
const makeSenders = (n: number) => Array.from({ length: n }, (_, i) => new SenderAcc(KINDS[i % 3]!, `s${i}`, i));

describe('SubmitLog', () => {
  it('leaves every sender exactly as calling submitted at once would, whatever the capacity', () => {
    const stream = submissions(20_000, 37, 7);
    const direct = makeSenders(37);
    for (const m of stream) direct[m.s]!.submitted(m.at, m.recipients, m.from, m.ip);
    const expected = direct.map(plain);
    // The stream must reach the case that depends on order: a sender with more addresses than its TopK keeps.
    assert.ok(expected.some((s) => s.fromAddresses.length === 20 && s.messages > 500), 'a sender past TopK\'s 20 addresses');
    for (const capacity of [1, 7, 1000, 1 << 16]) {
      const log = new SubmitLog(capacity);
      const grouped = makeSenders(37);
      for (const m of stream) log.add(grouped[m.s]!, m.at, m.recipients, m.from, m.ip);
      log.flush();
      assert.deepEqual(grouped.map(plain), expected, `capacity ${capacity}`);
    }
  });

  it('applies nothing before a flush, then everything once', () => {
    const log = new SubmitLog(100);
    const [a, b] = makeSenders(2);
    log.add(a!, Date.UTC(2022, 0, 20, 10), 2, 'x@example.jp', '');
    log.add(b!, Date.UTC(2022, 0, 20, 11), 1, 'y@example.jp', '');
    log.add(a!, Date.UTC(2022, 0, 20, 12), 3, 'x@example.jp', '');
    assert.equal(a!.messages + b!.messages, 0);
    log.flush();
    log.flush();
    assert.deepEqual([a!.messages, a!.recipients, b!.messages, b!.recipients], [2, 5, 1, 1]);
  });

  it('flushes by itself when full, and handles senders numbered past its first count table', () => {
    const log = new SubmitLog(4);
    const senders = Array.from({ length: 3000 }, (_, i) => new SenderAcc('client', `10.0.${i >> 8}.${i & 255}`, i));
    for (let i = 0; i < 4; i++) log.add(senders[2999 - i]!, Date.UTC(2022, 0, 20, i), 1, null, '');
    assert.deepEqual(senders.slice(2996).map((s) => s.messages), [1, 1, 1, 1]);
    log.add(senders[0]!, Date.UTC(2022, 0, 20), 1, null, '');
    assert.equal(senders[0]!.messages, 0);
  });
});
