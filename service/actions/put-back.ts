// Returns something we moved by mistake (a name swapped between our check and
// our rename) to where it came from, without ever overwriting what is there
// now: link + unlink for files and symlinks (link fails with EEXIST), rename
// for folders. If the name has been taken again, the thing goes beside it
// under a new name rather than being lost or clobbering the newcomer.
// A name set beside keeps its extension (mail.php → mail.TAG.php): renamed to
// mail.php_old, a script's source would be served as text to anyone.
import { randomBytes } from 'node:crypto';
import { linkSync, renameSync, unlinkSync } from 'node:fs';
import { isErrno } from '../errors.ts';

function placeNoClobber(from: string | Buffer, to: Buffer, isDir: boolean): boolean {
  try {
    if (isDir) renameSync(from, to);
    else {
      linkSync(from, to);
      unlinkSync(from);
    }
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST') || isErrno(err, 'ENOTEMPTY') || isErrno(err, 'ENOTDIR') || isErrno(err, 'EISDIR')) return false;
    throw err;
  }
}

/** Puts `from` back at `to` (or beside it); returns the name it got. */
export function putBack(from: string | Buffer, to: Buffer, isDir: boolean): Buffer {
  if (placeNoClobber(from, to, isDir)) return to;
  for (let i = 0; i < 5; i++) {
    const aside = besidePath(to, `sendtrace-returned-${randomBytes(3).toString('hex')}`);
    if (placeNoClobber(from, aside, isDir)) return aside;
  }
  throw new Error('could not put back a swapped file: every name was taken');
}

/** `dir/name.ext` → `dir/name.TAG.ext` (a name without extension gets `.TAG` at the end). */
export function besidePath(path: Buffer, tag: string): Buffer {
  const slash = path.lastIndexOf(0x2f);
  const dot = path.lastIndexOf(0x2e);
  const t = Buffer.from(`.${tag}`);
  // A leading dot (".htaccess") is not an extension.
  if (dot > slash + 1) return Buffer.concat([path.subarray(0, dot), t, path.subarray(dot)]);
  return Buffer.concat([path, t]);
}
