// /etc/passwd: UID ↔ login (psa stores the login but not the UID:
// reference/plesk.md §3.3 [V]; resolving through passwd is [I]).
import { readFile } from 'node:fs/promises';
import { describeError } from '../errors.ts';

export type PasswdEntry = { login: string; uid: number; gid: number; home: string; shell: string };
export type Passwd = { byUid: Map<number, PasswdEntry>; byLogin: Map<string, PasswdEntry> };

export function parsePasswd(text: string): { passwd: Passwd; unparsed: number } {
  const byUid = new Map<number, PasswdEntry>();
  const byLogin = new Map<string, PasswdEntry>();
  let unparsed = 0;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (f.length !== 7 || !f[0] || !/^\d+$/.test(f[2] ?? '') || !/^\d+$/.test(f[3] ?? '')) {
      unparsed++;
      continue;
    }
    const entry = { login: f[0], uid, gid, home: f[5] ?? '', shell: f[6] ?? '' };
    // The first entry for a UID wins, as getpwuid() does.
    if (!byUid.has(uid)) byUid.set(uid, entry);
    if (!byLogin.has(entry.login)) byLogin.set(entry.login, entry);
  }
  return { passwd: { byUid, byLogin }, unparsed };
}

export async function readPasswd(path: string): Promise<{ passwd: Passwd; warnings: string[] }> {
  try {
    const { passwd, unparsed } = parsePasswd(await readFile(path, 'utf8'));
    return { passwd, warnings: unparsed ? [`${path}: ${unparsed} lines did not parse and were skipped`] : [] };
  } catch (err) {
    return { passwd: { byUid: new Map(), byLogin: new Map() }, warnings: [`cannot read passwd file ${path}: ${describeError(err)}`] };
  }
}
