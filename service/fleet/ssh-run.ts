// One SSH connection per host (ssh2), used for a few commands and SFTP
// transfers. Results are { code, signal, stdout, stderr }, like runCommand;
// commands are argv arrays, quoted by quote.ts alone. The host key is always
// checked (known-hosts.ts); every failure becomes a HostFailure with its kind.
// ssh2 is CommonJS: Node's ESM loader does not see its named exports.
import ssh2, { type Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import type { FleetHost } from './fleet-host.ts';
import { HostFailure } from './host-failure.ts';
import { checkHostKey, fingerprint, keyTypeOf, knownHostsName, knownKeyTypes, rememberHostKey, type KnownHosts } from './known-hosts.ts';
import { printable } from './printable.ts';
import { quoteArgv } from './quote.ts';
import { planAuth, type KeyCache } from './ssh-auth.ts';
import { boundedFiles, openSftp, withDeadline, type RemoteFiles } from './sftp-files.ts';

export type RemoteResult = { code: number | null; signal: string | null; stdout: string; stderr: string };
export type SshOptions = {
  knownHosts: KnownHosts;
  acceptNew: boolean;
  connectTimeoutMs: number;
  env: Record<string, string | undefined>;
  keys: KeyCache;
};
export type SshSession = {
  /** `label` names the command in failures (default: argv[0]). */
  run(argv: readonly string[], o: { timeoutMs: number; maxOutputBytes?: number; label?: string }): Promise<RemoteResult>;
  /** SFTP; each operation (and opening the subsystem) must finish within `timeoutMs`, or the connection is destroyed. */
  files(timeoutMs: number): Promise<RemoteFiles>;
  notes: string[];
  close(): void;
};

const RSA = ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
/** Host key types ssh2 can verify (ssh-dss is refused as too weak; security-key and certificate types are unknown to it). */
const SUPPORTED = new Set(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa']);
const hostKeyAlgorithms = (types: string[]) => types.flatMap((t) => (t === 'ssh-rsa' ? RSA : [t]));

export async function openSession(host: FleetHost, o: SshOptions): Promise<SshSession> {
  const auth = await planAuth(host.user, host.keyFile, o.env, o.keys);
  const where = knownHostsName(host.address, host.port);
  const onRecord = knownKeyTypes(o.knownHosts, host.address, host.port);
  const known = onRecord.filter((t) => SUPPORTED.has(t));
  if (onRecord.length && !known.length) throw new HostFailure('host-key', `${where} is on record only with key types sendtrace cannot check (${onRecord.join(', ')}); add its ed25519, ECDSA or RSA key`);
  const notes: string[] = [];
  let keyProblem: HostFailure | null = null;
  let pendingWrite: Promise<void> | null = null;
  /** Why the connection failed after it was up (a reset, the keepalive giving up): said when a command is lost to it. */
  let lostBecause: string | null = null;
  const conn = new ssh2.Client();

  const verify = (blob: Buffer): boolean => {
    const v = checkHostKey(o.knownHosts, host.address, host.port, blob);
    const offered = `${keyTypeOf(blob)} ${fingerprint(blob)}`;
    if (v.status === 'known') return true;
    if (v.status === 'unknown' && o.acceptNew) {
      pendingWrite = rememberHostKey(o.knownHosts, host.address, host.port, blob);
      notes.push(`accepted new host key ${offered} for ${where} and saved it to ${o.knownHosts.path}`);
      return true;
    }
    keyProblem = new HostFailure('host-key', v.status === 'unknown'
      ? `${where} is not in ${o.knownHosts.path} (offered ${offered}); check the fingerprint and rerun with --accept-new`
      : v.status === 'revoked' ? `${where} offered a revoked key ${offered}`
        : `HOST KEY CHANGED for ${where}: offered ${offered}, on record ${v.expected.join('; ')}. Refused: if the change is expected, remove the old entry from ${o.knownHosts.path}`);
    return false;
  };

  await new Promise<void>((resolve, reject) => {
    let ready = false;
    conn.once('ready', () => {
      ready = true;
      resolve();
    });
    conn.on('error', (err: Error & { level?: string; code?: string }) => {
      if (ready) {
        lostBecause ??= printable(err.message, 120); // a later error ends the command that is running; see execOn()
        return;
      }
      reject(keyProblem ?? classify(err, host, where, known, auth.described, o.connectTimeoutMs));
    });
    conn.once('close', () => {
      if (!ready) reject(keyProblem ?? new HostFailure('unreachable', `${where} closed the connection during the SSH handshake`));
    });
    try {
      conn.connect({
        host: host.address,
        port: host.port,
        username: host.user,
        readyTimeout: o.connectTimeoutMs,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        hostVerifier: verify,
        authHandler: auth.methods,
        // Only the key types on record: a host that now offers another type is a changed host, not a new one.
        ...(known.length ? { algorithms: { serverHostKey: hostKeyAlgorithms(known) as never } } : {}),
      });
    } catch (err) {
      // ssh2 validates its config synchronously; a host it cannot even try is reported, not fatal.
      reject(new HostFailure('unreachable', `${where}: cannot start SSH: ${printable((err as Error).message)}`));
    }
  }).catch((err: unknown) => {
    conn.end();
    throw err;
  });
  if (pendingWrite) await pendingWrite;

  let sftp: Promise<RemoteFiles> | null = null;
  return {
    notes,
    run: (argv, opts) => execOn({ conn, where, lostBecause: () => lostBecause }, quoteArgv(argv), opts.label ?? argv[0]!, opts.timeoutMs, opts.maxOutputBytes ?? 64 << 20),
    files: (timeoutMs) => {
      const abandon = () => conn.destroy();
      sftp ??= withDeadline(
        new Promise<SFTPWrapper>((res, rej) => conn.sftp((err, s) => (err ? rej(new HostFailure('remote-error', `SFTP is not available: ${printable(err.message)}`)) : res(s)))),
        timeoutMs, () => new HostFailure('timeout', `${where}: no SFTP session within ${timeoutMs / 1000} s`), abandon,
      ).then(openSftp);
      return sftp.then((f) => boundedFiles(f, timeoutMs, abandon));
    },
    close: () => {
      // A polite end (disconnect message, FIN), but bounded: a host that goes silent now never sends its
      // FIN back, ssh2 stops its keepalive once ended, and its destroy() does nothing after end() (it
      // checks that the socket is still writable). So past the grace the socket itself is destroyed:
      // ssh2 keeps it in `_sock` (ssh2 1.x; checked by test/faults/ssh-close-freeze.test.ts).
      conn.end();
      const timer = setTimeout(() => (conn as unknown as { _sock?: { destroy(): void } })._sock?.destroy(), CLOSE_GRACE_MS);
      timer.unref();
      conn.once('close', () => clearTimeout(timer));
    },
  };
}

function classify(err: Error & { level?: string; code?: string }, host: FleetHost, where: string, known: string[], tried: string, timeoutMs: number): HostFailure {
  const msg = printable(err.message);
  switch (err.level) {
    case 'client-timeout':
      return new HostFailure('timeout', `${where}: no SSH session within ${timeoutMs / 1000} s`);
    case 'client-authentication':
      return new HostFailure('auth', `${host.user}@${where} refused every identity offered (${tried})`);
    case 'client-dns':
      return new HostFailure('unreachable', `cannot resolve ${host.address}: ${err.code ?? msg}`);
    case 'client-socket':
      return new HostFailure(err.code === 'ETIMEDOUT' ? 'timeout' : 'unreachable', `${where}: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.code ?? msg}`);
    default:
      if (known.length && /host key/i.test(msg)) {
        return new HostFailure('host-key', `${where} offers none of the key types on record (${known.join(', ')}): its keys changed? (${msg})`);
      }
      return new HostFailure('unreachable', `${where}: SSH failed: ${msg}`);
  }
}

type Connection = { conn: Client; where: string; lostBecause: () => string | null };

/** How long a stopped command's channel may take to close before the host is taken for unresponsive. */
const STOP_GRACE_MS = 2000;
/** How long a host may take to close the connection after we end it. */
const CLOSE_GRACE_MS = 5_000;

function execOn({ conn, where, lostBecause }: Connection, command: string, name: string, timeoutMs: number, max: number): Promise<RemoteResult> {
  return new Promise((resolve, reject) => {
    conn.exec(command, (err: Error | undefined, stream: ClientChannel) => {
      if (err) return reject(new HostFailure('remote-error', `cannot start ${printable(name)}: ${printable(err.message)}`));
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let code: number | null = null;
      let signal: string | null = null;
      let failure: HostFailure | null = null;
      let settled = false;
      let grace: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(grace);
        conn.off('close', lost);
        fn();
      };
      const stop = (f: HostFailure) => {
        failure ??= f;
        if (grace) return;
        // EOF on the command's stdin stops it (remote-cli.ts); close the channel too.
        stream.end();
        stream.close();
        // Neither a command that ignores all that nor a host that no longer answers
        // (frozen, or a black hole on the path) may hold the run. The connection is
        // destroyed, not ended: a graceful end waits for the host's FIN, and ssh2
        // stops its keepalive once ended, so the socket of a silent host would keep
        // the process alive for good after the report was printed (test/faults/ssh-drop.test.ts).
        grace = setTimeout(() => finish(() => {
          conn.destroy();
          reject(failure!);
        }), STOP_GRACE_MS);
      };
      const timer = setTimeout(() => stop(new HostFailure('timeout', `${printable(name)} did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
      stream.on('data', (b: Buffer) => {
        outBytes += b.length;
        if (outBytes > max) stop(new HostFailure('garbled', `${printable(name)} wrote more than ${max} bytes`));
        else out.push(b);
      });
      stream.stderr.on('data', (b: Buffer) => {
        if (errBytes < 64 * 1024) errOut.push(b);
        errBytes += b.length;
      });
      stream.on('exit', (c: number | null, s?: string) => {
        code = c;
        signal = s ?? null;
      });
      const lost = () => {
        const why = lostBecause();
        failure ??= new HostFailure('unreachable', `${where}: the connection dropped while ${printable(name)} was running${why ? ` (${why})` : ''}`);
        finish(() => reject(failure!));
      };
      conn.once('close', lost);
      stream.on('close', () => finish(() => (failure
        ? reject(failure)
        : resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') }))));
      // stdin stays open until the end: its EOF is the remote command's stop signal.
    });
  });
}
