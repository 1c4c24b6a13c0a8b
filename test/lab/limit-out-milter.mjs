// A stand-in for Plesk's outgoing-mail limiter ("limit-out", run inside the
// psa-pc-remote milter — reference/plesk.md §1.7 [V]), so that REAL Postfix
// writes the real refusal lines.
//
// What is real and what is modelled:
// - It speaks the Sendmail milter protocol v6 to Postfix (smtpd_milters and
//   non_smtpd_milters). When a sender is over its hourly limit it answers
//   SMFIR_REPLYCODE with OMC's exact text [V: KB 213389069], and Postfix itself
//   logs `cleanup[PID]: QID: milter-reject: END-OF-MESSAGE … 5.7.0 Your message
//   could not be sent. …` — that line is Postfix's own.
// - The one modelled line is the handler verdict that psa-pc-remote writes
//   before answering: `/usr/lib/plesk-9.0/psa-pc-remote[PID]: PASS|REJECT
//   during call 'limit-out' handler` [V wording, KB 213389069 and a forum log].
//   This milter appends it to the maillog in syslog form, with its own PID.
//   Plesk also writes `handlers_stderr: PASS` lines; they are not modelled.
// - Counting is a model: messages per envelope-sender domain per clock hour,
//   limit per domain (0 forbids sending, as in OMC [V]; -1 unlimited). Plesk's
//   real limiter counts per mailbox/domain/subscription (§1.1) — what matters
//   here is the log it leaves, not its bookkeeping.
// - Only outgoing mail is counted and logged: mail from local submission
//   (the `local` listener, wired to non_smtpd_milters) and SMTP mail whose
//   client authenticated ({auth_authen} macro). Other SMTP mail (inbound)
//   gets no handler line: what Plesk logs for it is not documented.
//
// Use as a module: `startLimitOutMilter(options)`, or run it:
//   node test/lab/limit-out-milter.mjs --smtp-port 12768 --local-port 12769 \
//     --maillog /tmp/x/maillog --limit 500 --limits sk-seikan.jp=500,shop.jp=0
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LIMIT_TEXT = 'Your message could not be sent. The limit on the number of allowed outgoing messages was exceeded. Try again later.';
export const REPLY = `554 5.7.0 ${LIMIT_TEXT}`;
export const HANDLER_PROGRAM = '/usr/lib/plesk-9.0/psa-pc-remote';

const SMFI_VERSION = 6;
// Events this milter does not need (libmilter's SMFIP_NO* bits): headers, end
// of headers, body, unknown commands, DATA. Postfix then skips them.
const SMFIP_NOBODY = 0x10;
const SMFIP_NOHDRS = 0x20;
const SMFIP_NOEOH = 0x40;
const SMFIP_NOUNKNOWN = 0x100;
const SMFIP_NODATA = 0x200;
const WANTED_SKIPS = SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOUNKNOWN | SMFIP_NODATA;
// A milter packet longer than this is a protocol error (guards memory).
const MAX_PACKET = 1 << 20;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Classic syslog time (`Feb  3 22:15:01`) of `ms` in `timeZone`. */
export function formatSyslogTime(ms, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (t) => parts.find((p) => p.type === t)?.value ?? '';
  return `${MONTHS[Number(get('month')) - 1]} ${get('day').padStart(2, ' ')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    const value = argv[i + 1];
    if (!key || value === undefined) throw new Error(`bad argument near '${argv[i] ?? ''}'`);
    out[key] = value;
  }
  return {
    host: out.host ?? '127.0.0.1',
    smtpPort: Number(out['smtp-port'] ?? 12768),
    localPort: Number(out['local-port'] ?? 12769),
    maillog: out.maillog,
    syslogHost: out['syslog-host'],
    timeZone: out['time-zone'],
    limit: Number(out.limit ?? 500),
    limits: Object.fromEntries((out.limits ?? '').split(',').filter(Boolean).map((kv) => {
      const [d, n] = kv.split('=');
      return [String(d).toLowerCase(), Number(n)];
    })),
  };
}

function cstrings(buf) {
  const out = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      out.push(buf.subarray(start, i).toString('latin1'));
      start = i + 1;
    }
  }
  if (start < buf.length) out.push(buf.subarray(start).toString('latin1'));
  return out;
}

function packet(cmd, data = Buffer.alloc(0)) {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(data.length + 1, 0);
  head.write(cmd, 4, 'latin1');
  return Buffer.concat([head, data]);
}

function senderDomain(mailArg) {
  const addr = String(mailArg ?? '').replace(/^<|>$/g, '');
  const at = addr.lastIndexOf('@');
  return at < 0 ? '' : addr.slice(at + 1).toLowerCase();
}

/**
 * Starts the milter. Returns { smtpPort, localPort, counts, setLimit, close }.
 * `now` may be injected so a caller controls the hour window.
 */
export async function startLimitOutMilter(options = {}) {
  const host = options.host ?? '127.0.0.1';
  const limits = new Map(Object.entries(options.limits ?? {}).map(([d, n]) => [d.toLowerCase(), n]));
  const defaultLimit = options.limit ?? 500;
  const now = options.now ?? (() => Date.now());
  const syslogHost = options.syslogHost ?? 'localhost';
  const timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const counts = new Map(); // `${hour}|${domain}` → { passed, rejected }
  const verdicts = [];      // for tests: { domain, verdict, at }

  function logHandler(verdict) {
    if (!options.maillog) return;
    // One write per line with O_APPEND: the line lands whole between
    // postlogd's own lines, as syslog would interleave them.
    appendFileSync(options.maillog, `${formatSyslogTime(now(), timeZone)} ${syslogHost} ${HANDLER_PROGRAM}[${process.pid}]: ${verdict} during call 'limit-out' handler\n`);
  }

  function judge(domain) {
    const hour = Math.floor(now() / 3_600_000);
    const key = `${hour}|${domain}`;
    const c = counts.get(key) ?? { passed: 0, rejected: 0 };
    counts.set(key, c);
    const limit = limits.get(domain) ?? defaultLimit;
    const over = limit >= 0 && c.passed >= limit;
    if (over) c.rejected++;
    else c.passed++;
    const verdict = over ? 'REJECT' : 'PASS';
    verdicts.push({ domain, verdict, at: now() });
    logHandler(verdict);
    return over;
  }

  function handle(socket, origin) {
    let buf = Buffer.alloc(0);
    let macros = {};
    let from = '';
    socket.on('error', () => socket.destroy()); // Postfix closed mid-packet: nothing to recover.
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0);
        if (len < 1 || len > MAX_PACKET) {
          socket.destroy();
          return;
        }
        if (buf.length < 4 + len) break;
        const cmd = String.fromCharCode(buf[4]);
        const data = buf.subarray(5, 4 + len);
        buf = buf.subarray(4 + len);
        switch (cmd) {
          case 'O': {
            const version = Math.min(data.readUInt32BE(0), SMFI_VERSION);
            const offered = data.readUInt32BE(8);
            const reply = Buffer.alloc(12);
            reply.writeUInt32BE(version, 0);
            reply.writeUInt32BE(0, 4); // no modification actions
            reply.writeUInt32BE(offered & WANTED_SKIPS, 8);
            socket.write(packet('O', reply));
            break;
          }
          case 'D': { // macros for the next command; no reply
            const list = cstrings(data.subarray(1));
            for (let i = 0; i + 1 < list.length; i += 2) macros[list[i]] = list[i + 1];
            break;
          }
          case 'M':
            from = cstrings(data)[0] ?? '';
            socket.write(packet('c'));
            break;
          case 'E': {
            const outgoing = origin === 'local' || Boolean(macros['{auth_authen}']);
            const reject = outgoing && judge(senderDomain(from));
            socket.write(reject ? packet('y', Buffer.from(`${REPLY}\0`, 'latin1')) : packet('c'));
            break;
          }
          case 'A': // abort: forget the message, keep the connection
            from = '';
            break;
          case 'Q':
            socket.end();
            return;
          case 'K':
            macros = {};
            from = '';
            break;
          default: // C, H, R, T, L, N, B, U: nothing to decide yet
            socket.write(packet('c'));
        }
      }
    });
  }

  const sockets = new Set();
  async function listen(origin, port) {
    const server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      handle(s, origin);
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port ?? 0, host, () => resolve(undefined));
    });
    return server;
  }

  const smtp = await listen('smtp', options.smtpPort);
  const local = await listen('local', options.localPort);
  return {
    smtpPort: smtp.address().port,
    localPort: local.address().port,
    counts,
    verdicts,
    setLimit(domain, n) {
      limits.set(domain.toLowerCase(), n);
    },
    async close() {
      const closed = Promise.all([smtp, local].map((s) => new Promise((resolve) => s.close(() => resolve(undefined)))));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

// Run as a program (the lab): node test/lab/limit-out-milter.mjs --smtp-port …
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const opts = parseArgs(process.argv.slice(2));
  const milter = await startLimitOutMilter(opts);
  process.stdout.write(`limit-out milter: smtp ${opts.host}:${milter.smtpPort}, local ${opts.host}:${milter.localPort}\n`);
  const stop = () => milter.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
