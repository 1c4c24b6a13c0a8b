// The lab's one modelled part, second half: Plesk's Outgoing Mail Control
// statistics. Plesk's limiter cannot run here; the limit-out stand-in
// (limit-out-milter.mjs) makes real Postfix refuse over-limit mail and counts
// passed/refused per sender domain and clock hour. This copies those counts
// into psa's SubscriptionOutgoingMessagesStats / …Peaks (reference/plesk.md
// §3, the tables the product reads for OMC's view), as Plesk's statistics
// job would — every few seconds instead of hourly, so a bounded run shows it.
import type { LimitOutMilter } from './limit-out-milter.mjs';
import type { Mariadb } from '../helpers/mariadb.ts';
import type { LabHost } from './host.ts';
import { LAB_ZONE } from './host.ts';

const HOUR = 3_600_000;

/** `YYYY-MM-DD HH:00:00` of an hour in the lab's zone (psa DATETIMEs are server-local). */
function localHour(hour: number): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: LAB_ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit' }).formatToParts(new Date(hour * HOUR));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:00:00`;
}

export function omcSql(host: LabHost, milter: LimitOutMilter): string {
  const out: string[] = [];
  for (const [key, c] of milter.counts) {
    const [hourText, domain] = key.split('|');
    const site = host.sites.find((s) => s.domain === domain);
    if (!site) continue; // e.g. mail from a login@hostname sender: no subscription's limit
    const at = localHour(Number(hourText));
    out.push(`INSERT INTO SubscriptionOutgoingMessagesStats (subscriptionId, collectDate, limitValue, passed, rejected) VALUES (${site.subscriptionId}, '${at}', ${site.limit}, ${c.passed}, ${c.rejected}) ON DUPLICATE KEY UPDATE passed = VALUES(passed), rejected = VALUES(rejected);`);
    if (c.rejected > 0) {
      out.push(`INSERT INTO SubscriptionOutgoingMessagesPeaks (subscriptionId, beginDate, endDate, rejected) VALUES (${site.subscriptionId}, '${at}', NULL, ${c.rejected}) ON DUPLICATE KEY UPDATE rejected = VALUES(rejected);`);
    }
  }
  return out.join('\n');
}

/** Copies the counts now and every `everyMs`; stop() ends it after a last copy. */
export function startOmcSync(host: LabHost, milter: LimitOutMilter, db: Mariadb, everyMs = 5_000): { syncNow(): Promise<void>; stop(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  // One copy at a time; a failed copy is kept and reported by stop(), the next one still runs.
  const syncNow = () => {
    chain = chain.then(async () => {
      const sql = omcSql(host, milter);
      if (sql) await db.exec(sql);
    }).catch((err: unknown) => {
      failure ??= err;
    });
    return chain;
  };
  const timer = setInterval(() => void syncNow(), everyMs);
  return {
    syncNow,
    async stop() {
      clearInterval(timer);
      await syncNow();
      if (failure) throw failure;
    },
  };
}
