// Ties what the logs and files say to psa's subscriptions: the UID of the
// subscription's system user, its mailboxes, its vhosts and docroots.
// The bridge between the sources' records and attribution's narrow inputs.
import { resolve, sep } from 'node:path';
import type { AttributionInput, ScriptFile, ScriptPosts, SenderView } from '../analysis/attribute-types.ts';
import type { SubscriptionEvidence } from '../analysis/diagnose.ts';
import type { MailFlow, SenderStats } from '../analysis/mail-flow.ts';
import { scoreBotLikelihood, type WebActivity } from '../analysis/web-activity.ts';
import type { PanelData, Subscription } from './../sources/panel-data.ts';
import type { Passwd } from '../sources/passwd.ts';
import type { PhpMailLogSummary } from '../sources/php-maillog.ts';
import { localPath } from '../sources/vhost-paths.ts';

export type Gathered = {
  now: number;
  zone: string;
  window: { from: number; to: number };
  panel: PanelData;
  passwd: Passwd;
  flow: MailFlow | null;
  phpMail: PhpMailLogSummary | null;
  web: WebActivity | null;
};

export type SubscriptionPlaces = {
  sub: Subscription;
  uid: number | null;
  home: string | null;
  domains: string[];                       // lower case
  docroots: Map<string, string>;           // domain → docroot
  mailboxes: string[];                     // lower case addresses
};

export { localPath } from '../sources/vhost-paths.ts';

export function placesOf(g: Gathered, vhostsRoot: string): SubscriptionPlaces[] {
  return g.panel.subscriptions.map((sub) => {
    const doms = g.panel.domains.filter((d) => d.subscriptionId === sub.id);
    const docroots = new Map<string, string>();
    const mainRoot = sub.wwwRoot ? localPath(sub.wwwRoot, vhostsRoot) : null;
    if (mainRoot) docroots.set(sub.name.toLowerCase(), mainRoot);
    for (const d of doms) {
      const root = d.wwwRoot ? localPath(d.wwwRoot, vhostsRoot) : mainRoot;
      if (root) docroots.set(d.name.toLowerCase(), root);
    }
    const login = sub.sysUser?.login;
    return {
      sub,
      uid: login ? g.passwd.byLogin.get(login)?.uid ?? null : null,
      home: sub.sysUser ? localPath(sub.sysUser.home, vhostsRoot) : null,
      domains: [sub.name.toLowerCase(), ...doms.map((d) => d.name.toLowerCase())],
      docroots,
      mailboxes: g.panel.mailboxes.filter((m) => m.subscriptionId === sub.id).map((m) => m.address.toLowerCase()),
    };
  });
}

function view(s: SenderStats): SenderView {
  return {
    messages: s.messages, rejected: s.rejected, limitRejected: s.limitRejected,
    firstSeen: s.firstSeen, lastSeen: s.lastSeen, hourly: s.hourly, clientIps: s.clientIps, scripts: s.scripts,
  };
}

/** The docroot file a URL path runs, as candidates in order (a directory may run its index.php or the front controller). */
export function fileCandidates(docroot: string, urlPath: string, kind: 'php' | 'directory'): string[] {
  const target = resolve(docroot, '.' + urlPath);
  // A request path is attacker-controlled: it must stay inside the docroot.
  if (target !== docroot && !target.startsWith(docroot + sep)) return [];
  return kind === 'php' ? [target] : [resolve(target, 'index.php'), resolve(docroot, 'index.php')];
}

export function postsOf(g: Gathered, p: SubscriptionPlaces, exists: (path: string) => boolean): ScriptPosts[] {
  if (!g.web) return [];
  const out: ScriptPosts[] = [];
  for (const s of g.web.scripts.values()) {
    const docroot = p.docroots.get(s.vhost.toLowerCase().replace(/^www\./, ''));
    if (!docroot || s.posts === 0) continue;
    const filePath = fileCandidates(docroot, s.path, s.kind).find(exists) ?? null;
    out.push({
      vhost: s.vhost, urlPath: s.path, filePath, posts: s.posts, ips: s.postIps.count,
      blindPosts: s.blindPosts, noReferrer: s.postsNoReferrer, first: s.firstPost, last: s.lastPost,
      hourly: s.hourlyPosts, minutely: s.minutePosts, bot: scoreBotLikelihood(s),
    });
  }
  return out;
}

export function evidenceFor(g: Gathered, p: SubscriptionPlaces, files: ScriptFile[], posts: ScriptPosts[], vhostsRoot: string): SubscriptionEvidence {
  const flow = g.flow;
  const system = flow && p.uid !== null ? flow.senders.get(`uid:${p.uid}`) ?? null : null;
  const mailboxIds = new Map(g.panel.mailboxes.filter((m) => m.subscriptionId === p.sub.id).map((m) => [m.address.toLowerCase(), m.id]));
  const mailboxes: AttributionInput['mailboxes'] = [];
  const passed = new Map<number, number>();
  const rejects = new Map<number, number>();
  const add = (s: SenderStats) => {
    for (const [h, c] of s.hourly) passed.set(h, (passed.get(h) ?? 0) + c);
    for (const [h, c] of s.limitRejectedHourly ?? []) {
      rejects.set(h, (rejects.get(h) ?? 0) + c);
      passed.set(h, (passed.get(h) ?? 0) - c);
    }
  };
  if (system) add(system);
  for (const address of p.mailboxes) {
    const s = flow?.senders.get(`sasl:${address}`);
    if (!s) continue;
    add(s);
    const id = mailboxIds.get(address);
    const rows = g.panel.stats.mailbox.filter((r) => r.objectId === id);
    mailboxes.push({
      address, sender: view(s),
      mailboxRejected: rows.reduce((n, r) => n + r.rejected, 0),
      mailboxPeak: g.panel.peaks.mailbox.some((r) => r.objectId === id),
    });
  }
  const phpMail = [...(g.phpMail?.scripts.values() ?? [])]
    .map((s) => ({ path: localPath(s.path, vhostsRoot), count: s.count, first: s.first, last: s.last, hourly: s.hourly }))
    .filter((s) => p.home !== null && s.path.startsWith(p.home + sep));
  return {
    attribution: {
      now: g.now, zone: g.zone, uid: p.uid, login: p.sub.sysUser?.login ?? null,
      system: system ? view(system) : null,
      minutePickups: p.uid !== null ? flow?.minuteByUid.get(p.uid) ?? new Map() : new Map(),
      window: g.window, mailboxes, phpMail, posts, files,
    },
    logRejectsHourly: rejects,
    logPassedHourly: passed,
  };
}
