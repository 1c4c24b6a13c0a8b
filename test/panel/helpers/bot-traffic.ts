// The incident, still going on: bots POST to the contact form's mail.php and
// every POST hands a message to sendmail, which OMC refuses (the subscription
// is over its limit). Lines are appended to the world's access and mail logs
// at the demo clock's time, for as long as mail.php is there; once it is
// quarantined the bots get 404 and no mail is sent — which is what the
// panel's verification must then show. Another site's occasional mail keeps
// the mail log moving, so "nothing after the action" is never a stale log.
import { existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const TOKYO = 9 * 3_600_000;   // the world's zone, Asia/Tokyo (no DST)
const p2 = (n: number) => String(n).padStart(2, '0');

function wall(ms: number) {
  const d = new Date(ms + TOKYO);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() };
}
const syslogTime = (ms: number) => {
  const w = wall(ms);
  return `${MON[w.mo]} ${String(w.d).padStart(2, ' ')} ${p2(w.h)}:${p2(w.mi)}:${p2(w.s)}`;
};
const accessTime = (ms: number) => {
  const w = wall(ms);
  return `${p2(w.d)}/${MON[w.mo]}/${w.y}:${p2(w.h)}:${p2(w.mi)}:${p2(w.s)} +0900`;
};
const queueId = () => randomBytes(6).toString('hex').toUpperCase().slice(0, 11);
const UA = 'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112 Safari/537.36';
const REFUSED = 'Your message could not be sent. The limit on the number of allowed outgoing messages was exceeded. Try again later.';

export type Bots = { stop(): Promise<void>; sent(): number };

export function startBotTraffic(o: { worldDir: string; clock: () => number; everyMs?: number }): Bots {
  const script = join(o.worldDir, 'var/www/vhosts/sk-seikan.jp/httpdocs/mail.php');
  const maillog = join(o.worldDir, 'var/log/mail.log');
  const access = join(o.worldDir, 'var/www/vhosts/system/sk-seikan.jp/logs/access_ssl_log');
  let sent = 0;
  let tick = 0;
  let pending: Promise<void> = Promise.resolve();
  const once = async () => {
    const t = o.clock();
    const ip = `198.18.${(tick * 7) % 250}.${(tick * 13) % 250 + 1}`;
    const live = existsSync(script);
    await appendFile(access, `${ip} - - [${accessTime(t)}] "POST /mail.php HTTP/1.1" ${live ? 302 : 404} - "-" "${UA}"\n`);
    const lines: string[] = [];
    const at = syslogTime(t);
    if (live) {
      const id = queueId();
      sent++;
      lines.push(
        `${at} web01 postfix/pickup[1335443]: ${id}: uid=10001 from=<info@sk-seikan.jp>`,
        `${at} web01 postfix/cleanup[1335388]: ${id}: message-id=<${id}@web01.easytone.example>`,
        `${at} web01 /usr/lib/plesk-9.0/psa-pc-remote[812398]: REJECT during call 'limit-out' handler`,
        `${at} web01 postfix/cleanup[1335388]: ${id}: milter-reject: END-OF-MESSAGE from localhost[127.0.0.1]: 5.7.0 ${REFUSED}; from=<info@sk-seikan.jp> to=<bot${tick}@freemail.example>`,
      );
    }
    if (tick % 5 === 0) {
      const id = queueId();
      lines.push(`${at} web01 postfix/pickup[1335443]: ${id}: uid=10002 from=<info@sakura-dental.jp>`, `${at} web01 postfix/cleanup[1335388]: ${id}: message-id=<${id}@web01.easytone.example>`);
    }
    tick++;
    if (lines.length) await appendFile(maillog, `${lines.join('\n')}\n`);
  };
  const timer = setInterval(() => {
    pending = pending.then(once);
  }, o.everyMs ?? 2_000);
  return {
    sent: () => sent,
    async stop() {
      clearInterval(timer);
      await pending;
    },
  };
}
