// The lab's traffic: bounded, self-stopping loops on loopback only. Each
// actor binds its client socket to its own 127.x address (Linux routes all of
// 127.0.0.0/8 to lo), so nginx logs a real, distinct client address.
//
// - bots (127.0.0.2…127.0.0.20): POST straight to the abandoned mail.php —
//   no GET of a form first, no referrer, recipients chosen by them;
// - humans (127.0.0.100…): GET the clinic's contact page, then POST it;
// - a probe scanner (127.0.0.66): GETs of .php names that do not exist;
// - the uploaded mailer's owner (127.0.0.77): POSTs to the hidden mailer.
// Every loop stops at stop() or at `maxMs`, whichever comes first.
import { setMaxListeners } from 'node:events';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 as prng } from '../helpers/prng.ts';

export type Hit = { actor: 'bot' | 'human' | 'scanner' | 'uploader'; ip: string; method: string; path: string; status: number; start: number; end: number };
export type LabLoad = {
  hits: Hit[];
  /** Requests sent and not yet answered: actor and start time. */
  pending: Set<{ actor: Hit['actor']; start: number }>;
  stop(): Promise<void>;
};
export type LoadTargets = { helper: string; form: string; blog: string };

export const BOT_IPS = Array.from({ length: 19 }, (_, i) => `127.0.0.${i + 2}`);
export const HUMAN_IPS = ['127.0.0.100', '127.0.0.101', '127.0.0.102', '127.0.0.103'];
export const SCANNER_IP = '127.0.0.66';
export const UPLOADER_IP = '127.0.0.77';
export const UPLOADER_KEY = 'lab-uploaded-k3y';
const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const PROBES = ['wp-login.php', 'xmlrpc.php', 'admin.php', 'shell.php', 'wso.php', 'alfa.php', 'config.bak.php', 'up.php', 'cmd.php', 'phpinfo.php', 'wp-config.php.old', 'adminer.php'];


function send(base: string, o: { ip: string; method: 'GET' | 'POST'; path: string; form?: Record<string, string>; headers?: Record<string, string> }): Promise<number> {
  const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
  const url = new URL(o.path, base);
  return new Promise((resolve) => {
    const req = request({
      host: url.hostname, port: url.port, path: url.pathname + url.search, method: o.method, localAddress: o.ip, agent: false,
      headers: { ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) } : {}), ...o.headers },
      timeout: 15_000,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    // A refused or reset connection is a result (status 0), not a crash of the load.
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

export function startLoad(targets: LoadTargets, o: { maxMs: number; seed?: number; botIntervalMs?: number }): LabLoad {
  const hits: Hit[] = [];
  const pending: LabLoad['pending'] = new Set();
  const abort = new AbortController();
  setMaxListeners(100, abort.signal); // one pause per loop listens to it
  const deadline = Date.now() + o.maxMs;
  const rnd = prng(o.seed ?? 9);
  const running = () => !abort.signal.aborted && Date.now() < deadline;
  const pause = (ms: number) => sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined);
  const hit = async (actor: Hit['actor'], base: string, r: { ip: string; method: 'GET' | 'POST'; path: string; form?: Record<string, string>; headers?: Record<string, string> }) => {
    const start = Date.now();
    const p = { actor, start };
    pending.add(p);
    const status = await send(base, r);
    pending.delete(p);
    hits.push({ actor, ip: r.ip, method: r.method, path: r.path, status, start, end: Date.now() });
    return status;
  };
  const victim = () => `user${Math.floor(rnd() * 1e6)}@example.net`;

  const bot = async (ip: string, i: number) => {
    await pause(i * 150); // not all at once
    while (running()) {
      await hit('bot', targets.helper, {
        ip, method: 'POST', path: '/mail.php',
        form: { mailto: victim(), cc: `${victim()}, ${victim()}`, name: 'Best offer', email: 'noreply@example.org', subject: 'Your parcel is waiting', message: 'Click http://example.org/x to claim.' },
        headers: { 'user-agent': 'Mozilla/5.0 (compatible; MSIE 9.0)' },
      });
      await pause((o.botIntervalMs ?? 3000) * (0.6 + rnd() * 0.8));
    }
  };
  const human = async (ip: string, i: number) => {
    await pause(500 + i * 1100);
    while (running()) {
      const headers = { 'user-agent': BROWSER };
      const page = await hit('human', targets.form, { ip, method: 'GET', path: '/contact.php', headers });
      await pause(800 + rnd() * 1200); // reading and typing
      if (page === 200 && running()) {
        await hit('human', targets.form, {
          ip, method: 'POST', path: '/send.php', headers: { ...headers, referer: `${targets.form}/contact.php` },
          form: { name: `Patient ${i}`, email: `patient${i}@example.com`, message: 'I would like an appointment next week.' },
        });
      }
      await pause(6000 + rnd() * 4000);
    }
  };
  const scanner = async () => {
    while (running()) {
      const base = rnd() < 0.5 ? targets.helper : targets.form;
      await hit('scanner', base, { ip: SCANNER_IP, method: 'GET', path: `/${PROBES[Math.floor(rnd() * PROBES.length)]}`, headers: { 'user-agent': 'Mozilla/5.0 zgrab/0.x' } });
      await pause(400 + rnd() * 400);
    }
  };
  const uploader = async () => {
    await pause(1000);
    while (running()) {
      const d = Buffer.from(JSON.stringify({ r: [victim(), victim()], s: 'Account notice', b: '<p>Verify your account</p>', f: 'security@example.org' })).toString('base64');
      await hit('uploader', targets.blog, { ip: UPLOADER_IP, method: 'POST', path: '/wp-content/uploads/2024/03/.thumb.php', form: { k: UPLOADER_KEY, d }, headers: { 'user-agent': 'python-requests/2.31' } });
      await pause(6000);
    }
  };

  const loops = [...BOT_IPS.map(bot), ...HUMAN_IPS.map(human), scanner(), uploader()];
  const done = Promise.all(loops);
  return {
    hits,
    pending,
    async stop() {
      abort.abort();
      await done;
    },
  };
}
