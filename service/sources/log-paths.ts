// Config path lists → the log files to read, oldest first. Globs (`*`, `?`)
// may appear in any path segment (`/var/www/vhosts/system/*/logs/*access*log*`);
// no glob package: each glob segment is one readdir.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { describeError, isErrno } from '../errors.ts';

export type ExpandedPaths = {
  files: string[];          // regular files, rotated ones oldest first, each file once
  warnings: string[];       // unreadable directories, missing or non-regular literal paths
  unmatched: string[];      // glob patterns that matched no file (normal for Plesk's defaults)
};

const hasGlob = (s: string) => s.includes('*') || s.includes('?');

function segmentMatcher(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  // Like a shell, a wildcard does not match a leading dot (`*` skips `.hidden`).
  return new RegExp(segment.startsWith('.') ? `^${body}$` : `^(?!\\.)${body}$`);
}

async function listMatches(dir: string, segment: string, warnings: string[]): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    // A missing folder just means no match; anything else (EACCES) is worth saying.
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return [];
    warnings.push(`cannot list ${dir}: ${describeError(err)}`);
    return [];
  }
  const re = segmentMatcher(segment);
  return names.filter((n) => re.test(n)).sort().map((n) => join(dir, n));
}

async function expandGlob(pattern: string, warnings: string[]): Promise<string[]> {
  const abs = isAbsolute(pattern) ? pattern : resolve(pattern);
  const segments = abs.split('/').filter((s) => s !== '');
  let candidates = ['/'];
  for (const seg of segments) {
    if (!hasGlob(seg)) {
      candidates = candidates.map((c) => join(c, seg));
      continue;
    }
    const next: string[] = [];
    for (const c of candidates) next.push(...(await listMatches(c, seg, warnings)));
    candidates = next;
  }
  return candidates;
}

/** Rotation family and age of a log file name: `mail.log.3.gz` → (`mail.log`, 3); `maillog-20220201.gz` → dated. */
export function rotationOf(path: string): { family: string; age: number } {
  const name = basename(path).replace(/\.gz$/, '');
  const numbered = /^(.+)\.(\d{1,4})$/.exec(name);
  if (numbered) return { family: join(dirname(path), numbered[1]!), age: Number(numbered[2]) };
  const dated = /^(.+?)[-.](\d{4})-?(\d{2})-?(\d{2})(\d{2})?$/.exec(name);
  if (dated) {
    const stamp = Number(`${dated[2]}${dated[3]}${dated[4]}${dated[5] ?? '00'}`);
    // Older dates sort as older (larger age); every dated file is older than the live one.
    return { family: join(dirname(path), dated[1]!), age: 1e11 - stamp };
  }
  return { family: join(dirname(path), name), age: 0 };
}

/** Oldest first within each rotation family; families keep the order in which they were named. */
export function orderByRotation(paths: string[]): string[] {
  const firstSeen = new Map<string, number>();
  const rows = paths.map((path, i) => {
    const r = rotationOf(path);
    if (!firstSeen.has(r.family)) firstSeen.set(r.family, i);
    return { path, i, ...r };
  });
  rows.sort((a, b) => firstSeen.get(a.family)! - firstSeen.get(b.family)! || b.age - a.age || a.i - b.i);
  return rows.map((r) => r.path);
}

export async function expandPaths(patterns: string[]): Promise<ExpandedPaths> {
  const warnings: string[] = [];
  const unmatched: string[] = [];
  const found: string[] = [];
  const seen = new Set<string>();
  for (const pattern of patterns) {
    const glob = hasGlob(pattern);
    const candidates = glob ? await expandGlob(pattern, warnings) : [pattern];
    let matched = 0;
    for (const path of candidates) {
      let st;
      try {
        st = await stat(path);
      } catch (err) {
        if (!glob) warnings.push(`cannot read ${path}: ${describeError(err)}`);
        continue;
      }
      // FIFOs and devices would block or never end; only regular files are logs.
      if (!st.isFile()) {
        if (!glob) warnings.push(`${path}: not a regular file, skipped`);
        continue;
      }
      matched++;
      // The same file under two names (Plesk links /usr/local/psa/var/log/maillog
      // to the system log on some hosts) is read once.
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      found.push(path);
    }
    if (glob && matched === 0) unmatched.push(pattern);
  }
  return { files: orderByRotation(found), warnings, unmatched };
}
