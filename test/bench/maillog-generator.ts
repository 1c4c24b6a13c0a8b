// A deterministic Plesk-style Postfix maillog of a chosen size, for the speed
// bench: scripts submitting through pickup (uid=), SMTP AUTH mailboxes, inbound
// mail from the internet, Plesk's psa-pc-remote handler chatter, deferrals,
// bounces, and one subscription hitting its outgoing limit (limit-out REJECT +
// milter-reject). Same seed, same bytes.
import { openSync, writeSync, closeSync } from 'node:fs';
import { mulberry32 } from '../helpers/prng.ts';

export type GeneratedLog = { bytes: number; lines: number; messages: number; pickups: number; limitRejects: number; lastMs: number };


const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const HOST = 'plesk01';
const PC = '/usr/lib64/plesk-9.0/psa-pc-remote';
const LIMIT = '5.7.0 Your message could not be sent. The limit on the number of allowed outgoing messages was exceeded. Try again later.';

export function generateMaillog(path: string, targetBytes: number, seed = 20220203): GeneratedLog {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const uids = Array.from({ length: 1500 }, (_, i) => 10_000 + i);
  const domains = Array.from({ length: 1500 }, (_, i) => `site${i}.example.jp`);
  const mailboxes = Array.from({ length: 3000 }, (_, i) => `user${i % 40}@${domains[i % domains.length]}`);
  const inboundIps = Array.from({ length: 5000 }, (_, i) => `198.${(i >> 8) & 255}.${i & 255}.${(i * 7) % 250 + 1}`);
  const fd = openSync(path, 'w');
  const out: string[] = [];
  let outBytes = 0;
  const stats: GeneratedLog = { bytes: 0, lines: 0, messages: 0, pickups: 0, limitRejects: 0, lastMs: 0 };
  let t = Date.UTC(2022, 0, 20, 0, 0, 0);   // starts Jan 20, runs into February
  let stamp = '';
  let stampSecond = -1;
  let qseq = 0x10000;
  const emit = (prog: string, msg: string) => {
    const line = `${stamp} ${HOST} ${prog}: ${msg}\n`;
    out.push(line);
    outBytes += line.length;
    stats.lines++;
  };
  const flush = () => {
    const chunk = out.join('');
    writeSync(fd, chunk);
    stats.bytes += Buffer.byteLength(chunk);
    out.length = 0;
    outBytes = 0;
  };
  const pid = () => 1000 + Math.floor(rnd() * 30000);
  const chatter = (p: number) => {
    emit(`${PC}[${p}]`, 'handlers_stderr: PASS');
    emit(`${PC}[${p}]`, "PASS during call 'limit-out' handler");
    emit(`${PC}[${p}]`, "PASS during call 'dd51-domainkeys' handler");
  };
  const deliver = (qid: string, from: string, nrcpt: number, outbound: boolean) => {
    emit('postfix/qmgr[812]', `${qid}: from=<${from}>, size=${1000 + Math.floor(rnd() * 40000)}, nrcpt=${nrcpt} (queue active)`);
    for (let r = 0; r < nrcpt; r++) {
      const roll = rnd();
      if (!outbound) {
        emit(`postfix/pipe[${pid()}]`, `${qid}: to=<${pick(mailboxes)}>, relay=plesk_virtual, delay=0.1, delays=0.05/0/0/0.05, dsn=2.0.0, status=sent (delivered via plesk_virtual service)`);
      } else if (roll < 0.9) {
        emit(`postfix/smtp[${pid()}]`, `${qid}: to=<r${Math.floor(rnd() * 1e6)}@mail${Math.floor(rnd() * 500)}.example.com>, relay=mx.example.com[203.0.113.${Math.floor(rnd() * 250)}]:25, delay=0.8, delays=0.1/0/0.3/0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${(qseq * 7919).toString(16).toUpperCase()})`);
      } else if (roll < 0.96) {
        emit(`postfix/smtp[${pid()}]`, `${qid}: to=<r${Math.floor(rnd() * 1e6)}@mail.example.net>, relay=none, delay=30, delays=0.1/0/30/0, dsn=4.4.1, status=deferred (connect to mail.example.net[192.0.2.1]:25: Connection timed out)`);
      } else {
        emit(`postfix/smtp[${pid()}]`, `${qid}: to=<nobody${Math.floor(rnd() * 1e4)}@example.org>, relay=mx.example.org[192.0.2.9]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.9] said: 550 5.1.1 User unknown (in reply to RCPT TO command))`);
      }
    }
    emit('postfix/qmgr[812]', `${qid}: removed`);
  };
  while (stats.bytes + outBytes < targetBytes) {
    t += Math.floor(rnd() * 2500);
    const second = Math.floor(t / 1000);
    if (second !== stampSecond) {
      const d = new Date(t);
      const day = d.getUTCDate();
      stamp = `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
      stampSecond = second;
    }
    const qid = (qseq++).toString(16).toUpperCase().padStart(10, '0');
    const kind = rnd();
    const hour = new Date(t).getUTCHours();
    stats.messages++;
    if (kind < 0.35) {
      // A script through sendmail: pickup with the subscription's UID. uid 10007 leaks all day.
      const uid = rnd() < 0.1 ? 10_007 : pick(uids);
      const from = `www@${domains[uid - 10_000]}`;
      stats.pickups++;
      emit(`postfix/pickup[${pid()}]`, `${qid}: uid=${uid} from=<${from}>`);
      emit(`postfix/cleanup[${pid()}]`, `${qid}: message-id=<${t}.${qid}@${HOST}>`);
      if (rnd() < 0.3) emit(`postfix/cleanup[${pid()}]`, `${qid}: warning: header X-PHP-Originating-Script: ${uid}:mail.php from local; from=<${from}> to=<x@example.com>`);
      chatter(pid());
      deliver(qid, from, 1, true);
    } else if (kind < 0.6) {
      const box = pick(mailboxes);
      const ip = `203.0.113.${Math.floor(rnd() * 250)}`;
      const p = pid();
      emit(`postfix/smtpd[${p}]`, `connect from unknown[${ip}]`);
      emit(`postfix/smtpd[${p}]`, `${qid}: client=unknown[${ip}], sasl_method=PLAIN, sasl_username=${box}`);
      emit(`postfix/cleanup[${pid()}]`, `${qid}: message-id=<${t}.${qid}@client>`);
      // One mailbox's subscription is over its limit between 09:00 and 12:00 every day.
      if (box === mailboxes[7] || (hour >= 9 && hour < 12 && rnd() < 0.15)) {
        emit(`${PC}[${p}]`, "REJECT during call 'limit-out' handler");
        emit(`postfix/cleanup[${pid()}]`, `${qid}: milter-reject: END-OF-MESSAGE from unknown[${ip}]: ${LIMIT}; from=<${box}> to=<x@example.com> proto=ESMTP helo=<client>`);
        stats.limitRejects++;
      } else {
        chatter(p);
        deliver(qid, box, 1 + (rnd() < 0.1 ? 2 : 0), true);
      }
      emit(`postfix/smtpd[${p}]`, `disconnect from unknown[${ip}] ehlo=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=6`);
    } else {
      const ip = pick(inboundIps);
      const p = pid();
      emit(`postfix/smtpd[${p}]`, `connect from mx-${ip.replace(/\./g, '-')}.example.net[${ip}]`);
      emit(`postfix/smtpd[${p}]`, `${qid}: client=mx-${ip.replace(/\./g, '-')}.example.net[${ip}]`);
      emit(`postfix/cleanup[${pid()}]`, `${qid}: message-id=<${t}.${qid}@remote>`);
      chatter(p);
      deliver(qid, `news@remote${Math.floor(rnd() * 100)}.example.net`, 1, false);
      emit(`postfix/smtpd[${p}]`, `disconnect from mx-${ip.replace(/\./g, '-')}.example.net[${ip}] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5`);
      if (rnd() < 0.5) emit('dovecot', `imap-login: Login: user=<${pick(mailboxes)}>, method=PLAIN, rip=${ip}, lip=192.0.2.10, mpid=${pid()}, TLS`);
    }
    if (outBytes > 4 * 1024 * 1024) flush();
  }
  flush();
  closeSync(fd);
  stats.lastMs = Math.floor(t / 1000) * 1000;
  return stats;
}
