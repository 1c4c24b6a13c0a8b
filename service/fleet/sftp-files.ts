// The few file operations fleet needs over SFTP, bounded: a remote file is
// read only up to a limit (a hostile host could serve an endless one), an
// upload never follows or overwrites an existing path (O_CREAT|O_EXCL), and
// each operation must finish within a time limit (boundedFiles): a host that
// goes silent mid-transfer would otherwise hold the run until ssh2's
// keepalive gave up (~75 s), or for good if the socket stays open.
import type { SFTPWrapper } from 'ssh2';
import { HostFailure } from './host-failure.ts';
import { printable } from './printable.ts';

export type RemoteFiles = {
  writeExclusive(path: string, data: Buffer, mode: number): Promise<void>;
  /** The file's first `max` bytes and whether there was more; null when it does not exist. */
  readHead(path: string, max: number): Promise<{ data: Buffer; truncated: boolean } | null>;
  remove(path: string): Promise<void>;
};

const NO_SUCH_FILE = 2; // SSH_FX_NO_SUCH_FILE

type SftpError = Error & { code?: number };
const fail = (what: string, path: string, err: SftpError) => new HostFailure('remote-error', `SFTP ${what} ${printable(path)}: ${printable(err.message)}`);

export function openSftp(sftp: SFTPWrapper): RemoteFiles {
  return {
    writeExclusive: (path, data, mode) => new Promise((resolve, reject) => {
      sftp.writeFile(path, data, { flag: 'wx', mode }, (err?: SftpError | null) => (err ? reject(fail('upload to', path, err)) : resolve()));
    }),
    readHead: (path, max) => new Promise((resolve, reject) => {
      sftp.open(path, 'r', (err: SftpError | undefined, handle: Buffer) => {
        if (err) return err.code === NO_SUCH_FILE ? resolve(null) : reject(fail('open', path, err));
        const buf = Buffer.alloc(max + 1);
        const readFrom = (offset: number) => {
          sftp.read(handle, buf, offset, buf.length - offset, offset, (rerr: SftpError | undefined, n: number) => {
            if (rerr) return sftp.close(handle, () => reject(fail('read', path, rerr)));
            if (n > 0 && offset + n < buf.length) return readFrom(offset + n);
            const total = offset + n;
            sftp.close(handle, () => resolve({ data: buf.subarray(0, Math.min(total, max)), truncated: total > max }));
          });
        };
        readFrom(0);
      });
    }),
    remove: (path) => new Promise((resolve, reject) => {
      sftp.unlink(path, (err?: SftpError | null) => (err && err.code !== NO_SUCH_FILE ? reject(fail('remove', path, err)) : resolve()));
    }),
  };
}

/**
 * `files` with a deadline on each operation: past `timeoutMs` the operation
 * fails as a timeout naming the path, and `abandon` is called (the caller
 * destroys the connection: an SFTP request cannot be cancelled, and a silent
 * host must not keep the process alive).
 */
export function boundedFiles(files: RemoteFiles, timeoutMs: number, abandon: () => void): RemoteFiles {
  const bound = <T>(what: string, path: string, op: Promise<T>) =>
    withDeadline(op, timeoutMs, () => new HostFailure('timeout', `SFTP ${what} ${printable(path)} did not finish within ${timeoutMs / 1000} s`), abandon);
  return {
    writeExclusive: (path, data, mode) => bound('upload to', path, files.writeExclusive(path, data, mode)),
    readHead: (path, max) => bound('read', path, files.readHead(path, max)),
    remove: (path) => bound('remove', path, files.remove(path)),
  };
}

/** `op`, or `late()` as its failure once `ms` have passed (then `abandon` is called). */
export function withDeadline<T>(op: Promise<T>, ms: number, late: () => Error, abandon: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(late());
      abandon();
    }, ms);
    op.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e); });
  });
}
