// The HMAC secret shared with the PHP shim: 64 hex digits in a file that root
// owns and only the panel's group may read (mode 0640 root:psaadm). Whoever
// can read it can act as any Plesk user towards the sidecar, so a file with
// looser rights is refused rather than used.
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createError, isErrno } from '../../errors.ts';
import { writeFileAtomic } from '../../actions/state-files.ts';
import { SECRET_HEX, secretKey } from './signature.ts';

export type SecretFileOptions = {
  /** Group that may read the file (the panel's: psaadm). */
  gid: number;
  /** Create it when missing (the sidecar does at first start; the extension's post-install runs the sidecar). */
  create: boolean;
};

function readChecked(path: string): string | null {
  let fd: number;
  try {
    // O_NOFOLLOW: a symlink planted in place of the file must not redirect the read.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    if (isErrno(err, 'ELOOP')) throw createError('SENDTRACE_ERR_STATE', path, 'is a symbolic link');
    throw createError('SENDTRACE_ERR_STATE', path, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  try {
    const st = fstatSync(fd);
    const uid = process.getuid?.() ?? st.uid;
    if (!st.isFile()) throw createError('SENDTRACE_ERR_STATE', path, 'not a regular file');
    if (st.uid !== uid) throw createError('SENDTRACE_ERR_STATE', path, `owned by uid ${st.uid}, not by the user the sidecar runs as (${uid})`);
    // Group may read (the panel), nobody else may do anything, nobody but the owner may write.
    if (st.mode & 0o037) throw createError('SENDTRACE_ERR_STATE', path, `mode ${(st.mode & 0o777).toString(8)} is too open (0640 at most)`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** The HMAC key, reading (or first creating) the secret file. */
export function loadSecret(path: string, o: SecretFileOptions): Buffer {
  let text = readChecked(path);
  if (text === null) {
    if (!o.create) throw createError('SENDTRACE_ERR_STATE', path, 'missing (created at install time)');
    const made = mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    writeFileAtomic(path, `${randomBytes(32).toString('hex')}\n`, 0o640);
    if ((process.getuid?.() ?? -1) === 0) {
      // The panel's group must be able to reach the file through the folders we made.
      if (made) for (let d = dirname(path); d.length >= made.length; d = dirname(d)) chownSync(d, 0, o.gid);
      chownSync(path, 0, o.gid);
    }
    text = readChecked(path);
    if (text === null) throw createError('SENDTRACE_ERR_STATE', path, 'vanished right after it was created');
  }
  const hex = text.replace(/\n$/, '');
  if (!SECRET_HEX.test(hex)) throw createError('SENDTRACE_ERR_STATE', path, 'does not hold 64 lower-case hex digits');
  return secretKey(hex);
}
