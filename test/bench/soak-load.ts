// The steady load of the soak bench (soak.ts): Postfix lines appended to the
// mail log at a fixed rate for the live watcher, and signed API requests at a
// fixed rate (open loop: a slow answer does not slow the load down), plus an
// event stream opened and closed every few seconds. Every request's latency
// and outcome is kept.
import { closeSync, openSync, writeSync } from 'node:fs';
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Identity } from '../../service/http/auth/signature.ts';
import { callAs, openEventStream } from '../http/socket-client.ts';
import { mulberry32 } from '../helpers/prng.ts';
import { ownerOfSubscription } from './api-data.ts';

const p2 = (n: number) => String(n).padStart(2, '0');
/** Plesk's RFC 3339 syslog stamp in Asia/Tokyo (+09:00 all year). */
const stamp = (ms: number) => {
  const d = new Date(ms + 9 * 3600e3);
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.000+09:00`;
};
const LINES_PER_MESSAGE = 5;

/** A message submitted by a script through pickup, as Plesk's Postfix logs it: 5 lines. */
function pickupMessage(ms: number, queueId: number, uid: number): string {
  const id = queueId.toString(16).toUpperCase().padStart(10, '0');
  const s = stamp(ms);
  return `${s} plesk postfix/pickup[6185]: ${id}: uid=${uid} from=<u${uid}@example.test>\n`
    + `${s} plesk postfix/cleanup[6204]: ${id}: message-id=<${id}@plesk.example.test>\n`
    + `${s} plesk /usr/lib/plesk-9.0/psa-pc-remote[5778]: PASS during call 'limit-out' handler\n`
    + `${s} plesk postfix/qmgr[6186]: ${id}: from=<u${uid}@example.test>, size=489, nrcpt=1 (queue active)\n`
    + `${s} plesk postfix/qmgr[6186]: ${id}: removed\n`;
}

export type Appender = { lines(): number; stop(): void };

/**
 * `linesPerSecond` spread over the subscriptions' system users (uid 20000 + id,
 * api-data.ts's passwd), and one script that leaks steadily at `leakPerMinute`
 * (subscription 1), enough to keep one live incident open.
 */
export function appendSteadily(path: string, o: { linesPerSecond: number; subscriptions: number; leakPerMinute: number }): Appender {
  const fd = openSync(path, 'a');
  const rand = mulberry32(20221010);
  const start = Date.now();
  let queueId = 0x200000;
  let written = 0;
  let leaked = 0;
  const tick = () => {
    const now = Date.now();
    const elapsed = (now - start) / 1000;
    let out = '';
    while (written < elapsed * o.linesPerSecond) {
      out += pickupMessage(now, queueId++, 20000 + 1 + Math.floor(rand() * o.subscriptions));
      written += LINES_PER_MESSAGE;
    }
    while (leaked < (elapsed * o.leakPerMinute) / 60) {
      out += pickupMessage(now, queueId++, 20001);
      leaked++;
      written += LINES_PER_MESSAGE;
    }
    if (out) writeSync(fd, out);
  };
  const timer = setInterval(tick, 100);
  return {
    lines: () => written,
    stop() {
      clearInterval(timer);
      tick();
      closeSync(fd);
    },
  };
}

/**
 * A connection per request, `Connection: close`, as the panel's PHP shim makes them
 * (extension/plib/library/Sidecar.php). A keep-alive client may reuse a connection
 * the sidecar is just closing (its idle timeout is Node's 5 s): an ECONNRESET of
 * the client's making, which the real client never meets.
 */
export const connectionPerRequest = new Agent({ keepAlive: false, maxSockets: Infinity });

export type Outcome = { kind: string; at: number; ms: number; ok: boolean; detail?: string };
export type ApiLoad = { outcomes: Outcome[]; stop(): Promise<void> };

/**
 * The panel's reads, in turn: the admin's first page, a customer's subscription, a
 * timeline, a reseller's list. At most `concurrency` at a time, as the panel's PHP
 * workers make them (a pool of processes, each waiting for its answer); the others
 * wait their turn, and their latency counts from when they were due.
 */
export function requestSteadily(socket: string, key: Buffer, o: { perSecond: number; concurrency: number; subscriptions: number; streamEverySeconds: number }): ApiLoad {
  const agent = connectionPerRequest;
  const admin: Identity = { login: 'admin', role: 'admin', clientId: 1 };
  const reseller: Identity = { login: 'reseller1', role: 'reseller', clientId: 2 };
  const n = o.subscriptions;
  const sub = (i: number) => 1 + ((i * 7919) % n);
  const customer = (id: number): Identity => {
    const owner = ownerOfSubscription(id, n);
    return { login: `x${owner}`, role: owner <= 21 ? 'reseller' : 'client', clientId: owner };
  };
  const kinds: Array<[string, (i: number) => Promise<{ status: number; body: string }>]> = [
    ['list (admin, first page)', () => callAs(socket, key, admin, 'GET', '/api/subscriptions?limit=50', undefined, agent)],
    ['one subscription (customer)', (i) => callAs(socket, key, customer(sub(i)), 'GET', `/api/subscriptions/${sub(i)}`, undefined, agent)],
    // Timelines of a working set of 200 (the ones people open): at 10 requests/s their cache (hourly-source.ts,
    // up to 5,000) is full within the 2-minute warm-up, so growth after it is not that cache filling up.
    ['timeline (admin, 7 days)', (i) => callAs(socket, key, admin, 'GET', `/api/subscriptions/${sub(i % 200)}/timeline`, undefined, agent)],
    ['list (reseller)', () => callAs(socket, key, reseller, 'GET', '/api/subscriptions', undefined, agent)],
  ];
  const outcomes: Outcome[] = [];
  type Due = { kind: string; run: () => Promise<{ status: number; body?: string }>; at: number; t0: number };
  const waiting: Due[] = [];
  const inFlight = new Set<Promise<void>>();
  const startNext = () => {
    while (inFlight.size < o.concurrency && waiting.length) {
      const { kind, run, at, t0 } = waiting.shift()!;
      const p = run().then(
        (r) => void outcomes.push({ kind, at, ms: performance.now() - t0, ok: r.status === 200, ...(r.status === 200 ? {} : { detail: `${r.status} ${r.body?.slice(0, 200) ?? ''}` }) }),
        (err: unknown) => void outcomes.push({ kind, at, ms: performance.now() - t0, ok: false, detail: String(err) }),
      ).finally(() => {
        inFlight.delete(p);
        startNext();
      });
      inFlight.add(p);
    }
  };
  const track = (kind: string, run: Due['run']) => {
    waiting.push({ kind, run, at: Date.now(), t0: performance.now() });
    startNext();
  };
  // Due requests are counted from the start, so a late timer catches up and the rate holds.
  const start = performance.now();
  let i = 0;
  const requests = setInterval(() => {
    while (i < ((performance.now() - start) / 1000) * o.perSecond) {
      const k = i++;
      const [kind, run] = kinds[k % kinds.length]!;
      track(kind, () => run(Math.floor(k / kinds.length)));
    }
  }, 1000 / o.perSecond);
  // Subscribe, see the stream start, unsubscribe: the hub must forget the client each time.
  const streams = setInterval(() => track('event stream (subscribe, unsubscribe)', async () => {
    const s = openEventStream(socket, key, admin);
    const status = await s.status;
    s.close();
    return { status };
  }), o.streamEverySeconds * 1000);
  return {
    outcomes,
    async stop() {
      clearInterval(requests);
      clearInterval(streams);
      while (inFlight.size || waiting.length) await Promise.all([...inFlight]);
    },
  };
}
