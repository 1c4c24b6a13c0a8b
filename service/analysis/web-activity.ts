// Access-log records in (time-ordered per vhost), per-script web activity out:
// who POSTs to which `.php`, whether they looked at a page first, how regular
// the timing is, and which vhosts are being probed for PHP file names.
// Pure and incremental: memory is bounded by the caps below whatever the log
// size, and whatever a cap drops is counted.
import type { AccessRecord } from '../sources/access-log.ts';
import { HOUR, MINUTE } from '../time.ts';
import { BoundedSet, RunningStats, bump } from './bounded.ts';

export { scoreBotLikelihood, type BotScore } from './bot-likelihood.ts';

export type WebActivityOptions = {
  blindWindowMs?: number;              // a POST is "blind" without a page GET from its IP this long before (30 min)
  window?: { from: number; to: number }; // per-minute POST counts inside this span, for timing against mail pickups
  maxScripts?: number;
  maxIpsPerScript?: number;
  maxClients?: number;                 // (vhost, IP) pairs whose last page GET is remembered
  maxUserAgents?: number;
  maxVhosts?: number;
  maxProbePaths?: number;
};

export type StatusCounts = { '2xx': number; '3xx': number; '4xx': number; '5xx': number; other: number };

export type ScriptActivity = {
  vhost: string;
  path: string;                        // URL path of the script (`/contact/mail.php`), or a directory (`/contact/`)
  kind: 'php' | 'directory';           // directory: may be served by its index.php
  requests: number;
  gets: number;
  posts: number;
  otherMethods: number;
  postsOk: number;                     // POSTs answered 2xx/3xx: the script ran
  blindPosts: number;
  postsNoReferrer: number;
  postsToolAgent: number;              // POSTs with no user agent or a scripting library's
  ips: BoundedSet;                     // all IPs (bounded; `.count`, `.capped`)
  postIps: BoundedSet;
  status: StatusCounts;
  userAgents: Map<string, number>;     // bounded; the rest counted in otherUserAgents
  otherUserAgents: number;
  first: number | null;
  last: number | null;
  firstPost: number | null;
  lastPost: number | null;
  hourlyPosts: Map<number, number>;    // hour start → POSTs
  minutePosts: Map<number, number>;    // minute start → POSTs, inside options.window only
  postGaps: RunningStats;              // inter-arrival times of POSTs (ms)
};

export type VhostProbing = {
  vhost: string;
  requests: number;
  posts: number;
  php404: number;                      // 404 answers to `.php` paths: bots guessing file names
  probedPaths: BoundedSet;
  probingIps: BoundedSet;
  hourly404: Map<number, number>;
};

export type WebActivity = {
  scripts: Map<string, ScriptActivity>; // key `${vhost} ${path}`
  vhosts: Map<string, VhostProbing>;
  records: number;
  dropped: { scripts: number; vhosts: number; clientsForgotten: number; outOfOrder: number };
};

const TOOL_AGENT = /^(?:curl|wget|python|go-http-client|libwww|lwp|java\/|okhttp|apache-httpclient|scrapy|php\/|guzzlehttp|axios|node-fetch|ruby|perl)/i;

/** A page a human would load before posting a form: not an image, stylesheet or script. */
function isPagePath(path: string): boolean {
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.') || /\.(?:php\d?|phtml|html?|shtml|aspx?|jsp|cgi|pl)$/i.test(last);
}

/** `/index.php/route` runs /index.php; a `.php` or trailing-slash path is a script, others are not. */
export function scriptOfPath(path: string): { path: string; kind: ScriptActivity['kind'] } | null {
  const m = /^(.*?\.(?:php\d?|phtml))(?:\/|$)/i.exec(path);
  if (m) return { path: m[1]!, kind: 'php' };
  return path.endsWith('/') ? { path, kind: 'directory' } : null;
}

export function statusClass(status: number): keyof StatusCounts {
  return status >= 200 && status < 600 ? (`${Math.floor(status / 100)}xx` as keyof StatusCounts) : 'other';
}

export function createWebActivityReducer(options: WebActivityOptions = {}) {
  const o = {
    blindWindowMs: 30 * MINUTE, maxScripts: 5000, maxIpsPerScript: 1000, maxClients: 200_000,
    maxUserAgents: 20, maxVhosts: 5000, maxProbePaths: 500, ...options,
  };
  const state: WebActivity = { scripts: new Map(), vhosts: new Map(), records: 0, dropped: { scripts: 0, vhosts: 0, clientsForgotten: 0, outOfOrder: 0 } };
  const lastPageGet = new Map<string, number>(); // insertion order = least recently refreshed first

  function vhostOf(name: string): VhostProbing | null {
    let v = state.vhosts.get(name);
    if (!v) {
      if (state.vhosts.size >= o.maxVhosts) { state.dropped.vhosts++; return null; }
      v = { vhost: name, requests: 0, posts: 0, php404: 0, probedPaths: new BoundedSet(o.maxProbePaths), probingIps: new BoundedSet(o.maxIpsPerScript), hourly404: new Map() };
      state.vhosts.set(name, v);
    }
    return v;
  }

  function scriptOf(vhost: string, path: string, kind: ScriptActivity['kind']): ScriptActivity | null {
    const key = `${vhost} ${path}`;
    let s = state.scripts.get(key);
    if (!s) {
      if (state.scripts.size >= o.maxScripts) { state.dropped.scripts++; return null; }
      s = {
        vhost, path, kind, requests: 0, gets: 0, posts: 0, otherMethods: 0, postsOk: 0, blindPosts: 0, postsNoReferrer: 0, postsToolAgent: 0,
        ips: new BoundedSet(o.maxIpsPerScript), postIps: new BoundedSet(o.maxIpsPerScript),
        status: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 }, userAgents: new Map(), otherUserAgents: 0,
        first: null, last: null, firstPost: null, lastPost: null, hourlyPosts: new Map(), minutePosts: new Map(), postGaps: new RunningStats(),
      };
      state.scripts.set(key, s);
    }
    return s;
  }

  function rememberGet(client: string, ts: number): void {
    lastPageGet.delete(client);
    lastPageGet.set(client, ts);
    if (lastPageGet.size > o.maxClients) {
      const oldest = lastPageGet.keys().next().value;
      if (oldest !== undefined) lastPageGet.delete(oldest);
      state.dropped.clientsForgotten++;
    }
  }

  function add(r: AccessRecord): void {
    state.records++;
    const vhostName = r.vhost ?? '(unknown vhost)';
    const v = vhostOf(vhostName);
    if (v) v.requests++;
    if (r.path === null) return;
    const client = `${vhostName} ${r.ip}`;
    const script = scriptOfPath(r.path);
    if (v && r.method === 'POST') v.posts++;
    if (v && r.status === 404 && script?.kind === 'php') {
      v.php404++;
      v.probedPaths.add(script.path);
      v.probingIps.add(r.ip);
      bump(v.hourly404, Math.floor(r.ts / HOUR) * HOUR);
    }
    const isPost = r.method === 'POST';
    // Blind is decided before this request's own GET is remembered.
    const seen = lastPageGet.get(client);
    const blind = isPost && (seen === undefined || r.ts - seen > o.blindWindowMs);
    if ((r.method === 'GET' || r.method === 'HEAD') && r.status < 400 && isPagePath(r.path)) rememberGet(client, r.ts);
    if (!script) return;
    const s = scriptOf(vhostName, script.path, script.kind);
    if (!s) return;
    s.requests++;
    s.ips.add(r.ip);
    s.status[statusClass(r.status)]++;
    if (s.first === null || r.ts < s.first) s.first = r.ts;
    if (s.last === null || r.ts > s.last) s.last = r.ts;
    const ua = r.userAgent ?? '(none)';
    if (s.userAgents.has(ua) || s.userAgents.size < o.maxUserAgents) bump(s.userAgents, ua);
    else s.otherUserAgents++;
    if (r.method === 'GET' || r.method === 'HEAD') { s.gets++; return; }
    if (!isPost) { s.otherMethods++; return; }
    s.posts++;
    s.postIps.add(r.ip);
    if (r.status >= 200 && r.status < 400) s.postsOk++;
    if (blind) s.blindPosts++;
    if (r.referrer === null) s.postsNoReferrer++;
    if (r.userAgent === null || TOOL_AGENT.test(r.userAgent)) s.postsToolAgent++;
    if (s.lastPost !== null) {
      if (r.ts >= s.lastPost) s.postGaps.push(r.ts - s.lastPost);
      else state.dropped.outOfOrder++;
    }
    if (s.firstPost === null || r.ts < s.firstPost) s.firstPost = r.ts;
    if (s.lastPost === null || r.ts > s.lastPost) s.lastPost = r.ts;
    bump(s.hourlyPosts, Math.floor(r.ts / HOUR) * HOUR);
    if (o.window && r.ts >= o.window.from && r.ts <= o.window.to) bump(s.minutePosts, Math.floor(r.ts / MINUTE) * MINUTE);
  }

  return { add, result: (): WebActivity => state };
}

/** Convenience for records already in memory (tests, small logs). */
export function summarizeWebActivity(records: Iterable<AccessRecord>, options: WebActivityOptions = {}): WebActivity {
  const reducer = createWebActivityReducer(options);
  for (const r of records) reducer.add(r);
  return reducer.result();
}
