// Which file a piece of evidence means: library files are never the culprit by
// themselves (DESIGN.md §3), so walk back to the script that was requested.
import type { ScriptFile, ScriptPosts, Series } from './attribute-types.ts';

const LIBRARY = /(?:^|\/)(?:wp-includes|vendor|PHPMailer|phpmailer|swiftmailer|Swift|Zend|laminas)(?:\/|$)|class-phpmailer\.php$|PHPMailer\.php$/;

export function isLibraryPath(path: string): boolean {
  return LIBRARY.test(path);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Paths of non-library scripts called `name` that send mail or were requested. */
export function scriptCandidates(name: string, files: ScriptFile[], posts: ScriptPosts[]): string[] {
  const out = new Set<string>();
  for (const f of files) if (!f.library && basename(f.path) === name && f.sends.length) out.add(f.path);
  for (const p of posts) if (p.filePath && basename(p.filePath) === name && !isLibraryPath(p.filePath)) out.add(p.filePath);
  return [...out];
}

/** The requested script whose POST hours overlap most with a library's mail() hours. */
export function findEntryScript(libraryHourly: Series, posts: ScriptPosts[]): ScriptPosts | null {
  let best: ScriptPosts | null = null;
  let bestOverlap = 0;
  for (const p of posts) {
    if (!p.filePath && !p.urlPath) continue;
    let overlap = 0;
    for (const [h, n] of p.hourly) if (libraryHourly.has(h)) overlap += Math.min(n, libraryHourly.get(h)!);
    if (overlap > bestOverlap) {
      best = p;
      bestOverlap = overlap;
    }
  }
  return best;
}
