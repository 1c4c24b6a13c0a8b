// Real OpenSSH sshd instances on loopback for the fleet tests: each with its
// own config, temporary host key and authorized_keys, in a temp dir. Runs as
// root (PermitRootLogin prohibit-password: keys only). Ready when the port
// answers with an SSH banner (polled, never a bare sleep).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../fixtures/capture/free-port.ts';

const run = promisify(execFile);
export const SSHD = '/usr/sbin/sshd';

export type KeyPair = { privatePath: string; publicLine: string; type: string; base64: string };

/** A fresh ed25519 key pair (no passphrase) made by ssh-keygen. */
export async function makeKeyPair(dir: string, name: string, type = 'ed25519'): Promise<KeyPair> {
  const privatePath = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `fleet-test-${name}`, '-f', privatePath]);
  const publicLine = (await readFile(`${privatePath}.pub`, 'utf8')).trim();
  const [keyType, base64] = publicLine.split(/\s+/) as [string, string];
  return { privatePath, publicLine, type: keyType, base64 };
}

export type Sshd = { port: number; dir: string; hostKey: KeyPair; log: () => string; stop: () => Promise<void> };

function bannerSeen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.on('data', (b) => { data += b.toString('latin1'); if (data.includes('\n')) done(data.startsWith('SSH-2.0-')); });
    s.on('error', () => done(false));
  });
}

async function waitReady(child: ChildProcess, port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sshd exited (${child.exitCode ?? child.signalCode}): ${log()}`);
    if (await bannerSeen(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd on port ${port} not ready after 15 s: ${log()}`);
}

// The machine's own root dotfiles must not decide how long a test takes: bash
// sources ~/.bashrc for every SSH command, and a ~/.bashrc that starts pyenv or
// nvm costs seconds. So sshd runs in a private mount namespace (unshare -m)
// where /etc/passwd is a copy giving root an empty temporary home; nothing
// outside the namespace sees it (as test/fixtures/capture/as-user.ts does for
// Postfix). Without unshare, the real passwd is used.
const NS_SCRIPT = 'mount --bind "$1" /etc/passwd && shift && exec "$@"';

async function sshdCommand(dir: string, config: string): Promise<string[]> {
  const plain = [SSHD, '-D', '-e', '-f', config];
  if (!existsSync('/usr/bin/unshare')) return plain;
  const home = join(dir, 'home');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const passwd = (await readFile('/etc/passwd', 'utf8')).split('\n')
    .map((l) => (l.startsWith('root:') ? l.split(':').map((f, i) => (i === 5 ? home : f)).join(':') : l)).join('\n');
  await writeFile(join(dir, 'passwd'), passwd, { mode: 0o644 });
  return ['/usr/bin/unshare', '-m', '--', '/bin/sh', '-c', NS_SCRIPT, 'sshd-ns', join(dir, 'passwd'), ...plain];
}

/** Starts one sshd that accepts `authorizedKeys` for root; `sftp`: the SFTP subsystem's command (default sshd's own). */
export async function startSshd(authorizedKeys: string, o: { sftp?: string } = {}): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: run test/setup.sh (installs openssh-server)`);
  // sshd refuses to start without its privilege separation directory.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = await mkdtemp(join(tmpdir(), 'st-sshd-'));
  const hostKey = await makeKeyPair(dir, 'host_ed25519');
  await writeFile(join(dir, 'authorized_keys'), authorizedKeys, { mode: 0o600 });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    await writeFile(config, [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey.privatePath}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`, `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no', 'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
      'StrictModes no', 'UseDNS no', 'PrintMotd no', 'PrintLastLog no', `Subsystem sftp ${o.sftp ?? 'internal-sftp'}`,
      'MaxStartups 200', 'MaxSessions 50', 'LogLevel INFO', '',
    ].join('\n'));
    const [cmd, ...args] = await sshdCommand(dir, config);
    const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    child.stderr!.on('data', (b: Buffer) => { text = (text + b.toString()).slice(-20_000); });
    const log = () => text;
    try {
      await waitReady(child, port, log);
    } catch (err) {
      child.kill('SIGKILL');
      // Another process may have taken the port between freePort() and bind().
      if (attempt < 3 && /Address already in use|Cannot bind/.test(text)) continue;
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    };
    return { port, dir, hostKey, log, stop };
  }
}
