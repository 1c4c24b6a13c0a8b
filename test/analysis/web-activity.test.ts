import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessRecord } from '../../service/sources/access-log.ts';
import { createWebActivityReducer, scoreBotLikelihood, scriptOfPath, summarizeWebActivity } from '../../service/analysis/web-activity.ts';

const T0 = Date.parse('2022-02-01T00:00:00Z');
const MIN = 60_000;

function rec(p: Partial<AccessRecord> & { ts: number; ip: string; path: string }): AccessRecord {
  return {
    user: null, method: 'GET', query: null, request: null, status: 200, bytes: 100,
    referrer: null, userAgent: 'Mozilla/5.0 (Windows NT 10.0) Firefox/96.0', vhost: 'example.jp', ...p,
  };
}

// Deterministic pseudo-random numbers, so the "humans" are the same every run.
function rng(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

function humans(): AccessRecord[] {
  const r = rng(7);
  const out: AccessRecord[] = [];
  let t = T0;
  for (let i = 0; i < 30; i++) {
    t += Math.floor(-Math.log(1 - r()) * 3 * 60 * MIN);          // independent visits, ~3 h apart on average
    const ip = `192.0.2.${1 + (i % 12)}`;
    out.push(rec({ ts: t, ip, path: '/contact/', referrer: 'https://www.google.com/' }));
    out.push(rec({ ts: t + 1000, ip, path: '/css/site.css', referrer: 'https://example.jp/contact/' }));
    out.push(rec({ ts: t + Math.floor(r() * 4 * MIN) + 30_000, ip, method: 'POST', path: '/contact/send.php', referrer: 'https://example.jp/contact/' }));
  }
  return out;
}

function bots(): AccessRecord[] {
  const out: AccessRecord[] = [];
  for (let i = 0; i < 400; i++) {
    const ip = `203.0.113.${1 + (i % 50)}`;
    out.push(rec({ ts: T0 + i * 72_000, ip, method: 'POST', path: '/mail.php', userAgent: i % 2 ? null : 'python-requests/2.31' }));
  }
  for (const [i, path] of ['/wp-login.php', '/xmlrpc.php', '/shell.php', '/shell.php'].entries()) {
    out.push(rec({ ts: T0 + i * 1000 + 500, ip: `198.51.100.${i}`, path, status: 404 }));
  }
  return out;
}

const byTime = (a: AccessRecord, b: AccessRecord) => a.ts - b.ts;

describe('web activity', () => {
  const all = [...humans(), ...bots()].sort(byTime);
  const window = { from: T0 + 60 * MIN, to: T0 + 90 * MIN - 1 };
  const act = summarizeWebActivity(all, { window });
  const bot = act.scripts.get('example.jp /mail.php')!;
  const form = act.scripts.get('example.jp /contact/send.php')!;

  it('sees the bots posting blind, from many IPs, without referrer, like a timer', () => {
    assert.equal(bot.posts, 400);
    assert.equal(bot.blindPosts, 400);
    assert.equal(bot.postIps.count, 50);
    assert.equal(bot.postsNoReferrer, 400);
    assert.equal(bot.postsToolAgent, 400);
    assert.ok(bot.postGaps.cv !== null && bot.postGaps.cv < 0.05, `cv ${bot.postGaps.cv}`);
    const score = scoreBotLikelihood(bot);
    assert.ok(score.score > 0.8, JSON.stringify(score));
    assert.ok(score.reasons.some((x) => x.includes('50 different IP')));
    assert.ok(score.reasons.some((x) => x.includes('no referrer')));
    assert.ok(score.reasons.some((x) => x.includes('machine-regular')));
  });

  it('sees people load the contact page before posting it, and scores them low', () => {
    assert.equal(form.posts, 30);
    assert.equal(form.blindPosts, 0);
    assert.equal(form.postsNoReferrer, 0);
    const score = scoreBotLikelihood(form);
    assert.ok(score.score < 0.3, JSON.stringify(score));
    assert.ok(!score.reasons.some((x) => x.includes('machine-regular')));
  });

  it('keeps the directory page as a possible index.php, marked as such', () => {
    const page = act.scripts.get('example.jp /contact/')!;
    assert.equal(page.kind, 'directory');
    assert.equal(page.gets, 30);
    assert.equal(form.kind, 'php');
    assert.equal(act.scripts.has('example.jp /css/site.css'), false);
  });

  it('counts POSTs per minute inside the window and per hour overall', () => {
    const expected = all.filter((r) => r.path === '/mail.php' && r.ts >= window.from && r.ts <= window.to).length;
    assert.equal([...bot.minutePosts.values()].reduce((a, b) => a + b, 0), expected);
    assert.ok([...bot.minutePosts.keys()].every((m) => m >= window.from - MIN && m <= window.to));
    assert.equal([...bot.hourlyPosts.values()].reduce((a, b) => a + b, 0), 400);
    assert.equal(bot.firstPost, T0);
    assert.equal(bot.status['2xx'], 400);
  });

  it('counts 404s on .php paths per vhost as probing', () => {
    const v = act.vhosts.get('example.jp')!;
    assert.equal(v.php404, 4);
    assert.equal(v.probedPaths.count, 3);
    assert.equal(v.probingIps.count, 4);
  });

  it('calls a POST blind only when the last page GET from that IP is older than the window', () => {
    const a = summarizeWebActivity([
      rec({ ts: T0, ip: '1.1.1.1', path: '/' }),
      rec({ ts: T0 + 29 * MIN, ip: '1.1.1.1', method: 'POST', path: '/a.php' }),
      rec({ ts: T0 + 29 * MIN, ip: '2.2.2.2', path: '/logo.png' }),
      rec({ ts: T0 + 30 * MIN, ip: '2.2.2.2', method: 'POST', path: '/a.php' }),
      rec({ ts: T0 + 60 * MIN, ip: '1.1.1.1', method: 'POST', path: '/a.php' }),
      rec({ ts: T0 + 61 * MIN, ip: '1.1.1.1', path: '/', vhost: 'other.jp' }),
      rec({ ts: T0 + 62 * MIN, ip: '1.1.1.1', method: 'POST', path: '/a.php' }),
    ]);
    assert.equal(a.scripts.get('example.jp /a.php')!.blindPosts, 3);
  });

  it('stays within its caps and counts what it dropped', () => {
    const r = createWebActivityReducer({ maxScripts: 2, maxIpsPerScript: 10, maxClients: 5 });
    for (let i = 0; i < 100; i++) r.add(rec({ ts: T0 + i, ip: `10.0.0.${i}`, method: 'POST', path: `/s${i % 3}.php` }));
    for (let i = 0; i < 20; i++) r.add(rec({ ts: T0 + 1000 + i, ip: `10.1.0.${i}`, path: '/' }));
    const res = r.result();
    assert.equal(res.scripts.size, 2);
    assert.ok(res.dropped.scripts > 0);
    const s0 = res.scripts.get('example.jp /s0.php')!;
    assert.equal(s0.postIps.count, 10);
    assert.equal(s0.postIps.capped, true);
    assert.equal(res.dropped.clientsForgotten, 15);
  });

  it('maps PATH_INFO URLs to their script and ignores non-HTTP requests', () => {
    assert.deepEqual(scriptOfPath('/index.php/wp-json/x'), { path: '/index.php', kind: 'php' });
    assert.deepEqual(scriptOfPath('/A.PHP'), { path: '/A.PHP', kind: 'php' });
    assert.equal(scriptOfPath('/img/x.png'), null);
    const a = summarizeWebActivity([{ ...rec({ ts: T0, ip: '1.1.1.1', path: '/' }), path: null, method: null }]);
    assert.equal(a.scripts.size, 0);
    assert.equal(a.vhosts.get('example.jp')!.requests, 1);
  });

  it('does not call a handful of posts a bot with confidence', () => {
    const few = summarizeWebActivity([0, 1, 2].map((i) => rec({ ts: T0 + i * MIN, ip: `9.9.9.${i}`, method: 'POST', path: '/m.php' })));
    const s = scoreBotLikelihood(few.scripts.get('example.jp /m.php')!);
    assert.ok(s.score < 0.5, JSON.stringify(s));
    assert.ok(s.reasons.some((x) => x.includes('weak evidence')));
  });
});
