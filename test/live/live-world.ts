// A small Plesk-shaped world for the live tests: three subscriptions, their
// system users, mailboxes and OMC limits, and generators of real-shaped
// Postfix / PHP mail.log lines (the shapes of test/fixtures/captured).
import { buildDirectory, type LiveDirectory } from '../../service/live/directory.ts';
import { parsePasswd } from '../../service/sources/passwd.ts';
import { formatIso } from '../../service/time.ts';

export const ZONE = 'Asia/Tokyo';
export const VHOSTS = '/var/www/vhosts';

export const PANEL = {
  owners: [
    { id: 1, login: 'admin', type: 'admin' as const, parentId: null, email: 'admin@host.example', locale: 'en-US' },
    { id: 2, login: 'easytone', type: 'client' as const, parentId: 1, email: 'owner@easytone.example', locale: 'ja-JP' },
    { id: 3, login: 'shop', type: 'client' as const, parentId: 1, email: 'owner@shop.example', locale: 'en-US' },
  ],
  subscriptions: [
    { id: 10, name: 'easytone.example', ownerId: 2, sysUser: { login: 'easytone', home: '/var/www/vhosts/easytone.example' }, limits: { subscription: 500 } },
    { id: 11, name: 'shop.example', ownerId: 3, sysUser: { login: 'shopuser', home: '/var/www/vhosts/shop.example' }, limits: { subscription: 1000 } },
    { id: 12, name: 'news.example', ownerId: 3, sysUser: { login: 'newsuser', home: '/var/www/vhosts/news.example' }, limits: { subscription: -1 } },
  ],
  domains: [
    { name: 'easytone.example', subscriptionId: 10 }, { name: 'shop.example', subscriptionId: 11 }, { name: 'news.example', subscriptionId: 12 },
  ],
  mailboxes: [
    { address: 'info@easytone.example', subscriptionId: 10 }, { address: 'sales@shop.example', subscriptionId: 11 },
  ],
};

export const PASSWD_TEXT = [
  'root:x:0:0:root:/root:/bin/bash',
  'easytone:x:10001:1003::/var/www/vhosts/easytone.example:/bin/false',
  'shopuser:x:10002:1003::/var/www/vhosts/shop.example:/bin/false',
  'newsuser:x:10003:1003::/var/www/vhosts/news.example:/bin/false',
].join('\n');

export function directory(): LiveDirectory {
  return buildDirectory(PANEL, parsePasswd(PASSWD_TEXT).passwd, VHOSTS);
}

export const SCRIPT = '/var/www/vhosts/easytone.example/httpdocs/mail.php';

let qn = 0x10000;
/** A fresh short queue ID (upper-case hex, 10 characters). */
export const qid = () => (qn++).toString(16).toUpperCase().padStart(10, '0');

const stamp = (ts: number) => formatIso(ts, ZONE).replace(/(\d{2}:\d{2}:\d{2})/, '$1.000');

/** A script's mail through sendmail: pickup, then removed (accepted). */
export function pickupLines(ts: number, uid: number, from: string, rejected = false): string[] {
  const q = qid();
  const t = stamp(ts);
  const out = [`${t} plesk postfix/pickup[6185]: ${q}: uid=${uid} from=<${from}>`, `${t} plesk postfix/cleanup[6204]: ${q}: message-id=<${q}@plesk.example>`];
  if (rejected) {
    out.push(`${t} plesk /usr/lib/plesk-9.0/psa-pc-remote[5778]: REJECT during call 'limit-out' handler`);
    out.push(`${t} plesk postfix/cleanup[6204]: ${q}: milter-reject: END-OF-MESSAGE from localhost[127.0.0.1]: 5.7.0 Your message could not be sent. The limit on the number of allowed outgoing messages was exceeded. Try again later.; from=<${from}> to=<victim@example.net>`);
  } else {
    out.push(`${t} plesk /usr/lib/plesk-9.0/psa-pc-remote[5778]: PASS during call 'limit-out' handler`);
    out.push(`${t} plesk postfix/qmgr[6186]: ${q}: from=<${from}>, size=489, nrcpt=1 (queue active)`);
  }
  out.push(`${t} plesk postfix/qmgr[6186]: ${q}: removed`);
  return out;
}

/** An SMTP AUTH submission by a mailbox. */
export function saslLines(ts: number, user: string): string[] {
  const q = qid();
  const t = stamp(ts);
  return [
    `${t} plesk postfix/smtpd[7001]: ${q}: client=unknown[203.0.113.7], sasl_method=PLAIN, sasl_username=${user}`,
    `${t} plesk postfix/qmgr[6186]: ${q}: from=<${user}>, size=900, nrcpt=1 (queue active)`,
    `${t} plesk postfix/qmgr[6186]: ${q}: removed`,
  ];
}

/** PHP's mail.log line for a mail() call. */
export function phpLine(ts: number, path: string, line = 12): string {
  const d = new Date(ts);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]!;
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `[${p2(d.getUTCDate())}-${mon}-${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC] mail() on [${path}:${line}]: To: victim@example.net -- Headers: From: info@easytone.example -- Subject: Hello`;
}
