// The mail-log pass of `senders` and `diagnose`: scan + accumulate, or the
// same answer from the cache when nothing it depends on has changed. The key
// is every input of the result: each file's path, device, inode, size, mtime
// and ctime (a rotation, an append, a `touch`, a chmod all change it), the
// year reference of each file, the options (since, until/now cut, zone,
// minute window) and this program's own code. A changed file means a full
// pass (incremental cursors are a later step). A pass that could not read
// everything is not cached: the next run tries again.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createMailFlow, type MailFlow, type MailFlowOptions } from '../analysis/mail-flow.ts';
import { flowRecords, loadFlow, type FlowHead } from '../analysis/mail-flow-codec.ts';
import { describeError, isErrno } from '../errors.ts';
import type { ExpandedPaths } from '../sources/log-paths.ts';
import type { LogFileReport } from '../sources/log-files.ts';
import { expandMaillog, scanMaillogFiles } from '../sources/maillog-scan.ts';
import { cacheKey, openCacheDir, readCacheBytes, writeCacheEntry } from '../sources/state-cache.ts';

/** Bump when the parser or the accumulator changes what they compute, or the entry's layout (the bundle's hash changes anyway). */
const FORMAT = 3;

export type FlowPassOptions = MailFlowOptions & {
  patterns: string[];
  zone: string;
  referenceMs: number;        // until, or now: the year reference of classic timestamps
  stateDir: string;
  threads?: 1 | 2;
};

export type FlowPass = {
  flow: MailFlow;
  files: LogFileReport[];
  warnings: string[];
  readable: number;
  /**
   * hit: answered from the cache; stored: scanned and cached; cacheable: scanned, complete and unchanged meanwhile,
   * not stored (the caller asked so: it caches what it makes of the flow); miss: scanned, not cacheable; off: no cache folder.
   */
  cache: 'hit' | 'stored' | 'cacheable' | 'miss' | 'off';
  notes: string[];
};

/** What a pass depends on, known before reading any line. `key` is null when the result cannot be cached. */
export type PreparedPass = { options: FlowPassOptions; expanded: ExpandedPaths; cacheDir: string | null; key: string | null; notes: string[] };

// A cache entry: the flow's records (mail-flow-codec.ts), each followed by a newline, then this head
// as one JSON line; `lengths` are the records' byte lengths, so a record is found without a scan.
// The head comes last: its lengths are known once the records, made one at a time, are written.
type StoredHead = { flow: FlowHead; files: LogFileReport[]; readable: number; lengths: number[] };

/** The entry's text as parts (writeCacheEntry encodes each as it comes: no record outlives its writing). */
function* encodeEntry(flow: MailFlow, files: LogFileReport[], readable: number): Generator<string> {
  const { records, head } = flowRecords(flow);
  const lengths: number[] = [];
  for (const r of records) {
    lengths.push(Buffer.byteLength(r));
    yield r;
    yield '\n';
  }
  yield JSON.stringify({ flow: head(), files, readable, lengths } satisfies StoredHead);
  yield '\n';
}

/** The stored pass; null when the records do not add up to the head (damaged: a miss). Records are parsed when first read. */
function decodeEntry(bytes: Buffer): { flow: MailFlow; files: LogFileReport[]; readable: number } | null {
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 10) return null;
  const headAt = bytes.lastIndexOf(10, bytes.length - 2) + 1;
  let d: StoredHead | null;
  try {
    d = JSON.parse(bytes.toString('utf8', headAt, bytes.length - 1)) as StoredHead | null;
  } catch {
    return null;
  }
  if (d === null || typeof d !== 'object' || !Array.isArray(d.lengths)) return null;
  const starts: number[] = new Array<number>(d.lengths.length);
  let at = 0;
  for (let i = 0; i < d.lengths.length; i++) {
    starts[i] = at;
    at += d.lengths[i]! + 1;
  }
  if (at !== headAt) return null;
  const record = (i: number) => bytes.toString('utf8', starts[i], starts[i]! + d.lengths[i]!);
  return { flow: loadFlow(d.flow, record), files: d.files, readable: d.readable };
}

let codeHash: Promise<string> | null = null;
/** This program's code: dist/sendtrace.mjs as a whole (or this module under the TypeScript loader). */
export function hashOfCode(): Promise<string> {
  codeHash ??= readFile(fileURLToPath(import.meta.url)).then((b) => createHash('sha256').update(b).digest('hex'));
  return codeHash;
}

/** Device, inode, size, mtime, ctime of each file (null when one is gone). */
export async function fileIdentities(files: string[]): Promise<string[][] | null> {
  try {
    return await Promise.all(files.map(async (path) => {
      const st = await stat(path, { bigint: true });
      return [path, String(st.dev), String(st.ino), String(st.size), String(st.mtimeNs), String(st.ctimeNs)];
    }));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;        // rotated away meanwhile: the scan will say so
    throw err;
  }
}

export async function prepareFlowPass(o: FlowPassOptions): Promise<PreparedPass> {
  const expanded = await expandMaillog(o.patterns);
  const cache = await openCacheDir(o.stateDir);
  if (cache.dir === null) return { options: o, expanded, cacheDir: null, key: null, notes: [`mail log cache off: ${cache.reason}`] };
  const ids = await fileIdentities(expanded.files);
  // A file's year reference is min(its mtime, until or now): with the mtime in the key, `now` moving on changes nothing.
  const refs = ids && ids.map((id) => Math.min(Number(BigInt(id[4]!) / 1_000_000n), o.referenceMs));
  const options = { since: o.since, until: o.until, minuteWindow: o.minuteWindow, maxOpen: o.maxOpen, maxSenders: o.maxSenders };
  const key = ids && cacheKey({ FORMAT, code: await hashOfCode(), zone: o.zone, options, files: ids, refs });
  return { options: o, expanded, cacheDir: cache.dir, key, notes: [] };
}

/**
 * Writes a cache entry of the mail-log pass; a failure to write (a full disk, permissions) is said in
 * `notes`, not thrown: the result stands without its entry. Whether it was written.
 */
export async function storeEntry(cacheDir: string, key: string, text: Iterable<string>, notes: string[]): Promise<boolean> {
  try {
    await writeCacheEntry(cacheDir, key, text);
    return true;
  } catch (err) {
    if (!(err instanceof Error && 'code' in err)) throw err;
    notes.push(`mail log cache: cannot write in ${cacheDir}: ${describeError(err)}`);
    return false;
  }
}

/**
 * `flowEntry: false`: the flow is neither read from nor written to the cache (`senders` caches its
 * document instead, whose key includes the flow's); `cache` then says 'cacheable' where it would store.
 */
export async function runFlowPass(p: PreparedPass, { flowEntry = true }: { flowEntry?: boolean } = {}): Promise<FlowPass> {
  const { options: o, expanded, cacheDir, key } = p;
  const notes = [...p.notes];
  if (cacheDir && key && flowEntry) {
    const entry = await readCacheBytes(cacheDir, key);
    const d = entry.bytes && decodeEntry(entry.bytes);
    if (d) {
      notes.push(`mail log: ${expanded.files.length} unchanged file(s), answered from the cache`);
      return { flow: d.flow, files: d.files, warnings: expanded.warnings, readable: d.readable, cache: 'hit', notes };
    }
    if (entry.bytes || entry.damaged) notes.push('mail log cache: a damaged entry was replaced');
  }
  const acc = createMailFlow(o);
  const scan = await scanMaillogFiles(expanded, { zone: o.zone, referenceMs: o.referenceMs, onEvent: acc.add, ...(o.threads ? { threads: o.threads } : {}) });
  const flow = acc.finish({ lines: scan.lines, unparsed: scan.unparsed, unparsedExamples: scan.unparsedExamples });
  // Not an input problem (the result is complete): a bug worth reporting.
  if (scan.worker?.failure) notes.push(`mail log: the second thread stopped (${scan.worker.failure.split('\n')[0]}); the main thread read its part`);
  let cache: FlowPass['cache'] = cacheDir ? 'miss' : 'off';
  const clean = scan.warnings.length === expanded.warnings.length && scan.files.every((f) => f.complete);
  if (cacheDir && key && clean && (await prepareFlowPass(o)).key === key) {
    if (!flowEntry) cache = 'cacheable';
    else if (await storeEntry(cacheDir, key, encodeEntry(flow, scan.files, scan.readable), notes)) cache = 'stored';
  }
  return { flow, files: scan.files, warnings: scan.warnings, readable: scan.readable, cache, notes };
}

export async function passMailFlow(o: FlowPassOptions): Promise<FlowPass> {
  return runFlowPass(await prepareFlowPass(o));
}
