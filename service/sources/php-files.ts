// The PHP files of one subscription: walks its home (bounded in files, depth
// and time), never follows a symlink, never reads a file over the size limit,
// and describes each file that sends mail, looks hidden or obfuscated, or was
// named by the logs. The home belongs to the customer — and maybe to whoever
// broke in — so names, sizes and contents are all treated as hostile.
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { describeError } from '../errors.ts';
import { displayName, isInsideBytes } from './display-name.ts';
import { analysePhpCode, SEND_KINDS, SIGNAL_NAMES } from './php-code-signals.ts';
import { describeFile, readRegularFile, sha256, type FileFacts } from './php-file-facts.ts';

export const PhpFileSchema = z.object({
  path: z.string(),                     // display form (control characters, `\` and invalid UTF-8 as \xHH)
  pathBase64: z.string().optional(),    // the exact bytes, only when `path` had to be escaped
  size: z.number().int().nonnegative(),
  mode: z.number().int(),               // permission bits
  uid: z.number().int(),
  gid: z.number().int(),
  mtime: z.number(),                    // epoch ms
  sha256: z.string().nullable(),        // null when not read (too large, unreadable)
  read: z.boolean(),
  namedByLogs: z.boolean(),
  urlPaths: z.array(z.string()),        // as served from each docroot that holds it
  sends: z.array(z.enum(SEND_KINDS)),
  signals: z.array(z.object({ signal: z.enum(SIGNAL_NAMES), detail: z.string() })),
  library: z.boolean(),                 // mailer library / CMS core: never the culprit by itself
  includes: z.array(z.string()),        // literal parts of require/include targets, to walk back from a library
});
export type PhpFile = z.infer<typeof PhpFileSchema>;

export type Symlink = { path: string; target: string; outsideHome: boolean };

export type ScanLimits = {
  maxPhpFiles?: number;                 // PHP files examined (default 50 000)
  maxEntries?: number;                  // directory entries looked at (default 1 000 000)
  maxDepth?: number;                    // default 40
  maxReadBytes?: number;                // larger files are listed, not read (default 2 MiB)
  maxReported?: number;                 // files in the result (default 2000)
  timeBudgetMs?: number;                // default 120 s
  recentMs?: number;                    // "recently modified" (default 7 days)
};

export type PhpScan = {
  files: PhpFile[];
  symlinks: Symlink[];
  warnings: string[];
  stats: { dirs: number; entries: number; phpFiles: number; read: number; notReported: number; complete: boolean };
};

export type ScanRequest = { home: string; docroots: string[]; extraPaths: string[]; limits?: ScanLimits; now?: number };

const PHP_NAME = /\.(?:php\d?|phtml|inc)$/i;
const SLASH = Buffer.from('/');

export async function scanPhpFiles(req: ScanRequest): Promise<PhpScan> {
  const L = { maxPhpFiles: 50_000, maxEntries: 1_000_000, maxDepth: 40, maxReadBytes: 2 * 1024 * 1024, maxReported: 2000, timeBudgetMs: 120_000, recentMs: 7 * 86_400_000, ...req.limits };
  const now = req.now ?? Date.now();
  const deadline = Date.now() + L.timeBudgetMs;
  const scan: PhpScan = { files: [], symlinks: [], warnings: [], stats: { dirs: 0, entries: 0, phpFiles: 0, read: 0, notReported: 0, complete: true } };
  let home: Buffer;
  try {
    home = Buffer.from(await realpath(req.home));
  } catch (err) {
    scan.warnings.push(`cannot read subscription home ${req.home}: ${describeError(err)}`);
    scan.stats.complete = false;
    return scan;
  }
  const docroots: Buffer[] = [];
  for (const d of req.docroots) {
    try {
      const real = Buffer.from(await realpath(d));
      if (isInsideBytes(real, home)) docroots.push(real);
      else scan.warnings.push(`docroot ${d} is outside the home ${req.home}; not scanned`);
    } catch (err) {
      scan.warnings.push(`cannot read docroot ${d}: ${describeError(err)}`);
    }
  }
  const done = new Set<string>();                 // dev:ino of files already described
  const facts: Omit<FileFacts, 'path'> = { home, docroots, now, recentMs: L.recentMs, maxReadBytes: L.maxReadBytes };
  const report = (f: PhpFile | null) => {
    if (!f) return;
    if (scan.files.length < L.maxReported) scan.files.push(PhpFileSchema.parse(f));
    else scan.stats.notReported++;
  };
  const noteSymlink = async (path: Buffer) => {
    const target = await readlink(path, { encoding: 'buffer' });
    const abs = target[0] === 0x2f ? target : Buffer.from(resolve(path.subarray(0, path.lastIndexOf(0x2f)).toString('latin1'), target.toString('latin1')), 'latin1');
    const outsideHome = !isInsideBytes(abs, home);
    if (scan.symlinks.length < 500 && (outsideHome || PHP_NAME.test(path.toString('latin1')) || PHP_NAME.test(target.toString('latin1')))) {
      scan.symlinks.push({ path: displayName(path).text, target: displayName(target).text, outsideHome });
    }
  };

  // Files named by the logs come first: they are the best leads and must not be lost to a limit.
  for (const extra of new Set(req.extraPaths)) {
    const p = isAbsolute(extra) ? extra : resolve(req.home, extra);
    const shown = displayName(Buffer.from(p)).text;   // the name came from a log line: show it escaped
    try {
      const st = await lstat(p);
      if (st.isSymbolicLink()) {
        await noteSymlink(Buffer.from(p));
        scan.warnings.push(`${shown} (named by the logs) is a symlink; not followed`);
        continue;
      }
      const real = Buffer.from(await realpath(p));
      if (!isInsideBytes(real, home)) { scan.warnings.push(`${shown} (named by the logs) is outside the home ${req.home}; not read`); continue; }
      if (!st.isFile()) { scan.warnings.push(`${shown} (named by the logs) is not a regular file`); continue; }
      if (done.has(`${st.dev}:${st.ino}`)) continue;
      done.add(`${st.dev}:${st.ino}`);
      scan.stats.phpFiles++;
      report(await describeFile({ ...facts, path: real }, st, true, scan));
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      scan.warnings.push(missing ? `${shown} (named by the logs) no longer exists: renamed or removed?` : `cannot read ${shown}: ${describeError(err)}`);
    }
  }

  const seenDirs = new Set<string>();
  const stack: Array<{ dir: Buffer; depth: number }> = [{ dir: home, depth: 0 }, ...docroots.map((dir) => ({ dir, depth: 0 }))];
  let depthWarned = false;
  while (stack.length) {
    if (Date.now() > deadline || scan.stats.entries >= L.maxEntries || scan.stats.phpFiles >= L.maxPhpFiles) {
      scan.stats.complete = false;
      scan.warnings.push(`scan of ${req.home} stopped early (time, entry or file limit): ${stack.length} folders not visited`);
      break;
    }
    const { dir, depth } = stack.pop()!;
    let entries;
    try {
      const st = await lstat(dir);
      const key = `${st.dev}:${st.ino}`;
      if (seenDirs.has(key)) continue;
      seenDirs.add(key);
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      scan.warnings.push(`cannot list ${displayName(dir).text}: ${describeError(err)}`);
      scan.stats.complete = false;
      continue;
    }
    scan.stats.dirs++;
    const phpPaths: Buffer[] = [];
    for (const [i, e] of entries.entries()) {
      if (Date.now() > deadline || scan.stats.entries >= L.maxEntries) {
        // The rest of this folder is never come back to: the warning at the top of the loop says the scan is partial.
        stack.push({ dir, depth });
        break;
      }
      scan.stats.entries++;
      const path = Buffer.concat([dir, SLASH, e.name]);
      try {
        if (e.isSymbolicLink()) await noteSymlink(path);
        else if (e.isDirectory()) {
          if (depth + 1 <= L.maxDepth) stack.push({ dir: path, depth: depth + 1 });
          else if (!depthWarned) { depthWarned = true; scan.stats.complete = false; scan.warnings.push(`folders deeper than ${L.maxDepth} levels were not scanned (first: ${displayName(path).text})`); }
        } else if (e.isFile() && PHP_NAME.test(e.name.toString('latin1'))) phpPaths.push(path);
      } catch (err) {
        scan.warnings.push(`cannot read ${displayName(path).text}: ${describeError(err)} (entry ${i})`);
      }
    }
    // A few files at a time: the disk and the thread pool work while code is analysed.
    for (let k = 0; k < phpPaths.length; k += 8) {
      if (Date.now() > deadline || scan.stats.phpFiles >= L.maxPhpFiles) { stack.push({ dir, depth }); break; }
      const described = await Promise.all(phpPaths.slice(k, k + 8).map(async (path) => {
        try {
          const st = await lstat(path);
          const key = `${st.dev}:${st.ino}`;
          if (!st.isFile() || done.has(key)) return null;
          done.add(key);
          scan.stats.phpFiles++;
          return await describeFile({ ...facts, path }, st, false, scan);
        } catch (err) {
          // A file that vanished between readdir and lstat is not worth a warning.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') scan.warnings.push(`cannot read ${displayName(path).text}: ${describeError(err)}`);
          return null;
        }
      }));
      for (const f of described) report(f);
    }
  }
  return scan;
}

export { analysePhpCode, readRegularFile, sha256 };
