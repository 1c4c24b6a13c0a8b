// Walks from a subscription's home down to a file one component at a time,
// through directory file descriptors, never following a symbolic link.
//
// Node has no openat(2). Linux gives the same thing through /proc: the path
// `/proc/self/fd/N/name` resolves `/proc/self/fd/N` to the directory that fd N
// holds open (the object itself, not its path name, so renaming or swapping
// the directory's path afterwards does not matter) and then looks up `name`
// inside it. With O_NOFOLLOW (and O_DIRECTORY for folders) each step is
// openat(dirfd, name, O_NOFOLLOW): a symlink planted anywhere on the way is
// refused, not followed. Renames and unlinks through the same prefix act on
// the checked directory, so the threat "a folder on the way is swapped for a
// symlink to /etc between the check and the move" is closed; what remains is
// the final name itself, handled by the callers (docs/decisions/006-quarantine.md).
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, type Stats } from 'node:fs';
import { createError, isErrno } from '../errors.ts';
import { showPath } from './path-arg.ts';

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** `/proc/self/fd/<dirFd>/<name>`: a path that names `name` inside the directory held by dirFd. */
export function atDir(dirFd: number, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`/proc/self/fd/${dirFd}/`), name]);
}

/** The path the kernel has for an open fd (a real path: no symlinks, no `..`). */
export function realPathOfFd(fd: number): Buffer {
  return readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' });
}

export type OpenedDir = { fd: number; st: Stats };

function isSymlinkAt(dirFd: number, name: Buffer): boolean {
  return lstatSync(atDir(dirFd, name), { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
}

function refuse(path: Buffer, why: string): never {
  throw createError('SENDTRACE_ERR_PATH_NOT_ALLOWED', showPath(path), why);
}

/** Opens a directory whose last component must not be a symlink (components above it may be). */
export function openDirNoFollow(path: Buffer, what: string): OpenedDir {
  let fd: number;
  try {
    fd = openSync(path, DIR_FLAGS);
  } catch (err) {
    if (isErrno(err, 'ELOOP') || (isErrno(err, 'ENOTDIR') && lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink())) refuse(path, `${what} is a symbolic link`);
    if (isErrno(err, 'ENOTDIR')) refuse(path, `${what} is not a directory`);
    if (isErrno(err, 'ENOENT')) throw createError('SENDTRACE_ERR_NOT_FOUND', what, showPath(path));
    throw err;
  }
  return { fd, st: fstatSync(fd) };
}

/**
 * From an open home directory, opens each folder of `parts` in turn (all of
 * them must be real directories on the home's filesystem) and returns the
 * last one open. Intermediate descriptors are closed; the home's is not.
 */
export function walkDirs(home: OpenedDir, homePath: Buffer, parts: Buffer[]): OpenedDir {
  let current = home;
  let shown = homePath;
  for (const part of parts) {
    shown = Buffer.concat([shown, Buffer.from('/'), part]);
    let fd: number;
    try {
      fd = openSync(atDir(current.fd, part), DIR_FLAGS);
    } catch (err) {
      const link = isErrno(err, 'ENOTDIR') && isSymlinkAt(current.fd, part);
      if (current !== home) closeSync(current.fd);
      // O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR on Linux: tell the two apart.
      if (isErrno(err, 'ELOOP') || link) refuse(shown, 'a folder on the way is a symbolic link');
      if (isErrno(err, 'ENOTDIR')) refuse(shown, 'a part of the path is not a folder');
      if (isErrno(err, 'ENOENT')) throw createError('SENDTRACE_ERR_NOT_FOUND', 'Folder', showPath(shown));
      throw err;
    }
    if (current !== home) closeSync(current.fd);
    const st = fstatSync(fd);
    current = { fd, st };
    // A mount inside the home (a bind mount of a system folder, say) is not the customer's web space.
    if (st.dev !== home.st.dev) {
      closeSync(fd);
      refuse(shown, "a folder on the way is another filesystem mounted inside the subscription's home");
    }
  }
  return current;
}

export type OpenedFile = { fd: number; st: Stats };

/**
 * Opens `name` inside the directory held by dirFd as a regular file: lstat
 * first (a FIFO or device is never opened), then open with O_NOFOLLOW and
 * O_NONBLOCK, and the fd must be the very inode the lstat saw.
 */
export function openRegularFileAt(dirFd: number, name: Buffer, shown: Buffer): OpenedFile {
  let lst: Stats;
  try {
    lst = lstatSync(atDir(dirFd, name));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw createError('SENDTRACE_ERR_NOT_FOUND', 'File', showPath(shown));
    throw err;
  }
  if (lst.isSymbolicLink()) {
    let target = '';
    try {
      target = ` (to ${showPath(readlinkSync(atDir(dirFd, name), { encoding: 'buffer' }))})`;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    refuse(shown, `it is a symbolic link${target}; act on a real file inside the subscription`);
  }
  if (lst.isDirectory()) refuse(shown, 'it is a folder, not a file');
  if (!lst.isFile()) refuse(shown, 'it is not a regular file (a device, FIFO or socket)');
  let fd: number;
  try {
    fd = openSync(atDir(dirFd, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (isErrno(err, 'ELOOP')) refuse(shown, 'it was replaced by a symbolic link while being checked');
    if (isErrno(err, 'ENOENT')) throw createError('SENDTRACE_ERR_NOT_FOUND', 'File', showPath(shown));
    throw err;
  }
  const st = fstatSync(fd);
  if (!st.isFile() || st.dev !== lst.dev || st.ino !== lst.ino) {
    closeSync(fd);
    refuse(shown, 'it was replaced while being checked');
  }
  return { fd, st };
}

/** Splits an absolute path into its components; refuses `.`/`..`, empty components and NUL. */
export function splitCanonical(path: Buffer): Buffer[] {
  if (path[0] !== 0x2f) refuse(path, 'give an absolute path (starting with /)');
  if (path.includes(0)) refuse(path, 'it contains a NUL byte');
  const parts: Buffer[] = [];
  let start = 1;
  for (let i = 1; i <= path.length; i++) {
    if (i < path.length && path[i] !== 0x2f) continue;
    const part = path.subarray(start, i);
    if (part.length === 0) refuse(path, "it is not in canonical form (an empty component: '//' or a trailing '/')");
    const text = part.toString('latin1');
    if (text === '.' || text === '..') refuse(path, "it contains '.' or '..'; give the file's real path");
    parts.push(part);
    start = i + 1;
  }
  return parts;
}
