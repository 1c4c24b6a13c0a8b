// Tells people about incidents: e-mail through the local sendmail (argv array,
// the message on stdin: nothing of it on a command line) to the server admin
// and, per the subscription's settings, its owner and extra addresses — each
// in the recipient's language (psa's clients.locale: ja… → Japanese, else
// English); and a webhook (JSON POST, HMAC-SHA256 signed, retried with
// backoff). One message per incident and recipient, another only when it
// escalates or resolves: each (incident, channel, transition) is marked in
// the incident store BEFORE it is sent, so a crash can lose a message but
// never send one twice.
import { createHmac, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { describeError } from '../errors.ts';
import { runCommand } from '../sources/run-command.ts';
import { formatIso } from '../time.ts';
import type { Settings } from '../http/contract.ts';
import type { LiveDirectory } from './directory.ts';
import type { Incident, Transition } from './incident.ts';
import type { IncidentStore } from './incident-store.ts';

export type NotifyOptions = {
  sendmail: string | null;            // null: no e-mail
  from: string;
  /** Override of psa's admin address (config liveAdminEmail). */
  adminEmail: string | null;
  webhook: { url: string; secret: Buffer } | null;
  zone: string;
  retry?: { attempts: number; firstDelayMs: number; timeoutMs: number };
  log: (level: 'info' | 'warn', obj: object, msg: string) => void;
};

export type Notifier = {
  /** Sends what the transitions call for (not awaited by the watcher: sends queue one after another). */
  send(transitions: Transition[], dir: LiveDirectory, settingsOf: (id: number) => Settings, extra: Map<string, string[]>): Promise<void>;
  idle(): Promise<void>;
  stats: { emails: number; webhooks: number; failures: number };
};

type Lang = 'en' | 'ja';
const langOf = (locale: string | null | undefined): Lang => (locale && /^ja/i.test(locale) ? 'ja' : 'en');
const clean = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, ' ');
const ADDRESS = /^[^\s<>@"',;:\\()[\]-][^\s<>@"',;:\\()[\]]*@[A-Za-z0-9.-]+$/;

const KIND: Record<Incident['kind'], Record<Lang, string>> = {
  burst: { en: 'Mail burst', ja: '大量送信' },
  block: { en: 'Outgoing mail blocked', ja: '送信がブロックされています' },
  'slow-leak': { en: 'Slow leak', ja: '継続的な不正送信' },
  probing: { en: 'Probing for scripts', ja: 'スクリプト探索' },
};
const STATE: Record<Transition['type'], Record<Lang, string>> = {
  opened: { en: '', ja: '' },
  escalated: { en: ' (worse)', ja: '（悪化）' },
  resolved: { en: ' (resolved)', ja: '（収束）' },
};

/** RFC 2047 for a header that is not plain ASCII. */
function encodeHeader(text: string): string {
  const t = clean(text);
  return /^[\x20-\x7e]*$/.test(t) ? t : `=?UTF-8?B?${Buffer.from(t).toString('base64')}?=`;
}

export function composeEmail(o: { from: string; to: string; lang: Lang; t: Transition; zone: string; extra: string[]; now: number }): string {
  const { incident: i, type } = o.t;
  const subject = `[sendtrace] ${KIND[i.kind][o.lang]}${STATE[type][o.lang]}: ${i.subscription ?? i.source?.id ?? hostname()}`;
  const L = o.lang === 'ja'
    ? { what: i.reason.ja, since: '開始', src: '送信元', conf: '確度', id: 'インシデント' }
    : { what: i.reason.en, since: 'Since', src: 'Source', conf: 'Confidence', id: 'Incident' };
  const body = [
    L.what, '',
    `${L.since}: ${formatIso(i.openedAt, o.zone)}`,
    ...(i.source ? [`${L.src}: ${i.source.label}`] : []),
    ...(i.confidence !== null ? [`${L.conf}: ${i.confidence}`] : []),
    ...i.context.map((c) => `- ${c}`),
    ...(o.extra.length ? ['', ...o.extra] : []),
    '', `${L.id}: ${i.id} (${type}, level ${i.level})`, '',
  ].join('\n');
  return [
    `From: sendtrace <${o.from}>`, `To: <${o.to}>`, `Subject: ${encodeHeader(subject)}`,
    `Date: ${new Date(o.now).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(12).toString('hex')}.${i.id}@sendtrace>`,
    'Auto-Submitted: auto-generated', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit',
    '', body,
  ].join('\r\n');
}

/** `sha256=` + HMAC-SHA256 over `${timestamp}.${body}` (docs/live.md: verify it before trusting the body). */
export function signWebhook(secret: Buffer, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createNotifier(o: NotifyOptions, store: IncidentStore, clock: () => number = Date.now): Notifier {
  const retry = o.retry ?? { attempts: 5, firstDelayMs: 1000, timeoutMs: 10_000 };
  const stats = { emails: 0, webhooks: 0, failures: 0 };
  let chain = Promise.resolve();

  const once = (i: Incident, channel: string, mark: string) => {
    if (store.wasSent(i.id, channel, mark)) return false;
    store.markSent(i.id, channel, mark);
    return true;
  };

  const email = async (t: Transition, to: string, lang: Lang, extra: string[]) => {
    if (!o.sendmail || !ADDRESS.test(to) || !once(t.incident, `email:${to}`, `${t.type}:${t.incident.level}`)) return;
    const message = composeEmail({ from: o.from, to, lang, t, zone: o.zone, extra, now: clock() });
    try {
      // -i: a line with a lone dot does not end the message; `--` and the address check keep `to` an address.
      const r = await runCommand([o.sendmail, '-i', '-f', o.from, '--', to], { stdin: message, timeoutMs: 30_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
      if (r.code !== 0) throw new Error(`exit ${r.code}: ${clean(r.stderr).slice(0, 200)}`);
      stats.emails++;
      o.log('info', { incident: t.incident.id, to, type: t.type }, 'incident e-mailed');
    } catch (err) {
      stats.failures++;
      o.log('warn', { incident: t.incident.id, to, err: describeError(err) }, 'incident e-mail failed');
    }
  };

  const webhook = async (t: Transition, extra: string[]) => {
    if (!o.webhook || !once(t.incident, 'webhook', `${t.type}:${t.incident.level}`)) return;
    const body = JSON.stringify({ type: `incident.${t.type}`, sentAt: formatIso(clock(), o.zone), host: hostname(), incident: t.incident, actions: extra });
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      const ts = String(Math.floor(clock() / 1000));
      try {
        const res = await fetch(o.webhook.url, {
          method: 'POST', body, signal: AbortSignal.timeout(retry.timeoutMs), redirect: 'error',
          headers: { 'content-type': 'application/json', 'x-sendtrace-timestamp': ts, 'x-sendtrace-signature': signWebhook(o.webhook.secret, ts, body), 'x-sendtrace-delivery': `${t.incident.id}:${t.type}:${t.incident.level}` },
        });
        await res.arrayBuffer();
        if (res.ok) {
          stats.webhooks++;
          return;
        }
        // A 4xx other than timeout/too-many says the receiver will never take it.
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new Error(`HTTP ${res.status}`);
        if (attempt === retry.attempts) throw new Error(`HTTP ${res.status}`);
      } catch (err) {
        if (attempt === retry.attempts || /^HTTP 4/.test((err as Error).message)) {
          stats.failures++;
          o.log('warn', { incident: t.incident.id, attempts: attempt, err: describeError(err) }, 'incident webhook failed');
          return;
        }
      }
      await sleep(retry.firstDelayMs * 2 ** (attempt - 1));
    }
  };

  return {
    stats,
    send(transitions, dir, settingsOf, extra) {
      const work = async () => {
        for (const t of transitions) {
          const i = t.incident;
          const more = extra.get(i.id) ?? [];
          const admin = o.adminEmail ?? dir.adminEmail;
          const jobs: Array<Promise<void>> = [webhook(t, more)];
          if (admin) jobs.push(email(t, admin, langOf(o.adminEmail ? null : dir.adminLocale), more));
          const sub = i.subscriptionId === null ? undefined : dir.subscriptions.get(i.subscriptionId);
          // Probing is context for the admin; the owner hears about mail only, and only about findings.
          if (sub && i.kind !== 'probing' && (i.confidence === null || i.confidence >= settingsOf(sub.id).thresholds.minConfidence)) {
            const s = settingsOf(sub.id);
            const owner = dir.owners.get(sub.ownerId);
            const lang = langOf(owner?.locale);
            const to = new Set<string>(s.notify.emails);
            if (s.notify.owner && owner?.email && owner.type !== 'admin') to.add(owner.email);
            if (admin) to.delete(admin);
            for (const addr of to) jobs.push(email(t, addr, lang, more));
          }
          await Promise.all(jobs);
        }
      };
      chain = chain.then(work, work);
      return chain;
    },
    idle: () => chain,
  };
}

export const DEFAULT_FROM = () => `sendtrace@${hostname()}`;
