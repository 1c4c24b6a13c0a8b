// How fast could accumulating be? A measurement for the next step of issue 2
// (decision 018), not a part of the product. On a generated maillog
// (BENCH_MB, default 200), in the same process, BENCH_RUNS rounds (default 5)
// in turn:
//   parse        the product's parser over the file (read, split, parse)
//   parse + acc  the same, each event into the product's accumulator (createMailFlow)
//   floor        the core of accumulating over the same events held in typed
//                arrays (texts already interned to numbers): an open-addressing
//                table of messages by queue key with their fields as typed-array
//                rows, and on `removed` the sender's counters (messages,
//                recipients, sent, deferred, bounced, first and last, hour runs)
// It prints the accumulator's share (parse + acc − parse) and the floor, medians,
// and for how many senders the floor's messages, recipients and deliveries are right: the floor leaves out
// the top-N lists, content-filter copies, handoffs, limits and the time window, so
// it is a lower bound of a data-oriented accumulator, not one.
//   node --import ./test/helpers/register-ts.mjs test/bench/accumulator-floor.ts
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMailFlow, type MailFlow } from '../../service/analysis/mail-flow.ts';
import { LineSplitter } from '../../service/sources/line-splitter.ts';
import { EVENT_KINDS } from '../../service/sources/maillog-event.ts';
import { createMaillogEvent, LINE, MaillogLineParser, type MaillogEvent } from '../../service/sources/maillog-line.ts';
import { median } from './bench-runner.ts';
import { generateMaillog } from './maillog-generator.ts';

const MB = Number(process.env.BENCH_MB ?? 200);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const HOUR = 3_600_000;

// One event object for every round: a new one per round gets a map of its own, and after
// four the parser's stores into it are megamorphic (decision 018, "a harness artefact").
const event = createMaillogEvent();
const chunk = Buffer.allocUnsafe(1 << 20);

/** Reads and parses `file`, handing each event to `onEvent`; the number of events. */
function scan(file: string, onEvent: (e: MaillogEvent) => void): number {
  const parser = new MaillogLineParser('UTC');
  parser.startFile(Date.UTC(2022, 5, 1));
  let events = 0;
  const split = new LineSplitter(65_536, (buf, s, e) => {
    if (parser.parse(buf, s, e, event) !== LINE.event) return;
    events++;
    onEvent(event);
  }, () => {});
  const fd = openSync(file, 'r');
  try {
    let n;
    while ((n = readSync(fd, chunk, 0, chunk.length, null)) > 0) split.push(chunk, n);
  } finally {
    closeSync(fd);
  }
  return events;
}

/** The events as typed arrays; texts (sender identities, addresses) as numbers. */
function hold(file: string) {
  const max = 1 << 23;
  const kind = new Uint8Array(max);
  const key = new Float64Array(max);
  const ts = new Float64Array(max);
  const a = new Int32Array(max);
  const status = new Uint8Array(max);
  const ids = new Map<string, number>();
  const id = (text: string) => {
    let i = ids.get(text);
    if (i === undefined) ids.set(text, (i = ids.size));
    return i;
  };
  const textKeys = new Map<string, number>();
  let n = 0;
  scan(file, (e) => {
    if (n === max) throw new Error(`more than ${max} events: lower BENCH_MB`);
    kind[n] = EVENT_KINDS.indexOf(e.kind);
    // Long queue IDs are texts: a negative number each, distinct from the hex IDs' positive keys.
    key[n] = typeof e.qkey === 'number' ? e.qkey : -(textKeys.get(e.qkey) ?? (textKeys.set(e.qkey, textKeys.size + 1), textKeys.size));
    ts[n] = e.ts;
    if (e.kind === 'pickup') a[n] = id(`uid:${e.uid}`);
    else if (e.kind === 'client') a[n] = id(e.saslE > e.saslS ? `sasl:${e.sasl}` : `client:${e.clientIp}`);
    else if (e.kind === 'queued') a[n] = e.nrcpt;
    else if (e.kind === 'delivery') status[n] = e.status === 'sent' ? 1 : e.status === 'deferred' ? 2 : e.status === 'bounced' || e.status === 'expired' ? 3 : 0;
    n++;
  });
  return { n, kind, key, ts, a, status, names: [...ids.keys()] };
}

type Held = ReturnType<typeof hold>;
const K = { pickup: EVENT_KINDS.indexOf('pickup'), client: EVENT_KINDS.indexOf('client'), queued: EVENT_KINDS.indexOf('queued'), delivery: EVENT_KINDS.indexOf('delivery'), removed: EVENT_KINDS.indexOf('removed') };

/** The floor: messages and deliveries per sender id (the held texts' numbers). */
function floor(h: Held): { messages: Int32Array; sent: Float64Array; recipients: Float64Array } {
  const cap = 1 << 15;
  const mask = cap - 1;
  const used = new Uint8Array(cap);
  const qkey = new Float64Array(cap);
  const sender = new Int32Array(cap);
  const at = new Float64Array(cap);
  const rcpt = new Int32Array(cap);
  const sent = new Int32Array(cap);
  const deferred = new Int32Array(cap);
  const bounced = new Int32Array(cap);
  const senders = h.names.length;
  const messages = new Int32Array(senders);
  const recipients = new Float64Array(senders);
  const sSent = new Float64Array(senders);
  const sDeferred = new Float64Array(senders);
  const sBounced = new Float64Array(senders);
  const first = new Float64Array(senders).fill(Infinity);
  const last = new Float64Array(senders).fill(-Infinity);
  const runHour = new Float64Array(senders).fill(-1);
  const hourRun = new Int32Array(senders);
  const home = (k: number) => (Math.imul(k | 0, 0x9e3779b1) ^ ((k / 4294967296) | 0)) & mask;
  const find = (k: number, add: boolean): number => {
    let i = home(k);
    while (used[i]) {
      if (qkey[i] === k) return i;
      i = (i + 1) & mask;
    }
    if (!add) return -1;
    used[i] = 1;
    qkey[i] = k;
    sender[i] = -1;
    rcpt[i] = -1;
    sent[i] = deferred[i] = bounced[i] = 0;
    return i;
  };
  const remove = (i: number) => {
    used[i] = 0;
    for (let j = (i + 1) & mask; used[j]; j = (j + 1) & mask) {
      if (((j - home(qkey[j]!)) & mask) < ((j - i) & mask)) continue;
      used[i] = 1;
      qkey[i] = qkey[j]!; sender[i] = sender[j]!; at[i] = at[j]!; rcpt[i] = rcpt[j]!; sent[i] = sent[j]!; deferred[i] = deferred[j]!; bounced[i] = bounced[j]!;
      used[j] = 0;
      i = j;
    }
  };
  for (let e = 0; e < h.n; e++) {
    const k = h.kind[e]!;
    if (k === K.pickup || k === K.client) {
      const i = find(h.key[e]!, true);
      sender[i] = h.a[e]!;
      at[i] = h.ts[e]!;
    } else if (k === K.queued) {
      rcpt[find(h.key[e]!, true)] = h.a[e]!;
    } else if (k === K.delivery) {
      const i = find(h.key[e]!, true);
      const s = h.status[e];
      if (s === 1) sent[i]!++;
      else if (s === 2) deferred[i]!++;
      else if (s === 3) bounced[i]!++;
    } else if (k === K.removed) {
      const i = find(h.key[e]!, false);
      if (i < 0) continue;
      const s = sender[i]!;
      if (s >= 0) {
        messages[s]!++;
        recipients[s]! += rcpt[i]! >= 0 ? rcpt[i]! : sent[i]! + bounced[i]!;
        sSent[s]! += sent[i]!;
        sDeferred[s]! += deferred[i]!;
        sBounced[s]! += bounced[i]!;
        const t = at[i]!;
        if (t < first[s]!) first[s] = t;
        if (t > last[s]!) last[s] = t;
        const hour = Math.floor(t / HOUR);
        if (hour !== runHour[s]) {
          runHour[s] = hour;
          hourRun[s] = 0;
        }
        hourRun[s]!++;
      }
      remove(i);
    }
  }
  return { messages, sent: sSent, recipients };
}

const dir = await mkdtemp(join(tmpdir(), 'sendtrace-floor-'));
try {
  const file = join(dir, 'maillog');
  const gen = generateMaillog(file, MB * 1024 * 1024);
  const held = hold(file);
  console.log(`${(gen.bytes / 1e6).toFixed(0)} MB, ${gen.lines} lines, ${held.n} events, ${held.names.length} senders`);
  const times = { parse: [] as number[], acc: [] as number[], floor: [] as number[] };
  let flow: MailFlow | null = null;
  let counts: ReturnType<typeof floor> | null = null;
  for (let r = 0; r < RUNS; r++) {
    let t0 = performance.now();
    scan(file, () => {});
    times.parse.push(performance.now() - t0);
    t0 = performance.now();
    const acc = createMailFlow();
    scan(file, acc.add);
    flow = acc.finish();
    times.acc.push(performance.now() - t0);
    t0 = performance.now();
    counts = floor(held);
    times.floor.push(performance.now() - t0);
  }
  let agree = 0;
  held.names.forEach((name, i) => {
    const s = flow!.senders.get(name);
    if (s && s.messages === counts!.messages[i] && s.sent === counts!.sent[i] && s.recipients === counts!.recipients[i]) agree++;
  });
  const parse = median(times.parse);
  const accumulate = median(times.acc) - parse;
  const fl = median(times.floor);
  console.log(`parse ${parse.toFixed(0)} ms; accumulating (parse + acc − parse) ${accumulate.toFixed(0)} ms; floor ${fl.toFixed(0)} ms: accumulating ÷ floor ${(accumulate / fl).toFixed(1)} (medians of ${RUNS})`);
  console.log(`the floor's messages, recipients and deliveries agree with the accumulator's for ${agree} of ${flow!.senders.size} senders`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
