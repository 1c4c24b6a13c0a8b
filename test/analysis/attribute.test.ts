import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attributeSubscription } from '../../service/analysis/attribute.ts';
import type { AttributionInput, ScriptFile, ScriptPosts, SenderView } from '../../service/analysis/attribute-types.ts';
import { HOUR, MINUTE, zonedToEpoch } from '../../service/time.ts';

const zone = 'Asia/Tokyo';
const now = zonedToEpoch(zone, 2022, 2, 3, 21, 30, 0);
const from = now - 48 * HOUR;

function flat(perHour: number, hours: number): Map<number, number> {
  const m = new Map<number, number>();
  const last = Math.floor(now / HOUR) * HOUR - HOUR;
  for (let i = 0; i < hours; i++) m.set(last - i * HOUR, perHour);
  return m;
}

/** POST and pickup minutes that move together (the bots' requests each send one mail). */
function pairedMinutes(seed: number): { posts: Map<number, number>; pickups: Map<number, number> } {
  const posts = new Map<number, number>();
  const pickups = new Map<number, number>();
  let x = seed;
  for (let t = Math.ceil(from / MINUTE) * MINUTE; t < now; t += MINUTE) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const n = x % 9;
    if (n) {
      posts.set(t, n);
      pickups.set(t, n);
    }
  }
  return { posts, pickups };
}

function sender(over: Partial<SenderView> = {}): SenderView {
  return { messages: 0, rejected: 0, limitRejected: 0, firstSeen: null, lastSeen: null, hourly: new Map(), clientIps: new Map(), scripts: new Map(), ...over };
}

function file(path: string, over: Partial<ScriptFile> = {}): ScriptFile {
  return { path, size: 100, mode: 0o100644, uid: 10001, mtime: now - 400 * 24 * HOUR, sha256: 'a'.repeat(64), sends: ['mail'], signals: [], library: false, ...over };
}

function posts(path: string, minutely: Map<number, number>, over: Partial<ScriptPosts> = {}): ScriptPosts {
  let total = 0;
  for (const v of minutely.values()) total += v;
  return { vhost: 'sk-seikan.jp', urlPath: '/mail.php', filePath: path, posts: total, ips: 200, blindPosts: total, noReferrer: total,
    first: from, last: now, hourly: new Map(), minutely, bot: { score: 0.95, reasons: ['200 IPs', 'no prior GET'] }, ...over };
}

function base(over: Partial<AttributionInput>): AttributionInput {
  return { now, zone, uid: 10001, login: 'skseikan', system: null, minutePickups: new Map(), window: { from, to: now },
    mailboxes: [], phpMail: [], posts: [], files: [], ...over };
}

describe('attributeSubscription', () => {
  it('names the bot-driven contact-form helper from POST timing, not just the UID', () => {
    const { posts: pm, pickups } = pairedMinutes(7);
    const mailPhp = '/vh/sk-seikan.jp/httpdocs/mail.php';
    const findings = attributeSubscription(base({
      system: sender({ messages: 5000, rejected: 2000, limitRejected: 2000, hourly: flat(300, 14 * 24) }),
      minutePickups: pickups,
      posts: [posts(mailPhp, pm)],
      files: [file(mailPhp, { signals: [{ signal: 'input-to-recipient', detail: '$_POST reaches mail() recipient' }] })],
    }));
    const top = findings[0]!;
    assert.equal(top.kind, 'script');
    assert.equal(top.path, mailPhp);
    assert.ok(top.confidence >= 0.9, `confidence ${top.confidence}`);
    assert.equal(top.messages, 5000);
    assert.ok(top.leak, 'the flat 300/h history is a leak');
    assert.deepEqual(top.evidence.map((e) => e.signal).sort(), ['access-log-post', 'bots', 'code']);
  });

  it('does not attribute to a script whose requests do not line up with the mail', () => {
    const a = pairedMinutes(7);
    const b = pairedMinutes(99);
    const findings = attributeSubscription(base({
      system: sender({ messages: 800, hourly: flat(20, 40) }),
      minutePickups: a.pickups,
      posts: [posts('/vh/x/httpdocs/other.php', b.posts)],
      files: [file('/vh/x/httpdocs/other.php')],
    }));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.kind, 'system-user');
  });

  it('treats a library named by mail.log as a pointer to the requested entry script', () => {
    const lib = '/vh/sakura/httpdocs/wp-includes/PHPMailer/PHPMailer.php';
    const entry = '/vh/sakura/httpdocs/index.php';
    const hourly = new Map([[now - 5 * HOUR, 3], [now - 3 * HOUR, 2]]);
    const findings = attributeSubscription(base({
      phpMail: [{ path: lib, count: 5, first: now - 5 * HOUR, last: now - 3 * HOUR, hourly }],
      posts: [posts(entry, new Map(), { urlPath: '/contact/', hourly: new Map([[now - 5 * HOUR, 3], [now - 3 * HOUR, 2]]), ips: 4, blindPosts: 0, noReferrer: 0, bot: { score: 0.05, reasons: [] } })],
      files: [file(lib, { library: true }), file(entry, { sends: [] })],
    }));
    const script = findings.find((f) => f.kind === 'script')!;
    assert.equal(script.path, entry);
    assert.equal(script.facts.library, lib);
    assert.ok(script.confidence < 0.5, 'a human contact form is a lead, not a finding');
  });

  it('flags a mailbox used from many addresses as the likely stolen password', () => {
    const ips = new Map(Array.from({ length: 40 }, (_, i) => [`198.51.100.${i}`, 10] as [string, number]));
    const findings = attributeSubscription(base({
      uid: null, login: null,
      mailboxes: [
        { address: 'info@shop-example.jp', sender: sender({ messages: 4000, hourly: flat(90, 48), clientIps: ips }), mailboxRejected: 12, mailboxPeak: false },
        { address: 'orders@shop-example.jp', sender: sender({ messages: 30, clientIps: new Map([['203.0.113.9', 30]]) }), mailboxRejected: 0, mailboxPeak: false },
      ],
    }));
    assert.equal(findings[0]!.address, 'info@shop-example.jp');
    assert.ok(findings[0]!.confidence >= 0.9);
    assert.ok(findings[1]!.confidence < 0.5);
  });
});
