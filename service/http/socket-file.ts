// The unix socket's file: its group (the panel's, psaadm on Plesk), its
// folder, and a stale socket left by a crash. A stale socket is removed only
// when it is a socket and nobody answers on it; anything else at that path
// (a file, a symlink, a live sidecar) is a refusal, never a deletion.
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { createError, describeError, isErrno } from '../errors.ts';

/** gid of a group from an /etc/group-format file (no getent, no child process). */
export function resolveGroupId(name: string, groupFile = '/etc/group'): number | null {
  let text: string;
  try {
    text = readFileSync(groupFile, 'utf8');
  } catch (err) {
    throw createError('SENDTRACE_ERR_STATE', groupFile, describeError(err));
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && /^\d+$/.test(f[2] ?? '')) return Number(f[2]);
  }
  return null;
}

function answers(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(true);   // something holds it but does not answer: not ours to remove
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(err);
    });
  });
}

/** Makes `path` free to listen on: creates its folder (0750, the panel's group), removes a stale socket. */
export async function prepareSocketPath(path: string, gid: number): Promise<void> {
  const dir = dirname(path);
  const made = mkdirSync(dir, { recursive: true, mode: 0o750 });
  if (made && (process.getuid?.() ?? -1) === 0) chownSync(dir, 0, gid);
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  if (!st.isSocket()) throw createError('SENDTRACE_ERR_REFUSED', `${path} exists and is not a socket; not removing it (check 'socketPath')`);
  if (await answers(path, 1_000)) throw createError('SENDTRACE_ERR_REFUSED', `another process is listening on ${path} (a sidecar already running?)`);
  try {
    unlinkSync(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

/** After listen: 0660, owned by us and the panel's group. Returns the socket's inode (to remove only our own later). */
export function secureSocket(path: string, gid: number): number {
  chmodSync(path, 0o660);
  // As root: root:psaadm. Otherwise it works when we are a member of that group (tests).
  chownSync(path, process.getuid?.() ?? -1, gid);
  return lstatSync(path).ino;
}

/** Removes the socket file if it is still the one we created. */
export function removeOwnSocket(path: string, ino: number): void {
  try {
    if (lstatSync(path).ino === ino) unlinkSync(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
