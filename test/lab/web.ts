// nginx + PHP-FPM for the lab: one loopback port per site, one FPM pool per
// site running as that site's Unix user (as Plesk's plesk-phpXX-fpm handler
// does), nginx writing each vhost's `proxy_access_log` in the combined format
// with the real client address (the load binds 127.0.0.2…; nothing rewrites it).
//
// PHP's mail() goes through Plesk's sendmail_path (`/usr/sbin/sendmail -t -i`,
// reference/plesk.md §1.7 [V]) to the lab's PRIVATE Postfix: the FPM master
// runs in its own mount namespace where the private config is bind-mounted
// over /etc/postfix (the same trick as test/fixtures/capture/as-user.ts: the
// set-gid postdrop refuses an alternate config for non-root callers, and the
// system config is never changed). Nothing outside the namespace sees it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LabHost } from './host.ts';
import { LAB_ZONE } from './host.ts';
import { freePort } from '../fixtures/capture/free-port.ts';
import { waitFor } from '../fixtures/capture/wait-for.ts';

export type LabWeb = { ports: Record<string, number>; runDir: string; stop(): Promise<void> };

const PHP_FPM = '/usr/sbin/php-fpm8.2';
const NGINX = '/usr/sbin/nginx';
const WEB_USER = 'www-data';
// The shell only sequences fixed commands; the paths are positional arguments.
const NS_SCRIPT = 'mount --bind "$1" /etc/postfix && shift && exec "$@"';

function fpmConfig(host: LabHost, runDir: string): string {
  const out = ['[global]', `pid = ${join(runDir, 'php-fpm.pid')}`, `error_log = ${join(runDir, 'php-fpm.log')}`, 'daemonize = no', ''];
  for (const s of host.sites) {
    out.push(
      `[${s.domain}]`,
      `user = ${s.user.login}`,
      `group = ${s.user.login}`,
      `listen = ${join(runDir, `${s.domain}.sock`)}`,
      `listen.owner = ${WEB_USER}`,
      `listen.group = ${WEB_USER}`,
      'listen.mode = 0660',
      'pm = static',
      // The helper takes the bots' load; two workers each keep the 2-core machine usable.
      `pm.max_children = ${s.key === 'seikan' ? 3 : 2}`,
      'catch_workers_output = yes',
      'php_admin_value[sendmail_path] = /usr/sbin/sendmail -t -i',
      `php_admin_value[date.timezone] = ${LAB_ZONE}`,
      `php_admin_value[error_log] = ${join(runDir, `php-error-${s.domain}.log`)}`,
      `php_admin_value[mail.log] = ${s.mailLog ?? ''}`,
      `php_admin_flag[mail.add_x_header] = ${s.mailLog ? 'on' : 'off'}`,
      '',
    );
  }
  return out.join('\n');
}

function nginxConfig(host: LabHost, runDir: string, ports: Record<string, number>): string {
  const servers = host.sites.map((s) => [
    '  server {',
    `    listen 127.0.0.1:${ports[s.domain]};`,
    `    server_name ${s.domain};`,
    `    root ${s.httpdocs};`,
    '    index index.php index.html;',
    `    access_log ${join(s.logs, 'proxy_access_log')} plesk;`,
    `    error_log ${join(s.logs, 'proxy_error_log')};`,
    '    location ~ \\.php$ {',
    '      try_files $uri =404;',
    '      include /etc/nginx/fastcgi_params;',
    '      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;',
    `      fastcgi_pass unix:${join(runDir, `${s.domain}.sock`)};`,
    '    }',
    '  }',
  ].join('\n'));
  return [
    `user ${WEB_USER};`,
    'worker_processes 1;',
    'daemon off;',
    `pid ${join(runDir, 'nginx.pid')};`,
    `error_log ${join(runDir, 'nginx-error.log')};`,
    'events { worker_connections 512; }',
    'http {',
    '  include /etc/nginx/mime.types;',
    // Plesk's nginx logs in the combined format; $remote_addr is the socket's peer.
    '  log_format plesk \'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"\';',
    `  client_body_temp_path ${join(runDir, 'nginx-body')};`,
    `  fastcgi_temp_path ${join(runDir, 'nginx-fastcgi')};`,
    `  proxy_temp_path ${join(runDir, 'nginx-proxy')};`,
    `  uwsgi_temp_path ${join(runDir, 'nginx-uwsgi')};`,
    `  scgi_temp_path ${join(runDir, 'nginx-scgi')};`,
    '  keepalive_timeout 5;',
    servers.join('\n'),
    '}',
    '',
  ].join('\n');
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals, what: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('error', (err) => reject(new Error(`${what}: ${err.message}`)));
    child.kill(signal);
  });
}

export async function startLabWeb(host: LabHost, postfixConfigDir: string): Promise<LabWeb> {
  const runDir = join(host.root, 'run');
  await mkdir(runDir, { recursive: true, mode: 0o755 });
  const ports: Record<string, number> = {};
  for (const s of host.sites) ports[s.domain] = await freePort();
  const fpmConf = join(runDir, 'php-fpm.conf');
  const nginxConf = join(runDir, 'nginx.conf');
  await writeFile(fpmConf, fpmConfig(host, runDir));
  await writeFile(nginxConf, nginxConfig(host, runDir, ports));
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TZ: LAB_ZONE, LANG: 'C.UTF-8' };
  const children: Array<{ child: ChildProcess; signal: NodeJS.Signals; what: string }> = [];
  const stop = async () => {
    // nginx first (no new requests), then FPM (SIGQUIT: finish the running ones).
    for (const c of children.reverse()) await stopChild(c.child, c.signal, c.what);
  };
  try {
    const fpm = spawn('/usr/bin/unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', NS_SCRIPT, 'sh', postfixConfigDir, PHP_FPM, '--nodaemonize', '--fpm-config', fpmConf], { env, stdio: 'ignore' });
    children.push({ child: fpm, signal: 'SIGQUIT', what: 'php-fpm' });
    await waitFor(() => host.sites.every((s) => existsSync(join(runDir, `${s.domain}.sock`))) || fpm.exitCode !== null, { timeoutMs: 20_000, what: 'PHP-FPM sockets' });
    if (fpm.exitCode !== null) throw new Error(`php-fpm exited ${fpm.exitCode}: ${await readFile(join(runDir, 'php-fpm.log'), 'utf8').catch(() => '')}`);
    const nginx = spawn(NGINX, ['-p', runDir, '-c', nginxConf, '-e', join(runDir, 'nginx-error.log')], { env, stdio: 'ignore' });
    children.push({ child: nginx, signal: 'SIGQUIT', what: 'nginx' });
    const first = host.sites[0]!;
    await waitFor(async () => {
      if (nginx.exitCode !== null) return true;
      const r = await fetch(`http://127.0.0.1:${ports[first.domain]}/`).catch(() => null);
      return r !== null && r.status === 200;
    }, { timeoutMs: 20_000, what: 'nginx to answer' });
    if (nginx.exitCode !== null) throw new Error(`nginx exited ${nginx.exitCode}: ${await readFile(join(runDir, 'nginx-error.log'), 'utf8').catch(() => '')}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, runDir, stop };
}
