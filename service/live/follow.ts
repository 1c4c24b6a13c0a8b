// Follows log files as they grow (the live side of DESIGN.md §3): each file is
// known by its device and inode, with a byte offset that always sits just
// after a newline, so a partial last line waits for its newline and a restart
// from persisted cursors (cursor-store.ts) neither repeats nor skips a line.
//
// Rotation, as logrotate does it:
// - rename + new file: the renamed file keeps its inode, so it is finished
//   from its cursor (the patterns match rotated names: `/var/log/maillog*`),
//   and the new inode is read from byte 0;
// - copytruncate: the live inode shrinks (or its first bytes change) → read
//   again from 0; the copy is a new inode whose first bytes equal the old
//   file's, so it starts at the offset we had reached, not at 0 (no double
//   count) — the lines between our last read and the copy are read there;
// - `.gz` files are never read: they hold lines already read (or, at the first
//   start, history that `diagnose` reads).
// Files are opened per poll and closed again (10,000 vhosts' access logs must
// not hold 40,000 descriptors).
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { describeError, isErrno } from '../errors.ts';
import { expandPaths } from '../sources/log-paths.ts';

/** The first bytes of a file, hashed: how a copy of a file we read is recognised. */
export const HEAD_BYTES = 1024;
/** A head shorter than this (one short line) says too little to match a copy on. */
const MIN_HEAD_MATCH = 64;
const RETIRED_MAX = 32;

export type Cursor = {
  dev: number;
  ino: number;
  path: string;            // last name it was seen under
  offset: number;          // bytes consumed: always after a newline (or the end of a skipped overlong line)
  size: number;            // size at the last poll
  headLen: number;         // bytes hashed into headHash (grows up to HEAD_BYTES)
  headHash: string;
  skipping: boolean;       // inside an overlong line: skip to its newline
};

export type FollowState = { cursors: Cursor[]; retired: Cursor[] };

/** `buf` is reused after the call: copy what you keep. */
export type LineSink = (buf: Buffer, start: number, end: number, file: { path: string; mtimeMs: number }) => void;

export type PollReport = {
  files: number;             // plain files followed
  gzSkipped: number;         // .gz files seen and not read
  bytes: number;             // bytes consumed this poll
  lines: number;             // complete lines handed out
  overlong: number;          // lines longer than maxLineBytes, skipped
  backlogBytes: number;      // bytes written but not yet consumed (over the per-poll cap)
  events: string[];          // what happened to files: 'rotated', 'truncated', 'copy' … (for the log and the tests)
  warnings: string[];
};

export type FollowOptions = {
  patterns: string[];
  /** Files found at the very first poll (no saved state) start at their end: the past is diagnose's. */
  startAtEnd: boolean;
  maxLineBytes?: number;
  chunkBytes?: number;
  /** At most this many bytes per file per poll, so one huge append does not stall the process. */
  maxBytesPerPoll?: number;
};

const keyOf = (dev: number, ino: number) => `${dev}:${ino}`;

async function readAt(fh: FileHandle, buf: Buffer, len: number, pos: number): Promise<number> {
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

async function headOf(fh: FileHandle, size: number): Promise<{ len: number; hash: string; bytes: Buffer }> {
  const bytes = Buffer.allocUnsafe(Math.min(size, HEAD_BYTES));
  const len = await readAt(fh, bytes, bytes.length, 0);
  return { len, hash: createHash('sha256').update(bytes.subarray(0, len)).digest('hex'), bytes: bytes.subarray(0, len) };
}

const hashOf = (b: Buffer, len: number) => createHash('sha256').update(b.subarray(0, len)).digest('hex');

export class LogFollower {
  private readonly cursors = new Map<string, Cursor>();
  private retired: Cursor[] = [];
  private first: boolean;
  private readonly maxLine: number;
  private readonly chunk: Buffer;
  private readonly maxPerPoll: number;

  constructor(private readonly o: FollowOptions, saved: FollowState | null) {
    this.maxLine = o.maxLineBytes ?? 64 * 1024;
    this.chunk = Buffer.allocUnsafe(Math.max(o.chunkBytes ?? 1 << 20, this.maxLine + 1));
    this.maxPerPoll = o.maxBytesPerPoll ?? 64 << 20;
    this.first = saved === null;
    for (const c of saved?.cursors ?? []) this.cursors.set(keyOf(c.dev, c.ino), { ...c });
    this.retired = (saved?.retired ?? []).map((c) => ({ ...c }));
  }

  state(): FollowState {
    return { cursors: [...this.cursors.values()].map((c) => ({ ...c })), retired: this.retired.map((c) => ({ ...c })) };
  }

  async poll(sink: LineSink): Promise<PollReport> {
    const report: PollReport = { files: 0, gzSkipped: 0, bytes: 0, lines: 0, overlong: 0, backlogBytes: 0, events: [], warnings: [] };
    const expanded = await expandPaths(this.o.patterns);
    report.warnings.push(...expanded.warnings);
    const seen = new Set<string>();
    const fresh: Array<{ path: string; dev: number; ino: number }> = [];
    // Known files first (a renamed file's tail is older than the new file's lines), in rotation order.
    for (const path of expanded.files) {
      if (path.endsWith('.gz')) {
        report.gzSkipped++;
        continue;
      }
      let st;
      try {
        st = await stat(path);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue;   // rotated away between listing and stat
        report.warnings.push(`cannot read ${path}: ${describeError(err)}`);
        continue;
      }
      const key = keyOf(st.dev, st.ino);
      if (seen.has(key)) continue;
      seen.add(key);
      report.files++;
      const c = this.cursors.get(key);
      if (!c) fresh.push({ path, dev: st.dev, ino: st.ino });
      else {
        if (c.path !== path) report.events.push(`rotated: ${c.path} → ${path}`);
        c.path = path;
        await this.readFile(c, sink, report);
      }
    }
    for (const f of fresh) {
      const c: Cursor = { dev: f.dev, ino: f.ino, path: f.path, offset: 0, size: 0, headLen: 0, headHash: '', skipping: false };
      await this.place(c, report);
      this.cursors.set(keyOf(f.dev, f.ino), c);
      await this.readFile(c, sink, report);
    }
    for (const [key, c] of this.cursors) {
      if (seen.has(key)) continue;
      this.cursors.delete(key);
      this.retire(c);
      report.events.push(`gone: ${c.path}`);
    }
    this.first = false;
    return report;
  }

  private retire(c: Cursor): void {
    if (c.headLen < MIN_HEAD_MATCH) return;
    this.retired.push({ ...c });
    if (this.retired.length > RETIRED_MAX) this.retired.splice(0, this.retired.length - RETIRED_MAX);
  }

  /**
   * Opens a followed log for one poll: null when it is gone (no word) or cannot
   * be read, or is no longer a regular file (expandPaths lists only regular
   * files; this is the name swapped for a FIFO or a directory since: a warning
   * naming it). O_NONBLOCK: opening a FIFO must not hang the watcher.
   */
  private async openLog(c: Cursor, report: PollReport): Promise<{ fh: FileHandle; st: Stats } | null> {
    let fh: FileHandle;
    try {
      fh = await open(c.path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) report.warnings.push(`cannot read ${c.path}: ${describeError(err)}`);
      return null;
    }
    try {
      const st = await fh.stat();
      if (st.isFile()) return { fh, st };
      report.warnings.push(`${c.path}: not a regular file, not followed`);
    } catch (err) {
      report.warnings.push(`cannot read ${c.path}: ${describeError(err)}`);
    }
    await fh.close();
    return null;
  }

  /** Where a file we have no cursor for starts. */
  private async place(c: Cursor, report: PollReport): Promise<void> {
    const opened = await this.openLog(c, report);
    if (!opened) return;
    const { fh, st: { size } } = opened;
    try {
      const head = await headOf(fh, size);
      c.headLen = head.len;
      c.headHash = head.hash;
      if (this.first && this.o.startAtEnd) {
        c.offset = await this.lastLineEnd(fh, size);
        c.size = size;
        report.events.push(`start at end: ${c.path}`);
        return;
      }
      // A copy (copytruncate, or a rename across filesystems) of a file we read: its first bytes are that file's.
      let best: Cursor | null = null;
      for (const k of [...this.cursors.values(), ...this.retired]) {
        if (k.headLen < MIN_HEAD_MATCH || head.len < k.headLen) continue;
        if (hashOf(head.bytes, k.headLen) !== k.headHash) continue;
        if (!best || k.offset > best.offset) best = k;
      }
      if (best) {
        c.offset = Math.min(best.offset, await this.lastLineEnd(fh, size));
        report.events.push(`copy: ${c.path} of ${best.path}, from byte ${c.offset}`);
        // The copy is used up: a second copy of the same head is another rotation's.
        this.retired = this.retired.filter((r) => r !== best);
      }
    } finally {
      await fh.close();
    }
  }

  /** The offset just after the last newline of the file (0 when it has none). */
  private async lastLineEnd(fh: FileHandle, size: number): Promise<number> {
    let end = size;
    while (end > 0) {
      const from = Math.max(0, end - this.chunk.length);
      const got = await readAt(fh, this.chunk, end - from, from);
      const nl = this.chunk.lastIndexOf(10, got - 1);
      if (nl !== -1) return from + nl + 1;
      end = from;
    }
    return 0;
  }

  private async readFile(c: Cursor, sink: LineSink, report: PollReport): Promise<void> {
    const opened = await this.openLog(c, report);
    if (!opened) return;
    const { fh, st } = opened;
    try {
      // The name may point to another inode by now (rotated between stat and open): the next poll sorts it out.
      if (st.ino !== c.ino || st.dev !== c.dev) return;
      const size = st.size;
      if (size !== c.size || c.headLen < HEAD_BYTES) {
        // Files only grow: smaller than what we read, or than the head we hashed, means truncated.
        let truncated = size < c.offset || size < c.headLen;
        if (!truncated && c.headLen > 0) {
          const head = Buffer.allocUnsafe(c.headLen);
          const got = await readAt(fh, head, c.headLen, 0);
          truncated = got < c.headLen || hashOf(head, got) !== c.headHash;
        }
        if (truncated) {
          report.events.push(`truncated: ${c.path}`);
          this.retire(c);
          c.offset = 0;
          c.skipping = false;
          c.headLen = 0;
          c.headHash = '';
        }
        if (c.headLen < HEAD_BYTES && size > c.headLen) {
          const head = await headOf(fh, size);
          c.headLen = head.len;
          c.headHash = head.hash;
        }
      }
      c.size = size;
      const stop = Math.min(size, c.offset + this.maxPerPoll);
      const file = { path: c.path, mtimeMs: st.mtimeMs };
      let pos = c.offset;
      while (pos < stop) {
        const want = Math.min(this.chunk.length, stop - pos);
        const got = await readAt(fh, this.chunk, want, pos);
        if (got === 0) break;
        const buf = this.chunk;
        let i = 0;
        if (c.skipping) {
          const nl = buf.indexOf(10, 0);
          if (nl === -1 || nl >= got) {
            pos += got;
            continue;
          }
          c.skipping = false;
          i = nl + 1;
        }
        let nl = buf.indexOf(10, i);
        while (nl !== -1 && nl < got) {
          if (nl - i > this.maxLine) report.overlong++;
          else {
            sink(buf, i, nl > i && buf[nl - 1] === 13 ? nl - 1 : nl, file);
            report.lines++;
          }
          i = nl + 1;
          nl = buf.indexOf(10, i);
        }
        // What is left is a partial line: re-read from its start next time, unless it cannot be a line at all.
        if (got - i > this.maxLine) {
          report.overlong++;
          c.skipping = true;
          i = got;
        }
        pos += i;
        // A partial line at the end of what may be read this poll: it waits (for its newline, or the next poll).
        if (i < got && pos + (got - i) >= stop) break;
      }
      report.bytes += pos - c.offset;
      c.offset = pos;
      report.backlogBytes += size - stop;
    } finally {
      await fh.close();
    }
  }
}
