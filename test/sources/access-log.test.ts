import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseAccessLogLine, vhostFromLogPath, type AccessRecord } from '../../service/sources/access-log.ts';
import { readAccessLogs } from '../../service/sources/access-log-reader.ts';

const T = '[03/Feb/2022:22:15:01 +0900]';
const T_MS = Date.parse('2022-02-03T22:15:01+09:00');

describe('access log line', () => {
  it('reads an Apache combined line with escaped quotes in the user agent', () => {
    const r = parseAccessLogLine(`203.0.113.5 - - ${T} "POST /mail.php HTTP/1.1" 200 123 "-" "Mozilla/5.0 \\"quoted\\" x"`, 'example.jp')!;
    assert.equal(r.ts, T_MS);
    assert.equal(r.ip, '203.0.113.5');
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/mail.php');
    assert.equal(r.query, null);
    assert.equal(r.status, 200);
    assert.equal(r.bytes, 123);
    assert.equal(r.referrer, null);
    assert.equal(r.userAgent, 'Mozilla/5.0 "quoted" x');
    assert.equal(r.vhost, 'example.jp');
  });

  it('reads IPv6 clients, a query string and a missing size', () => {
    const r = parseAccessLogLine(`2001:db8::1 - - [03/Feb/2022:13:15:01 +0000] "GET /contact/?a=1&b=%20 HTTP/2.0" 200 - "https://example.jp/" "UA"`, null)!;
    assert.equal(r.ip, '2001:db8::1');
    assert.equal(r.ts, T_MS);
    assert.equal(r.path, '/contact/');
    assert.equal(r.query, 'a=1&b=%20');
    assert.equal(r.bytes, null);
    assert.equal(r.referrer, 'https://example.jp/');
  });

  it('keeps a TLS handshake sent to the plain port as a non-HTTP request', () => {
    const r = parseAccessLogLine(`198.51.100.7 - - ${T} "\\x16\\x03\\x01\\x00\\xA5\\x01" 400 150 "-" "-"`, null)!;
    assert.equal(r.method, null);
    assert.equal(r.path, null);
    assert.equal(r.status, 400);
    assert.equal(r.request, '\\x16\\x03\\x01\\x00\\xa5\\x01');
    assert.equal(r.userAgent, null);
  });

  it('never turns logged escapes back into control characters', () => {
    const r = parseAccessLogLine(`198.51.100.7 - - ${T} "GET /%0a%1b[2J HTTP/1.1" 404 1 "-" "\\x1B[31mred\\x07"`, null)!;
    assert.equal(r.userAgent, '\\x1b[31mred\\x07');
    assert.equal(r.path, '/\\x0a\\x1b[2J');
    assert.ok(!/[\u0000-\u001f]/.test(JSON.stringify(r).replace(/\\\\/g, '')));
  });

  it('resolves dot segments, percent escapes and absolute-form targets to the file path served', () => {
    assert.equal(parseAccessLogLine(`1.2.3.4 - - ${T} "GET /a/../%6dail.php?x HTTP/1.1" 200 1 "-" "-"`, null)!.path, '/mail.php');
    assert.equal(parseAccessLogLine(`1.2.3.4 - - ${T} "POST http://evil.example/mail.php HTTP/1.1" 200 1 "-" "-"`, null)!.path, '/mail.php');
    assert.equal(parseAccessLogLine(`1.2.3.4 - - ${T} "GET //x//y.php HTTP/1.1" 200 1 "-" "-"`, null)!.path, '/x/y.php');
    assert.equal(parseAccessLogLine(`1.2.3.4 - - ${T} "GET /bad%zz.php HTTP/1.1" 200 1 "-" "-"`, null)!.path, '/bad%zz.php');
    assert.equal(parseAccessLogLine(`1.2.3.4 - - ${T} "CONNECT example.com:443 HTTP/1.1" 400 1 "-" "-"`, null)!.path, null);
  });

  it('finds the timestamp after a user name with spaces and brackets', () => {
    const r = parseAccessLogLine(`1.2.3.4 - john [doe] ${T} "GET / HTTP/1.1" 200 5 "-" "-"`, null)!;
    assert.equal(r.user, 'john [doe]');
    assert.equal(r.ts, T_MS);
  });

  it('caps attacker-sized fields and reads the common format without referrer and agent', () => {
    const r = parseAccessLogLine(`1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 5 "-" "${'A'.repeat(5000)}"`, null)!;
    assert.equal(r.userAgent!.length, 512);
    const c = parseAccessLogLine(`1.2.3.4 - - ${T} "GET / HTTP/1.0" 304 0`, null)!;
    assert.equal(c.status, 304);
    assert.equal(c.referrer, null);
  });

  it('rejects lines that are not access-log lines', () => {
    for (const bad of ['', 'hello world', `1.2.3.4 - - ${T} "GET / HTTP/1.1`, `1.2.3.4 - - ${T} "GET / HTTP/1.1" abc 5`, `<b>x - - ${T} "GET / HTTP/1.1" 200 5`, `1.2.3.4 - - [33/Foo/2022:22:15:01 +0900] "GET /" 200 1`]) {
      assert.equal(parseAccessLogLine(bad, null), null, bad);
    }
  });

  it('names the vhost from the Plesk log folder', () => {
    assert.equal(vhostFromLogPath('/var/www/vhosts/system/example.co.jp/logs/proxy_access_ssl_log'), 'example.co.jp');
    assert.equal(vhostFromLogPath('/var/www/vhosts/example.co.jp/statistics/logs/access_log.processed.1.gz'), 'example.co.jp');
    assert.equal(vhostFromLogPath('/var/www/vhosts/example.co.jp/logs/access_ssl_log'), 'example.co.jp');
    assert.equal(vhostFromLogPath('/var/log/nginx/access.log'), null);
  });
});

const line = (ip: string, iso: string, req: string, status = 200) => {
  const d = new Date(iso);
  const mon = d.toUTCString().slice(8, 11);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${ip} - - [${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000] "${req} HTTP/1.1" ${status} 10 "-" "UA"\n`;
};

describe('reading access logs', () => {
  it('merges http and https logs of a vhost in time order, oldest rotation first', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sendtrace-access-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const logs = join(dir, 'system', 'example.jp', 'logs');
    await mkdir(logs, { recursive: true });
    await writeFile(join(logs, 'access_ssl_log.processed.1.gz'), gzipSync(line('1.1.1.1', '2022-02-01T00:00:00Z', 'GET /a')));
    await writeFile(join(logs, 'access_ssl_log.processed'), line('1.1.1.1', '2022-02-01T00:02:00Z', 'GET /c'));
    await writeFile(join(logs, 'access_ssl_log'), line('1.1.1.1', '2022-02-01T00:04:00Z', 'GET /e') + 'junk\n');
    await writeFile(join(logs, 'access_log'), line('1.1.1.1', '2022-02-01T00:01:00Z', 'GET /b') + line('1.1.1.1', '2022-02-01T00:03:00Z', 'GET /d'));
    await writeFile(join(logs, 'access_ssl_log.webstat'), line('1.1.1.1', '2022-02-01T00:04:00Z', 'GET /dup'));
    await mkdir(join(dir, 'example.jp', 'logs'), { recursive: true });
    await link(join(logs, 'access_log'), join(dir, 'example.jp', 'logs', 'access_log'));
    const seen: AccessRecord[] = [];
    const glob = join(dir, 'system', '*', 'logs', '*access*log*');
    const res = await readAccessLogs([glob, join(dir, 'example.jp', 'logs', 'access_log'), join(logs, 'gone_log')], {}, (r) => seen.push(r));
    assert.deepEqual(seen.map((r) => r.path), ['/a', '/b', '/c', '/d', '/e']);
    assert.ok(seen.every((r) => r.vhost === 'example.jp'));
    assert.equal(res.unparsed, 1);
    assert.ok(res.warnings.some((w) => w.includes('gone_log')));
  });

  it('counts a request once when nginx and Apache both logged it, keeping Apache history before nginx', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sendtrace-access-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const logs = join(dir, 'system', 'example.jp', 'logs');
    await mkdir(logs, { recursive: true });
    await writeFile(join(logs, 'access_ssl_log'), line('2.2.2.2', '2022-01-01T00:00:00Z', 'POST /old.php') + line('2.2.2.2', '2022-02-01T00:00:00Z', 'POST /mail.php'));
    await writeFile(join(logs, 'proxy_access_ssl_log'), line('2.2.2.2', '2022-02-01T00:00:00Z', 'POST /mail.php') + line('2.2.2.2', '2022-02-01T00:00:05Z', 'GET /x.css'));
    const seen: AccessRecord[] = [];
    const res = await readAccessLogs([join(logs, 'access_ssl_log'), join(logs, 'proxy_access_ssl_log')], { until: Date.parse('2022-02-01T00:00:01Z') }, (r) => seen.push(r));
    assert.deepEqual(seen.map((r) => r.path), ['/old.php', '/mail.php']);
    assert.equal(res.duplicatesSkipped, 1);
    assert.equal(res.outsideWindow, 1);
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise((ok) => srv.close(ok));
  return port;
}

async function waitFor<T>(probe: () => Promise<T | null>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

describe('lines written by a real nginx', () => {
  it('parses what nginx logs in the combined format, hostile requests included', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sendtrace-nginx-'));
    let stopNginx = async () => {};
    t.after(async () => {
      await stopNginx();
      await rm(dir, { recursive: true, force: true });
    });
    const logs = join(dir, 'system', 'example.jp', 'logs');
    await mkdir(logs, { recursive: true });
    const port = await freePort();
    const log = join(logs, 'proxy_access_log');
    await writeFile(join(dir, 'nginx.conf'), `daemon off; master_process off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 64; }
http { client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  access_log ${log} combined;
  server { listen 127.0.0.1:${port}; listen [::1]:${port}; location / { return 200 "ok"; } location ~ \\.php$ { if ($request_method = GET) { return 404; } return 200 "sent"; } } }
`);
    const nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((ok) => nginx.once('exit', ok));
    stopNginx = async () => {
      nginx.kill('SIGTERM');
      await exited;
    };
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => ((await fetch(`${base}/ready`)).ok ? true : null), 'nginx');
    await fetch(`${base}/contact/`, { headers: { 'user-agent': 'Mozilla/5.0 "quoted" \\ back' } });
    await fetch(`${base}/mail.php?x=1`, { method: 'POST', body: 'to=a@b', headers: { referer: 'http://example.jp/contact/' } });
    await fetch(`http://[::1]:${port}/wp-login.php`);
    await new Promise<void>((ok, fail) => {
      const s = connect(port, '127.0.0.1', () => s.end(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x0d, 0x0a, 0x0d, 0x0a])));
      s.resume();                     // drain nginx's 400 answer so the socket can close
      s.on('error', fail);
      s.on('close', () => ok());
    });
    const text = await waitFor(async () => { const x = await readFile(log, 'utf8'); return x.trim().split('\n').length >= 5 ? x : null; }, 'log lines');
    const records = text.trim().split('\n').map((l) => parseAccessLogLine(l, vhostFromLogPath(log)));
    assert.ok(records.every((r) => r !== null), text);
    const [ready, contact, post, probe, tls] = records as AccessRecord[];
    assert.equal(ready!.path, '/ready');
    assert.equal(contact!.userAgent, 'Mozilla/5.0 "quoted" \\ back');
    assert.deepEqual([post!.method, post!.path, post!.query, post!.status, post!.referrer, post!.vhost], ['POST', '/mail.php', 'x=1', 200, 'http://example.jp/contact/', 'example.jp']);
    assert.deepEqual([probe!.ip, probe!.path, probe!.status], ['::1', '/wp-login.php', 404]);
    assert.deepEqual([tls!.method, tls!.status], [null, 400]);
    assert.ok(Math.abs(post!.ts - Date.now()) < 60_000);
  });
});
