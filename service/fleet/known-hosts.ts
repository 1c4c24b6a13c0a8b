// OpenSSH known_hosts: plain and hashed (`|1|salt|hash`, HMAC-SHA1 of the host
// name) entries, wildcards and negations, `@revoked`. ssh2 accepts any host key
// unless told otherwise; this is what it is told (STYLE.md: hostVerifier
// always set). `@cert-authority` lines are skipped: ssh2 has no host
// certificates, so such hosts need a plain key line.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isErrno } from '../errors.ts';

export type KnownHostsEntry = { marker: 'revoked' | 'cert-authority' | null; patterns: string[]; type: string; key: Buffer; line: number };
export type KnownHosts = { path: string; entries: KnownHostsEntry[]; notes: string[]; writes: Promise<void> };
export type HostKeyVerdict =
  | { status: 'known' }
  | { status: 'unknown' }
  | { status: 'changed'; expected: string[] }
  | { status: 'revoked' };

export async function loadKnownHosts(path: string): Promise<KnownHosts> {
  const kh: KnownHosts = { path, entries: [], notes: [], writes: Promise.resolve() };
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    kh.notes.push(`known_hosts ${path} does not exist: every host is unknown`);
  }
  let bad = 0;
  text.split('\n').forEach((raw, i) => {
    const words = raw.trim().split(/\s+/);
    if (!words[0] || words[0].startsWith('#')) return;
    const marker = words[0] === '@revoked' ? 'revoked' : words[0] === '@cert-authority' ? 'cert-authority' : null;
    const [patterns, type, b64] = marker ? words.slice(1) : words;
    if (!patterns || !type || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return void bad++;
    kh.entries.push({ marker, patterns: patterns.split(','), type, key: Buffer.from(b64, 'base64'), line: i + 1 });
  });
  if (bad) kh.notes.push(`known_hosts ${path}: ${bad} line(s) could not be read and were skipped`);
  return kh;
}

/** The name OpenSSH looks up: `host`, or `[host]:port` off port 22. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function matchOne(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    const want = Buffer.from(hash, 'base64');
    const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  if (!/[*?]/.test(pattern)) return pattern.toLowerCase() === name.toLowerCase();
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/** A comma list matches when some pattern does and no negated one does. */
function matchesHost(patterns: string[], name: string): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchOne(p.slice(1), name)) return false;
    } else if (matchOne(p, name)) hit = true;
  }
  return hit;
}

/** The key's algorithm, read from the SSH wire blob (string type, …). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return len > 0 && len < 64 && blob.length >= 4 + len ? blob.subarray(4, 4 + len).toString('latin1') : 'unknown';
}

/** OpenSSH's `SHA256:…` fingerprint. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/={1,2}$/, '')}`;
}

function entriesFor(kh: KnownHosts, address: string, port: number): KnownHostsEntry[] {
  const name = knownHostsName(address, port);
  return kh.entries.filter((e) => e.marker !== 'cert-authority' && matchesHost(e.patterns, name));
}

export function checkHostKey(kh: KnownHosts, address: string, port: number, blob: Buffer): HostKeyVerdict {
  const entries = entriesFor(kh, address, port);
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(blob))) return { status: 'revoked' };
  const plain = entries.filter((e) => e.marker === null);
  if (plain.some((e) => e.key.equals(blob))) return { status: 'known' };
  // Any other key on record for this host means it changed: ssh-run.ts only
  // negotiates the key types on record, so a new type cannot slip in as "new".
  if (plain.length) return { status: 'changed', expected: plain.map((e) => `${e.type} ${fingerprint(e.key)} (line ${e.line})`) };
  return { status: 'unknown' };
}

/** Key types on record for the host, to offer only those in the handshake. */
export function knownKeyTypes(kh: KnownHosts, address: string, port: number): string[] {
  return [...new Set(entriesFor(kh, address, port).filter((e) => e.marker === null).map((e) => e.type))];
}

/** --accept-new: remember at once (a second inventory name for the same host sees it) and append, one write at a time. */
export function rememberHostKey(kh: KnownHosts, address: string, port: number, blob: Buffer): Promise<void> {
  const type = keyTypeOf(blob);
  const name = knownHostsName(address, port);
  kh.entries.push({ marker: null, patterns: [name], type, key: blob, line: 0 });
  const write = async () => {
    await mkdir(dirname(kh.path), { recursive: true, mode: 0o700 });
    let prefix = '';
    try {
      const cur = await readFile(kh.path, 'utf8');
      if (cur.length && !cur.endsWith('\n')) prefix = '\n';
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    await appendFile(kh.path, `${prefix}${name} ${type} ${blob.toString('base64')}\n`, { mode: 0o600 });
  };
  // Each caller awaits (and reports) its own write; a failed one does not stop the next.
  kh.writes = kh.writes.then(write, write);
  return kh.writes;
}
