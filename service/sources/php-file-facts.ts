// One PHP file → its description: metadata, hash, what its code does, and
// what its name and place say (hidden, in an uploads folder, disguised as an
// image, part of a mailer library or of the CMS core).
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { describeError } from '../errors.ts';
import { displayName, isInsideBytes } from './display-name.ts';
import { analysePhpCode, type CodeSignal, type SendKind } from './php-code-signals.ts';
import type { PhpFile, PhpScan } from './php-files.ts';

export type FileFacts = { path: Buffer; home: Buffer; docroots: Buffer[]; now: number; recentMs: number; maxReadBytes: number };

const LIBRARY_PATH = /\/(?:vendor|wp-includes|wp-admin|phpmailer|swiftmailer|swift_mailer|libraries|laminas|zend)\//i;
const LIBRARY_NAME = /(?:^|\/)(?:class[.-](?:phpmailer|smtp|pop3)|phpmailer|smtp|pop3|pclzip)\.(?:class\.)?php$/i;
const UPLOADS = /^(?:uploads?|tmp|temp)$/i;
const DISGUISED = /\.(?:jpe?g|png|gif|ico|bmp|svg|webp|txt|css|js|pdf|zip)\.(?:php\d?|phtml)$/i;
// Signals that make a file worth reporting even when no sending is visible.
const REPORT = new Set(['obfuscation', 'input-as-code', 'long-base64', 'hidden-name', 'uploads-folder', 'disguised-name', 'too-large', 'unreadable']);

/** Reads a regular file without following a symlink or blocking on a FIFO swapped in after lstat. */
export async function readRegularFile(path: Buffer, expected: { dev: number; ino: number }, maxBytes: number, insideOf?: Buffer): Promise<Buffer | null> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.dev !== expected.dev || st.ino !== expected.ino || st.size > maxBytes) return null;
    // O_NOFOLLOW guards the last component only: a parent folder swapped for a
    // symlink after the walk listed it would lead elsewhere. Ask the kernel
    // where the open file really is (Linux /proc; skipped where absent).
    if (insideOf) {
      const real = await readlink(`/proc/self/fd/${fh.fd}`, { encoding: 'buffer' }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
      if (real && !isInsideBytes(real, insideOf)) return null;
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await fh.read(buf, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function placeSignals(rel: string, signals: CodeSignal[]): void {
  const parts = rel.split('/').filter((p) => p !== '');
  const name = parts[parts.length - 1] ?? '';
  const hidden = parts.find((p) => p.startsWith('.'));
  if (hidden !== undefined) signals.push({ signal: 'hidden-name', detail: hidden === name ? `the file name starts with a dot (${name})` : `inside the hidden folder ${hidden}` });
  const uploads = parts.slice(0, -1).find((p) => UPLOADS.test(p));
  if (uploads !== undefined) signals.push({ signal: 'uploads-folder', detail: `PHP code inside a '${uploads}' folder, where sites store uploaded or temporary files` });
  if (DISGUISED.test(name)) signals.push({ signal: 'disguised-name', detail: `the name looks like a non-PHP file (${name})` });
}

export async function describeFile(f: FileFacts, st: Stats, namedByLogs: boolean, scan: PhpScan): Promise<PhpFile | null> {
  const shown = displayName(f.path);
  const rel = displayName(f.path.subarray(f.home.length)).text;
  const signals: CodeSignal[] = [];
  let sends: SendKind[] = [];
  let includes: string[] = [];
  let declaresMailer = false;
  let hash: string | null = null;
  let read = false;
  if (namedByLogs) signals.push({ signal: 'named-by-logs', detail: 'the PHP mail log or the access logs name this file' });
  placeSignals(rel, signals);
  if (st.mtimeMs > f.now + 86_400_000) signals.push({ signal: 'future-mtime', detail: 'modified "in the future": the time stamp was probably forged' });
  else if (st.mtimeMs >= f.now - f.recentMs) signals.push({ signal: 'recently-modified', detail: `modified ${Math.max(0, Math.round((f.now - st.mtimeMs) / 3_600_000))} h ago` });
  if (st.size > f.maxReadBytes) {
    signals.push({ signal: 'too-large', detail: `${st.size} bytes: over the ${f.maxReadBytes}-byte limit, not read` });
  } else {
    try {
      const bytes = await readRegularFile(f.path, st, f.maxReadBytes, f.home);
      if (bytes === null) signals.push({ signal: 'unreadable', detail: 'changed while being read; not read' });
      else {
        read = true;
        scan.stats.read++;
        hash = sha256(bytes);
        const code = analysePhpCode(bytes.toString('latin1'));
        sends = code.sends;
        includes = code.includes.map((i) => displayName(Buffer.from(i, 'latin1')).text);
        declaresMailer = code.declaresMailer;
        signals.push(...code.signals);
      }
    } catch (err) {
      // ELOOP: swapped for a symlink after lstat (O_NOFOLLOW refused it); EACCES etc.: say so.
      signals.push({ signal: 'unreadable', detail: describeError(err) });
    }
  }
  const suspicious = signals.some((s) => s.signal === 'obfuscation' || s.signal === 'input-as-code');
  const libraryPlace = LIBRARY_PATH.test(rel) || LIBRARY_NAME.test(rel);
  const library = (libraryPlace || declaresMailer) && !suspicious && !signals.some((s) => s.signal === 'uploads-folder' || s.signal === 'hidden-name');
  if (library) signals.push({ signal: 'library', detail: declaresMailer ? 'declares a mailer class: the script that calls it is the one to look at' : 'part of a library or the CMS core: the script that calls it is the one to look at' });
  if (!namedByLogs && sends.length === 0 && !signals.some((s) => REPORT.has(s.signal))) return null;
  const urlPaths = f.docroots.filter((d) => isInsideBytes(f.path, d)).map((d) => displayName(f.path.subarray(d.length)).text || '/');
  return {
    path: shown.text,
    ...(shown.escaped ? { pathBase64: f.path.toString('base64') } : {}),
    size: st.size, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs),
    sha256: hash, read, namedByLogs, urlPaths, sends, signals: signals.slice(0, 60), library, includes,
  };
}
