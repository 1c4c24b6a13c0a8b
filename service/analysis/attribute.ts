// Attribution (DESIGN.md §3): tie a subscription's outgoing mail to the most
// specific source the evidence supports — script path > system user (UID) —
// and SMTP-auth mailboxes; say how sure, and why. Pure: data in, findings out.
import type { AttributionInput, ScriptFile, Series } from './attribute-types.ts';
import { combine, correlate } from './correlate.ts';
import { detectLeak, type Leak } from './leak.ts';
import type { Evidence } from './diagnosis.ts';
import { findEntryScript, isLibraryPath, scriptCandidates } from './scripts.ts';

export type Finding = {
  kind: 'script' | 'mailbox' | 'system-user';
  path?: string;
  address?: string;
  login?: string;
  uid?: number;
  messages: number;
  rejected: number;
  firstSeen: number | null;
  lastSeen: number | null;
  hourly: Series;
  attribution: number;        // how sure the messages came from here
  abnormal: number;           // how much it looks like abuse
  confidence: number;
  evidence: Evidence[];
  facts: Facts;
  file?: ScriptFile;
  leak: Leak | null;
};

export type Facts = {
  phpMailCalls?: number;
  header?: string;
  library?: string;
  bots?: { ips: number; posts: number; blindShare: number; noReferrerShare: number; score: number; reasons: string[] };
  correlation?: number;
  code?: string[];
  ips?: number;
  mailboxRejected?: number;
  limitRejected?: number;
};

const CODE_WEIGHTS: Record<string, number> = {
  'input-to-recipient': 0.6, 'input-to-headers': 0.55, obfuscation: 0.8, 'long-base64': 0.5,
  'uploads-folder': 0.5, 'hidden-name': 0.4, 'sendmail-pipe': 0.2,
};

export function attributeSubscription(input: AttributionInput): Finding[] {
  const findings = scriptFindings(input);
  const systemMessages = input.system?.messages ?? 0;
  const explained = findings.reduce((n, f) => n + f.messages, 0);
  const remainder = systemMessages - explained;
  if (input.system && input.uid !== null && (findings.length === 0 ? systemMessages > 0 : remainder >= Math.max(10, systemMessages * 0.05))) {
    const sys = input.system;
    const scriptsExplainLittle = explained < systemMessages * 0.5;
    findings.push(finish(input, {
      kind: 'system-user', login: input.login ?? undefined, uid: input.uid,
      messages: findings.length ? remainder : systemMessages,
      rejected: scriptsExplainLittle ? sys.rejected : 0,
      firstSeen: sys.firstSeen, lastSeen: sys.lastSeen,
      hourly: scriptsExplainLittle ? sys.hourly : new Map(),
      attribution: 1,
      evidence: [{ signal: 'pickup-uid', detail: `Postfix picked up ${fmt(systemMessages)} messages submitted locally by UID ${input.uid}${input.login ? ` (${input.login})` : ''}` }],
      facts: { limitRejected: sys.limitRejected },
    }));
  }
  for (const mb of input.mailboxes) {
    const s = mb.sender;
    const ips = s.clientIps.size;
    findings.push(finish(input, {
      kind: 'mailbox', address: mb.address, messages: s.messages, rejected: s.rejected,
      firstSeen: s.firstSeen, lastSeen: s.lastSeen, hourly: s.hourly, attribution: 1,
      evidence: [{ signal: 'smtp-auth', detail: `${fmt(s.messages)} messages sent with this mailbox's password (SMTP AUTH) from ${fmt(ips)} address${ips === 1 ? '' : 'es'}` }],
      facts: { ips, mailboxRejected: mb.mailboxRejected, limitRejected: s.limitRejected },
      extraAbnormal: [ips >= 10 ? 0.7 : ips >= 5 ? 0.5 : 0, mb.mailboxRejected > 0 || mb.mailboxPeak ? 0.6 : 0],
    }));
  }
  const score = (f: Finding) => (f.confidence >= 0.5 ? 1e12 : 0) + f.confidence * (f.messages + 1);
  return findings.sort((a, b) => score(b) - score(a));
}

type Draft = Omit<Finding, 'confidence' | 'abnormal' | 'leak'> & { extraAbnormal?: number[] };

function finish(input: AttributionInput, d: Draft): Finding {
  const leak = d.hourly.size ? detectLeak(d.hourly, { now: input.now, zone: input.zone }) : null;
  const code = d.facts.code ?? [];
  const weights = [
    ...(d.extraAbnormal ?? []),
    ...code.map((c) => CODE_WEIGHTS[c] ?? 0),
    d.facts.bots ? d.facts.bots.score * 0.9 : 0,
    leak ? 0.7 : 0,
    // When the subscription is blocked every sender is refused, victims too:
    // what marks the source pushing it over is its share of the refusals.
    0.8 * Math.min(1, (2 * (d.facts.limitRejected ?? 0)) / Math.max(1, limitTotal(input))),
  ];
  const abnormal = combine(weights);
  const { extraAbnormal: _unused, ...rest } = d;
  const confidence = Math.round(d.attribution * (0.4 + 0.6 * abnormal) * 100) / 100;
  return { ...rest, abnormal, confidence, leak };
}

function limitTotal(input: AttributionInput): number {
  return (input.system?.limitRejected ?? 0) + input.mailboxes.reduce((n, m) => n + m.sender.limitRejected, 0);
}

function scriptFindings(input: AttributionInput): Finding[] {
  const byPath = new Map<string, Draft>();
  const fileByPath = new Map(input.files.map((f) => [f.path, f]));
  const get = (path: string, attribution: number): Draft => {
    let d = byPath.get(path);
    if (!d) {
      const file = fileByPath.get(path);
      d = { kind: 'script', path, messages: 0, rejected: 0, firstSeen: null, lastSeen: null, hourly: new Map(), attribution, evidence: [], facts: {}, ...(file ? { file } : {}) };
      byPath.set(path, d);
    }
    d.attribution = Math.max(d.attribution, attribution);
    return d;
  };

  // 1. PHP's mail.log: the exact file that called mail().
  for (const m of input.phpMail) {
    const library = fileByPath.get(m.path)?.library ?? isLibraryPath(m.path);
    const entry = library ? findEntryScript(m.hourly, input.posts) : null;
    const target = library ? entry?.filePath ?? null : m.path;
    const d = get(target ?? m.path, library && !target ? 0.4 : 0.97);
    d.messages += m.count;
    d.hourly = m.hourly;
    d.firstSeen = minOf(d.firstSeen, m.first);
    d.lastSeen = maxOf(d.lastSeen, m.last);
    d.facts.phpMailCalls = (d.facts.phpMailCalls ?? 0) + m.count;
    if (library) d.facts.library = m.path;
    d.evidence.push({ signal: 'php-mail-log', detail: library
      ? `PHP's mail log records ${fmt(m.count)} mail() calls from the library ${m.path}${target ? `, reached through ${target}` : '; the script that uses it is not known yet'}`
      : `PHP's mail log records ${fmt(m.count)} mail() calls from this file` });
  }

  // 2. X-PHP-Originating-Script (uid:basename), as logged by header_checks.
  for (const [value, count] of input.system?.scripts ?? []) {
    const colon = value.indexOf(':');
    const name = value.slice(colon + 1);
    if (input.uid !== null && value.slice(0, colon) !== String(input.uid)) continue;
    const candidates = scriptCandidates(name, input.files, input.posts);
    if (candidates.length !== 1) continue;
    const d = get(candidates[0]!, 0.9);
    if (!d.facts.phpMailCalls) d.messages = Math.max(d.messages, count);
    d.facts.header = value;
    d.evidence.push({ signal: 'x-php-originating-script', detail: `${fmt(count)} messages carry X-PHP-Originating-Script: ${value}` });
  }

  // 3. POSTs to a mail-sending script, timed with the UID's pickups.
  const posted = input.posts.filter((p) => p.filePath && !(fileByPath.get(p.filePath)?.library));
  const rated = posted.map((p) => {
    const file = fileByPath.get(p.filePath!);
    const r = Math.max(correlate(p.minutely, input.minutePickups, input.window), 0);
    const sends = !!file && file.sends.length > 0;
    return { p, r, sends, missing: !file };
    // A front controller (WordPress's index.php) sends through what it
    // includes: strong timing agreement alone makes it a candidate.
  }).filter((x) => ((x.sends || x.missing) && x.r >= 0.3) || x.r >= 0.6);
  const unexplained = Math.max(0, (input.system?.messages ?? 0) - [...byPath.values()].reduce((n, d) => n + d.messages, 0));
  const totalWeight = rated.reduce((n, x) => n + x.p.posts * x.r, 0);
  for (const x of rated) {
    const d = get(x.p.filePath!, Math.min(0.93, 0.4 + 0.4 * x.r + (x.sends || x.missing ? 0.1 : 0)));
    const share = totalWeight ? (x.p.posts * x.r) / totalWeight : 0;
    if (!d.facts.phpMailCalls && !d.facts.header) {
      d.messages = Math.round(unexplained * share);
      d.hourly = rated.length === 1 && input.system ? input.system.hourly : x.p.hourly;
      d.rejected = rated.length === 1 && input.system ? input.system.rejected : 0;
      d.facts.limitRejected = rated.length === 1 ? input.system?.limitRejected ?? 0 : 0;
    }
    d.firstSeen = minOf(d.firstSeen, x.p.first);
    d.lastSeen = maxOf(d.lastSeen, x.p.last);
    d.facts.correlation = x.r;
    d.facts.bots = {
      ips: x.p.ips, posts: x.p.posts, score: x.p.bot.score, reasons: x.p.bot.reasons,
      blindShare: x.p.posts ? x.p.blindPosts / x.p.posts : 0, noReferrerShare: x.p.posts ? x.p.noReferrer / x.p.posts : 0,
    };
    d.evidence.push({ signal: 'access-log-post', detail: `${fmt(x.p.posts)} POST requests to ${x.p.urlPath} on ${x.p.vhost} from ${fmt(x.p.ips)} addresses; their timing matches the UID's submissions (r=${x.r.toFixed(2)})` });
    if (x.p.bot.score >= 0.5) d.evidence.push({ signal: 'bots', detail: x.p.bot.reasons.join('; ') });
  }

  // Static code signals of every script found.
  for (const d of byPath.values()) {
    const file = d.file;
    if (!file) continue;
    const code = file.signals.map((s) => s.signal).filter((s) => s in CODE_WEIGHTS);
    d.facts.code = [...new Set(code)];
    for (const s of file.signals) if (s.signal in CODE_WEIGHTS) d.evidence.push({ signal: 'code', detail: s.detail });
  }
  return [...byPath.values()].map((d) => finish(input, d));
}

const fmt = (v: number) => v.toLocaleString('en-US');
const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
