// The check every file action passes first (STYLE.md rule 4): the path must
// name a regular file inside a subscription's home, reached from the home
// without a symbolic link, on the home's filesystem, not a system path, not
// the home or a docroot itself, not root's, not hard-linked elsewhere. The
// check returns the open descriptors the action then works through, so the
// action acts on what was checked, not on whatever the path names later.
import { closeSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { localPath } from '../sources/vhost-paths.ts';
import { createError, isErrno } from '../errors.ts';
import { isInsideBytes } from '../sources/display-name.ts';
import type { PanelData } from '../sources/panel-data.ts';
import { showPath } from './path-arg.ts';
import { openDirNoFollow, openRegularFileAt, realPathOfFd, splitCanonical, walkDirs, type OpenedDir, type OpenedFile } from './safe-walk.ts';

export type SubscriptionPlace = {
  id: number;
  name: string;
  ownerId: number;
  sysLogin: string | null;
  home: string;                 // local path (psa's /var/www/vhosts mapped onto config.vhostsRoot)
  docroots: string[];
};

/** Where each hosting subscription lives on this machine, from psa. */
export function subscriptionPlaces(panel: PanelData, vhostsRoot: string): SubscriptionPlace[] {
  return panel.subscriptions.flatMap((s) => {
    if (!s.sysUser || !s.sysUser.home.startsWith('/')) return [];
    const roots = [s.wwwRoot, ...panel.domains.filter((d) => d.subscriptionId === s.id).map((d) => d.wwwRoot)];
    return [{
      id: s.id, name: s.name, ownerId: s.ownerId, sysLogin: s.sysUser.login,
      home: localPath(s.sysUser.home, vhostsRoot),
      docroots: [...new Set(roots.filter((r): r is string => r !== null && r.startsWith('/')).map((r) => localPath(r, vhostsRoot)))],
    }];
  });
}

export type PathPolicy = { vhostsRoot: string; stateDir: string; quarantineDir: string };

// Never acted on, whatever psa says a home is (hostile or broken psa data can
// name /etc as a home). Checked against the real path of the opened file.
const SYSTEM_DIRS = ['/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/usr', '/boot', '/dev', '/proc', '/sys', '/run',
  '/root', '/var/lib', '/var/log', '/var/spool', '/var/cache', '/var/qmail', '/opt/psa', '/snap'];

export function systemPathReason(real: Buffer, policy: PathPolicy): string | null {
  if (real.length <= 1) return 'it is the root folder';
  for (const d of SYSTEM_DIRS) if (isInsideBytes(real, Buffer.from(d))) return `it is a system path (under ${d})`;
  const own: Array<[string, string]> = [[policy.quarantineDir, "sendtrace's quarantine"], [policy.stateDir, "sendtrace's state"], [join(policy.vhostsRoot, 'system'), "Plesk's per-domain system folder"]];
  for (const [d, what] of own) if (isInsideBytes(real, Buffer.from(d))) return `it is inside ${what} (${d})`;
  return null;
}

export type CheckedFile = {
  path: Buffer;
  shown: string;
  place: SubscriptionPlace;
  homePath: Buffer;             // the home as the path names it
  rel: Buffer[];                // components below the home; the file name last
  name: Buffer;
  home: OpenedDir;
  dir: OpenedDir;               // the file's folder, held open
  file: OpenedFile;             // the file, held open
  realPath: Buffer;
  close(): void;
};

function refuse(path: Buffer, why: string): never {
  throw createError('SENDTRACE_ERR_PATH_NOT_ALLOWED', showPath(path), why);
}

function realHomeOf(home: string): Buffer | null {
  try {
    return realpathSync(home, { encoding: 'buffer' });
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return null;
    throw err;
  }
}

/** The subscription whose home holds `path` (the innermost, were homes nested), and the home as `path` spells it. */
export function findHome(path: Buffer, places: SubscriptionPlace[]): { place: SubscriptionPlace; homePath: Buffer } | null {
  let best: { place: SubscriptionPlace; homePath: Buffer } | null = null;
  for (const place of places) {
    for (const home of [Buffer.from(place.home), realHomeOf(place.home)]) {
      if (home && isInsideBytes(path, home) && (!best || home.length > best.homePath.length)) best = { place, homePath: home };
    }
  }
  return best;
}

/** Checks `path` and opens it; the caller must close() the result. */
export function checkFileInSubscription(path: Buffer, places: SubscriptionPlace[], policy: PathPolicy): CheckedFile {
  const parts = splitCanonical(path);
  const found = findHome(path, places);
  if (!found) refuse(path, systemPathReason(path, policy) ?? "it is outside every subscription's home");
  const { place, homePath } = found;
  if (path.equals(homePath)) refuse(path, `it is the home of subscription ${place.name} itself`);
  if (place.docroots.some((d) => path.equals(Buffer.from(d)))) refuse(path, `it is a docroot (web root) of subscription ${place.name} itself`);
  const rel = parts.slice(splitCanonical(homePath).length);
  const name = rel[rel.length - 1]!;
  const opened: number[] = [];
  try {
    const home = openDirNoFollow(homePath, `the home of subscription ${place.name}`);
    opened.push(home.fd);
    const homeReason = systemPathReason(realPathOfFd(home.fd), policy);
    if (homeReason) refuse(path, `the home of subscription ${place.name} resolves to a protected place: ${homeReason}`);
    const dir = rel.length > 1 ? walkDirs(home, homePath, rel.slice(0, -1)) : home;
    if (dir !== home) opened.push(dir.fd);
    const file = openRegularFileAt(dir.fd, name, path);
    opened.push(file.fd);
    const realPath = realPathOfFd(file.fd);
    const reason = systemPathReason(realPath, policy);
    if (reason) refuse(path, reason);
    if (file.st.uid === 0) refuse(path, "it belongs to root: part of the hosting system, not the customer's content");
    // Another name of the same inode would keep serving it after the move.
    if (file.st.nlink > 1) refuse(path, `it has ${file.st.nlink} hard links (inode ${file.st.ino}); the other names would still serve it`);
    return {
      path, shown: showPath(path), place, homePath, rel, name, home, dir, file, realPath,
      close: () => {
        for (const fd of new Set(opened)) closeSync(fd);
      },
    };
  } catch (err) {
    for (const fd of new Set(opened)) closeSync(fd);
    throw err;
  }
}

/** The subscription a `--subscription NAME` names (its main domain, any case). */
export function findSubscriptionByName<S extends { name: string }>(subs: S[], name: string): S {
  const sub = subs.find((s) => s.name.toLowerCase() === name.toLowerCase());
  if (!sub) throw createError('SENDTRACE_ERR_NOT_FOUND', 'Subscription', name);
  return sub;
}
