// A small Plesk server for the sidecar's route tests, built in memory (no
// psa, no logs): owners in every role, subscriptions owned directly and
// through resellers, a diagnosis document, hourly OMC statistics with a run
// of refused hours and a peak, per-minute pickups. The snapshot goes through
// the same buildSnapshotData the worker uses.
//
//   admin(1) ─┬─ reseller r1(2) ─┬─ client c1(4): sub 10 c1.example (the incident)
//             │                  ├─ client c2(5): sub 11 c2.example
//             │                  └─ r1's own:     sub 14 r1.example
//             ├─ reseller r2(3) ─┬─ client c3(6): sub 12 c3.example
//             │                  └─ r2's own:     sub 15 r2.example
//             ├─ client c4(7):                    sub 13 c4.example
//             └─ reseller r3(8) (no customers)
import type { Diagnosis, SubscriptionDiagnosis } from '../../service/analysis/diagnosis.ts';
import type { Identity } from '../../service/http/auth/signature.ts';
import { attachMinutes, buildSnapshotData, type SnapshotData } from '../../service/http/cache/snapshot.ts';
import type { Level, PanelData, StatRow } from '../../service/sources/panel-data.ts';
import { formatIso, HOUR, MINUTE } from '../../service/time.ts';
import { packMinutes, type MinuteCounts } from '../../service/http/cache/minute-counts.ts';

export const ZONE = 'Asia/Tokyo';
export const NOW = Date.parse('2022-02-03T21:30:00+09:00');
export const VHOSTS = '/var/www/vhosts';

export const OWNERS = [
  { id: 1, login: 'admin', type: 'admin', parentId: null },
  { id: 2, login: 'r1', type: 'reseller', parentId: 1 },
  { id: 3, login: 'r2', type: 'reseller', parentId: 1 },
  { id: 4, login: 'c1', type: 'client', parentId: 2 },
  { id: 5, login: 'c2', type: 'client', parentId: 2 },
  { id: 6, login: 'c3', type: 'client', parentId: 3 },
  { id: 7, login: 'c4', type: 'client', parentId: 1 },
  { id: 8, login: 'r3', type: 'reseller', parentId: 1 },
] as const;

export const SUBS = [
  { id: 10, name: 'c1.example', ownerId: 4 },
  { id: 11, name: 'c2.example', ownerId: 5 },
  { id: 12, name: 'c3.example', ownerId: 6 },
  { id: 13, name: 'c4.example', ownerId: 7 },
  { id: 14, name: 'r1.example', ownerId: 2 },
  { id: 15, name: 'r2.example', ownerId: 3 },
] as const;

export function identityOf(login: string): Identity {
  const o = OWNERS.find((x) => x.login === login);
  if (!o) throw new Error(`no owner ${login} in the fake world`);
  return { login: o.login, role: o.type, clientId: o.id };
}
export const ID = {
  admin: identityOf('admin'), r1: identityOf('r1'), r2: identityOf('r2'), r3: identityOf('r3'),
  c1: identityOf('c1'), c2: identityOf('c2'), c3: identityOf('c3'), c4: identityOf('c4'),
};

/** Which subscriptions each identity may see, written out by hand (not computed by the code under test). */
export const VISIBLE: Record<string, number[]> = {
  admin: [10, 11, 12, 13, 14, 15], r1: [10, 11, 14], r2: [12, 15], r3: [], c1: [10], c2: [11], c3: [12], c4: [13],
};

export const homeOf = (name: string) => `${VHOSTS}/${name}`;
export const LEAKING_SCRIPT = `${homeOf('c1.example')}/httpdocs/contact/mail.php`;
const uidOf = (subId: number) => 10000 + subId;

function diagnosisOf(s: (typeof SUBS)[number]): SubscriptionDiagnosis {
  const owner = OWNERS.find((o) => o.id === s.ownerId)!;
  const incident = s.id === 10;
  return {
    id: s.id, name: s.name, owner: { login: owner.login, type: owner.type },
    status: incident ? 'not-sending' : 'sending',
    blockedSince: incident ? formatIso(NOW - 3 * HOUR, ZONE) : null,
    lastHour: incident ? { passed: 500, rejected: 19500, limit: 500 } : { passed: s.id, rejected: 0, limit: 500 },
    cause: incident ? 'script' : s.id === 12 ? 'mailbox' : 'none',
    explanation: { en: `About ${s.name}.`, ja: `${s.name} について。` },
    sources: incident
      ? [{ kind: 'script', path: LEAKING_SCRIPT, login: 'c1', uid: uidOf(10), messages: 20123, firstSeen: formatIso(NOW - 30 * HOUR, ZONE), lastSeen: formatIso(NOW, ZONE), confidence: 0.97, evidence: [{ signal: 'access-log-post', detail: '812 POSTs from 301 addresses' }], perHour: 300 }]
      : s.id === 12 ? [{ kind: 'mailbox', address: 'info@c3.example', messages: 40, firstSeen: null, lastSeen: null, confidence: 0.6, evidence: [{ signal: 'smtp-auth', detail: 'logins from 9 countries' }] }] : [],
    leak: incident ? { since: formatIso(NOW - 30 * HOUR, ZONE), perHour: 300, source: LEAKING_SCRIPT } : null,
    risk: incident ? 100 : s.id === 12 ? 74 : 0,
    blockedLevel: incident ? 'subscription' : null,
    rejectedTotal: incident ? 58500 : 0,
    limits: { subscription: 500, domain: null, mailbox: null },
    verification: [],
  };
}

export function fakeDiagnosis(): Diagnosis {
  const subscriptions = SUBS.map(diagnosisOf).sort((a, b) => b.risk - a.risk || a.name.localeCompare(b.name));
  return { now: formatIso(NOW, ZONE), warnings: ['cannot scan files of c3.example under /var/www/vhosts/c3.example: EACCES'], subscriptions };
}

/** Hourly statistics: sub 10 sent 300/hour for two days, then hit its limit for the last 3 hours; the others a little. */
export const LAST_COLLECTED = Date.parse('2022-02-03T20:00:00+09:00');
export const STATS_FROM = NOW - 35 * 24 * HOUR;

/** psa of the fake world, with every hourly row (what a snapshot built without psa's statistics reader serves). */
export function fakePanel(): Omit<PanelData, 'stats'> & { stats: Record<Level, StatRow[]> } {
  const stats: Record<Level, StatRow[]> = { subscription: [], domain: [], mailbox: [] };
  for (let h = LAST_COLLECTED - 48 * HOUR; h <= LAST_COLLECTED; h += HOUR) {
    const burst = h > LAST_COLLECTED - 3 * HOUR;
    stats.subscription.push({ objectId: 10, hour: h, limit: 500, passed: burst ? 500 : 300, rejected: burst ? 19500 : 0 });
    if ((h / HOUR) % 5 === 0) stats.subscription.push({ objectId: 11, hour: h, limit: 500, passed: 3, rejected: 0 });
  }
  return {
    serverLimits: { subscription: 500, domain: null, mailbox: null, enableSendmail: true, filterEnabled: true },
    owners: OWNERS.map((o) => ({ ...o, email: null, locale: null })),
    subscriptions: SUBS.map((s) => ({
      id: s.id, domainId: s.id * 10, name: s.name, ownerId: s.ownerId, status: 0,
      sysUser: { login: s.name.split('.')[0]!, home: homeOf(s.name) }, wwwRoot: `${homeOf(s.name)}/httpdocs`, phpHandler: 'plesk-php82-fpm',
      limits: { subscription: 500, domain: null, mailbox: null, enableSendmail: true },
    })),
    domains: SUBS.map((s) => ({ id: s.id * 10, name: s.name, subscriptionId: s.id, wwwRoot: `${homeOf(s.name)}/httpdocs` })),
    mailboxes: SUBS.map((s) => ({ id: s.id * 100, address: `info@${s.name}`, domainId: s.id * 10, subscriptionId: s.id })),
    stats,
    peaks: {
      subscription: [{ objectId: 10, begin: LAST_COLLECTED - 2 * HOUR + 17 * MINUTE, end: null, rejected: 58500 }],
      domain: [],
      mailbox: [{ objectId: 1200, begin: NOW - 20 * HOUR, end: NOW - 18 * HOUR, rejected: 92 }],
    },
  };
}

/** Pickups per minute of sub 10's system user in the last 48 hours: 5 a minute during the last hour. */
export function fakeMinutes(): Map<number, MinuteCounts> {
  const m = new Map<number, number>();
  for (let t = NOW - HOUR; t < NOW; t += MINUTE) m.set(t, 5);
  return new Map([[uidOf(10), packMinutes(m)]]);
}

export function fakeSnapshot(o: { withMinutes?: boolean; doc?: Diagnosis } = {}): SnapshotData {
  const panel = fakePanel();
  const passwd = { byUid: new Map(), byLogin: new Map(SUBS.map((s) => [s.name.split('.')[0]!, { login: s.name.split('.')[0]!, uid: uidOf(s.id), gid: 1004, home: homeOf(s.name), shell: '/bin/false' }])) };
  const data = buildSnapshotData({ doc: o.doc ?? fakeDiagnosis(), exit: 1, panel, passwd, statsFrom: STATS_FROM, now: NOW, zone: ZONE, vhostsRoot: VHOSTS, durationMs: 1234 });
  return o.withMinutes === false ? data : attachMinutes(data, { byUid: fakeMinutes(), files: 1, warnings: [] }, { from: NOW - 48 * HOUR, to: NOW });
}
