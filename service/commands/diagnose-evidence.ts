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
import { byAncestorDir, groupBy } from '../analysis/group.ts';

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

/** Lookups built once per pass; every per-subscription step reads these instead of scanning lists. */
export type GatheredIndex = {
  domainsBySub: Map<number, PanelData['domains']>;
  mailboxesBySub: Map<number, PanelData['mailboxes']>;
  mailboxRejected: Map<number, number>;   // psa's rejects per mailbox id over the statistics window
  mailboxPeaks: Set<number>;
  webByVhost: Map<string, WebActivity['scripts'] extends Map<string, infer S> ? S[] : never>;
  phpMailByDir: Map<string, LocalPhpScript[]>;
};

type LocalPhpScript = AttributionInput['phpMail'][number];

export function indexGathered(g: Gathered, vhostsRoot: string): GatheredIndex {
  const phpMail = [...(g.phpMail?.scripts.values() ?? [])]
    .map((s) => ({ path: localPath(s.path, vhostsRoot), count: s.count, first: s.first, last: s.last, hourly: s.hourly }));
  return {
    domainsBySub: groupBy(g.panel.domains, (d) => d.subscriptionId),
    mailboxesBySub: groupBy(g.panel.mailboxes, (m) => m.subscriptionId),
    mailboxRejected: new Map(g.panel.stats.mailbox.totals.map((t) => [t.objectId, t.rejected])),
    mailboxPeaks: new Set(g.panel.peaks.mailbox.map((r) => r.objectId)),
    webByVhost: groupBy(g.web?.scripts.values() ?? [], (s) => s.vhost.toLowerCase().replace(/^www\./, '')),
    phpMailByDir: byAncestorDir(phpMail, (s) => s.path),
  };
}

export type SubscriptionPlaces = {
  sub: Subscription;
  uid: number | null;
  home: string | null;
  domains: string[];                       // lower case
  docroots: Map<string, string>;           // domain → docroot
  mailboxes: string[];                     // lower case addresses
};

export { localPath } from '../sources/vhost-paths.ts';

export function placesOf(g: Gathered, vhostsRoot: string, ix = indexGathered(g, vhostsRoot)): SubscriptionPlaces[] {
  return g.panel.subscriptions.map((sub) => {
    const doms = ix.domainsBySub.get(sub.id) ?? [];
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
      mailboxes: (ix.mailboxesBySub.get(sub.id) ?? []).map((m) => m.address.toLowerCase()),
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

export function postsOf(g: Gathered, p: SubscriptionPlaces, exists: (path: string) => boolean, ix?: GatheredIndex): ScriptPosts[] {
  if (!g.web) return [];
  const out: ScriptPosts[] = [];
  const candidates = ix ? [...p.docroots.keys()].flatMap((host) => ix.webByVhost.get(host) ?? []) : g.web.scripts.values();
  for (const s of candidates) {
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

export function evidenceFor(g: Gathered, p: SubscriptionPlaces, files: ScriptFile[], posts: ScriptPosts[], vhostsRoot: string, ix = indexGathered(g, vhostsRoot)): SubscriptionEvidence {
  const flow = g.flow;
  const system = flow && p.uid !== null ? flow.senders.get(`uid:${p.uid}`) ?? null : null;
  const mailboxIds = new Map((ix.mailboxesBySub.get(p.sub.id) ?? []).map((m) => [m.address.toLowerCase(), m.id]));
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
    mailboxes.push({
      address, sender: view(s),
      mailboxRejected: id === undefined ? 0 : ix.mailboxRejected.get(id) ?? 0,
      mailboxPeak: id !== undefined && ix.mailboxPeaks.has(id),
    });
  }
  const phpMail = p.home === null ? [] : ix.phpMailByDir.get(p.home.replace(/\/+$/, '')) ?? [];
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
