// The cache of the mail-log pass (commands/mail-flow-pass.ts): an unchanged log
// is answered with a flow that reads exactly as the scanned one — every sender
// and minute map, their order, each value built once on first read — and an
// entry that is damaged, foreign, or whose records do not add up to its head
// is a miss, noted and replaced, never a wrong answer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeFlow } from '../../service/analysis/mail-flow-codec.ts';
import type { MailFlow, SenderStats } from '../../service/analysis/mail-flow.ts';
import { prepareFlowPass, runFlowPass, type FlowPass, type FlowPassOptions } from '../../service/commands/mail-flow-pass.ts';
import { writeCacheEntry } from '../../service/sources/state-cache.ts';
import { generateMaillog } from '../bench/maillog-generator.ts';
import { readCacheText } from '../helpers/cache-text.ts';

const HOUR = 3_600_000;
const DAMAGED = 'mail log cache: a damaged entry was replaced';

let dir = '';
let options: FlowPassOptions;
let scanned: FlowPass;
let key = '';

const entryPath = (k: string) => join(options.stateDir, 'cache', `${k}.json`);
const stored = (f: MailFlow) => JSON.stringify(storeFlow(f));
/** Everything a reader sees of a sender, the lazily built hour maps included. */
const plain = (s: SenderStats | undefined) => s && { ...s, hourly: [...s.hourly], limitRejectedHourly: [...s.limitRejectedHourly] };

async function pass(o: FlowPassOptions = options): Promise<FlowPass> {
  return runFlowPass(await prepareFlowPass(o));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-flow-cache-'));
  // Scripts (uid pickups, so per-minute maps), SMTP AUTH mailboxes, inbound clients.
  const log = join(dir, 'maillog');
  const gen = generateMaillog(log, 768 * 1024);
  // Its ~15 minutes hold no OMC limit refusal: two of a mailbox's messages refused, after them.
  const stamp = (ms: number) => new Date(ms).toUTCString().replace(/^\w+, (\d+) (\w+) \d+ ([\d:]+) GMT$/, (_, d: string, m: string, hms: string) => `${m} ${d.padStart(2, ' ')} ${hms}`);
  const refused = (ms: number, qid: string) => [
    `${stamp(ms)} plesk01 postfix/smtpd[222]: ${qid}: client=unknown[203.0.113.9], sasl_method=PLAIN, sasl_username=limited@site7.example.jp`,
    `${stamp(ms)} plesk01 /usr/lib64/plesk-9.0/psa-pc-remote[222]: REJECT during call 'limit-out' handler`,
    `${stamp(ms)} plesk01 postfix/cleanup[223]: ${qid}: milter-reject: END-OF-MESSAGE from unknown[203.0.113.9]: 5.7.0 Your message could not be sent. The limit on the number of allowed outgoing messages was exceeded. Try again later.; from=<limited@site7.example.jp> to=<x@example.com> proto=ESMTP helo=<client>`,
  ];
  const end = gen.lastMs + 2 * HOUR;
  await appendFile(log, [...refused(gen.lastMs + HOUR, 'FFFFFF0001'), ...refused(end, 'FFFFFF0002'), ''].join('\n'));
  options = {
    patterns: [log], zone: 'UTC', referenceMs: end, until: end,
    minuteWindow: { from: end - 48 * HOUR, to: end }, stateDir: join(dir, 'state'), threads: 1,
  };
  scanned = await pass();
  key = (await prepareFlowPass(options)).key!;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mail-flow cache', () => {
  it('answers an unchanged log with a flow that reads exactly as the scanned one', async () => {
    assert.equal(scanned.cache, 'stored');
    const kinds = new Set([...scanned.flow.senders.values()].map((s) => s.kind));
    assert.deepEqual([...kinds].sort(), ['client', 'sasl', 'uid'], 'every kind of sender is in the log');
    assert.ok(scanned.flow.minuteByUid.size > 10, `${scanned.flow.minuteByUid.size} UIDs with per-minute counts`);

    const hit = await pass();
    assert.equal(hit.cache, 'hit');
    assert.ok(hit.notes.includes('mail log: 1 unchanged file(s), answered from the cache'), hit.notes.join('\n'));
    const a = scanned.flow;
    const b = hit.flow;
    // Single reads first (what diagnose does), before anything walks the whole map.
    for (const key1 of ['uid:10007', 'sasl:limited@site7.example.jp']) {
      assert.ok(a.senders.get(key1)!.messages > 1, key1);
      assert.deepEqual(plain(b.senders.get(key1)), plain(a.senders.get(key1)), key1);
      assert.equal(b.senders.get(key1), b.senders.get(key1), 'the same object on every read');
    }
    assert.equal(b.senders.get('sasl:limited@site7.example.jp')!.limitRejectedHourly.size, 2);
    assert.ok(b.senders.get('uid:10007')!.hourly.size > 0);
    assert.equal(b.senders.has('uid:4294967295'), false);
    assert.equal(b.senders.get('uid:4294967295'), undefined);
    const minuteUid = [...a.minuteByUid.keys()].at(-1)!;
    assert.deepEqual([...b.minuteByUid.get(minuteUid)!], [...a.minuteByUid.get(minuteUid)!]);
    assert.equal(b.minuteByUid.get(minuteUid), b.minuteByUid.get(minuteUid));
    assert.equal(b.minuteByUid.get(-1), undefined);

    assert.equal(b.senders.size, a.senders.size);
    assert.deepEqual([...b.senders.keys()], [...a.senders.keys()]);
    const visited: string[] = [];
    b.senders.forEach((s, k, map) => {
      assert.equal(map, b.senders);
      assert.equal(k, `${s.kind}:${s.id}`);
      visited.push(k);
    });
    assert.deepEqual(visited, [...a.senders.keys()]);
    assert.deepEqual([...b.senders].map(([k, s]) => [k, plain(s)]), [...a.senders].map(([k, s]) => [k, plain(s)]));
    assert.deepEqual([...b.minuteByUid].map(([k, m]) => [k, [...m]]), [...a.minuteByUid].map(([k, m]) => [k, [...m]]));
    assert.equal(stored(b), stored(a));
    assert.deepEqual({ files: hit.files, readable: hit.readable }, { files: scanned.files, readable: scanned.readable });
  });

  it('replaces an entry with a flipped byte (a miss, noted) and answers the same', async () => {
    const bytes = await readFile(entryPath(key));
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0x20;
    await writeFile(entryPath(key), bytes);
    const again = await pass();
    assert.equal(again.cache, 'stored');
    assert.ok(again.notes.includes(DAMAGED), again.notes.join('\n'));
    assert.equal(stored(again.flow), stored(scanned.flow));
    assert.equal((await pass()).cache, 'hit');
  });

  it('replaces an entry whose records do not add up to its head, though its checksum is right', async () => {
    const entry = await readCacheText(join(options.stateDir, 'cache'), key);
    assert.ok(entry.text !== null);
    const lines = entry.text.split('\n');
    assert.equal(lines.at(-1), '', 'each line ends with a newline');
    // The records, then the head (their lengths are known once they are written).
    const headLengths = (JSON.parse(lines.at(-2)!) as { lengths: number[] }).lengths;
    assert.equal(lines.length - 2, headLengths.length, 'a record per length');
    const variants = [
      `[]\n${entry.text}`,                                   // a record more than the head counts
      lines.slice(1).join('\n'),                              // a record less
      entry.text.replace(/\n\[/, '\n[ '),                     // a record longer than its length
      `${entry.text}[]\n`,                                   // no head at the end
      `${entry.text}{"lengths":\n`,                          // a head that does not parse
    ];
    for (const text of variants) {
      await writeCacheEntry(join(options.stateDir, 'cache'), key, text);
      const again = await pass();
      assert.equal(again.cache, 'stored');
      assert.ok(again.notes.includes(DAMAGED), again.notes.join('\n'));
      assert.equal(stored(again.flow), stored(scanned.flow));
    }
  });

  it("replaces another key's entry put under this key's name", async () => {
    const other = { ...options, since: options.referenceMs - HOUR };
    const otherPass = await pass(other);
    assert.equal(otherPass.cache, 'stored');
    await copyFile(entryPath((await prepareFlowPass(other)).key!), entryPath(key));
    const again = await pass();
    assert.equal(again.cache, 'stored');
    assert.ok(again.notes.includes(DAMAGED), again.notes.join('\n'));
    assert.equal(stored(again.flow), stored(scanned.flow));
    assert.notEqual(stored(otherPass.flow), stored(scanned.flow), 'the other entry held another answer');
  });
});
