// Reads and parses one unit of the maillog pass (maillog-units.ts), on the
// main thread or in the worker: the lines that start inside the unit's byte
// range, the last one read past the range's end to its newline. For a .gz
// file the range is of its inflated text, which each thread inflates from the
// start as far as it reads, keeping its inflater between units (GzipCursor).
import { readSync } from 'node:fs';
import { showableLine } from './bytes.ts';
import { toReadError, type ReadError } from './log-file-open.ts';
import { directInflateAvailable, directInflater, GzipCursor, gunzipStreamed, type TextCursor } from './gunzip.ts';
import { LineSplitter } from './line-splitter.ts';
import { LINE, type MaillogEvent, type MaillogLineParser } from './maillog-line.ts';
import { maillogWasm, WasmLineReader, type EncodeHooks, type LineHandlers, type WasmEventWriter } from './maillog-wasm.ts';
import type { MaillogUnit, UnitFile } from './maillog-units.ts';

/** Counts of the lines read so far: `lines` all of them, `fileLines` those not overlong (a file report's count). */
export type UnitStats = { lines: number; fileLines: number; overlong: number; unparsed: number; examples: string[] };

export type UnitRun = {
  onEvent: (e: MaillogEvent) => void;
  /** Called before the event of the first line with a classic timestamp (the worker hands over what came before). */
  onFirstClassic?: (line: number, stats: UnitStats) => void;
  /** The counts to add to (updated as lines are read); when resuming another reader's work, its counts so far. */
  stats?: UnitStats;
  /** Resuming another reader's work: lines before this index are neither parsed nor counted. */
  skipLines?: number;
  maxExamples: number;
  maxLineBytes: number;
  chunkBytes: number;
  /** Tests: 'js' reads with the TypeScript parser even where WebAssembly runs (the two must agree). */
  engine?: 'js' | 'wasm';
  /**
   * The worker: where the WebAssembly reader runs, events go straight to this writer's batch and
   * only those that must come back to JavaScript reach onEvent (which writes them to the same
   * writer); `full` is called when the batch is full (after the line that filled it is counted).
   */
  batch?: { writer: WasmEventWriter; full(): void };
};

/** `error`: what stopped the reading of the unit, if something did (the caller words it with the file's line count). */
export type UnitResult = { stats: UnitStats; error: ReadError | null };

export const emptyStats = (): UnitStats => ({ lines: 0, fileLines: 0, overlong: 0, unparsed: 0, examples: [] });
export const copyStats = (s: UnitStats): UnitStats => ({ ...s, examples: [...s.examples] });

export async function readUnit(file: UnitFile, unit: MaillogUnit, parser: MaillogLineParser, event: MaillogEvent, run: UnitRun): Promise<UnitResult> {
  const stats = run.stats ?? emptyStats();
  const skip = run.skipLines ?? 0;
  const { onEvent, onFirstClassic, maxExamples } = run;
  // Lines of the unit so far, those skipped included (onFirstClassic's line number).
  let index = skip;
  let watch = onFirstClassic !== undefined;
  const example = (text: () => string) => {
    stats.unparsed++;
    if (stats.examples.length < maxExamples) stats.examples.push(text());
  };
  const lines = (n: number) => {
    index += n;
    stats.lines += n;
    stats.fileLines += n;
  };
  const handlers: LineHandlers = {
    lines,
    line: (r, buf, s, e) => {
      lines(1);
      if (r === LINE.event) {
        if (watch && parser.clock.started) {
          watch = false;
          onFirstClassic!(index - 1, { ...stats, lines: stats.lines - 1, fileLines: stats.fileLines - 1, examples: [...stats.examples] });
        }
        onEvent(event);
      } else example(() => showableLine(buf, s, e));
    },
    overlong: (head) => {
      index++;
      stats.lines++;
      stats.overlong++;
      // Over 64 KiB no Postfix line is that long: counted as unparsed, never held in memory.
      example(() => `${showableLine(head, 0, head.length, 80)} (line longer than 64 KiB)`);
    },
  };
  // The lines are found and parsed by maillog-line.as where WebAssembly runs (maillog-wasm.ts), else here.
  const wasm = run.engine === 'js' ? null : maillogWasm();
  const useWasm = wasm !== null && !wasm.inUse && WasmLineReader.fits(run.maxLineBytes);
  const batch = run.batch;
  const encode: EncodeHooks | null = batch ? { watching: () => watch, settle: () => batch.writer.settle(), full: batch.full } : null;
  const split: LineSink = useWasm
    ? new WasmLineReader(wasm, run.maxLineBytes, skip, (w) => parser.fromWasm(w, event), handlers, encode)
    : jsLineReader(parser, event, run.maxLineBytes, skip, handlers);
  let error: ReadError | null = null;
  if (useWasm) wasm.inUse = true;
  try {
    if (!file.gzip) readRange(new PlainCursor(file.fd, run.chunkBytes, useWasm ? wasm.input : null), unit, split);
    // Without the direct inflater, a .gz file is one unit (maillog-units.ts) read through node:zlib's stream.
    else if (!directInflateAvailable()) await gunzipStreamed(file.path, file.fd, run.chunkBytes, split);
    else readGzipRange(file, unit, run.chunkBytes, split);
    split.end();
  } catch (err) {
    error = toReadError(err);
  } finally {
    if (useWasm) wasm.inUse = false;
  }
  return { stats, error };
}

/** The TypeScript reader: LineSplitter and MaillogLineParser.parse, handing on what WasmLineReader does. */
function jsLineReader(parser: MaillogLineParser, event: MaillogEvent, maxLine: number, skip: number, on: LineHandlers): LineSplitter {
  let skipLeft = skip;
  return new LineSplitter(
    maxLine,
    (buf, s, e) => {
      if (skipLeft > 0) {
        skipLeft--;
        return;
      }
      const r = parser.parse(buf, s, e, event);
      if (r === LINE.event || r === LINE.unparsed) on.line(r, buf, s, e);
      else on.lines(1);
    },
    (head) => {
      if (skipLeft > 0) {
        skipLeft--;
        return;
      }
      on.overlong(head);
    },
  );
}

/** What readRange feeds: LineSplitter or WasmLineReader. */
type LineSink = Pick<LineSplitter, 'push' | 'skipLine' | 'midLine' | 'end'>;

// This thread's inflaters, by descriptor, kept between the units of a file it reads; and the files
// whose reading failed here, with the error (a later unit of the file is refused with it at once,
// instead of inflating the file again up to the same fault: the main thread drops those units anyway).
const cursors = new Map<number, GzipCursor>();
const failures = new Map<number, unknown>();

/** Closes this thread's inflaters (after the pass; a cursor left by a unit the other thread finished). */
export function closeGzipCursors(): void {
  for (const c of cursors.values()) c.close();
  cursors.clear();
  failures.clear();
}

function dropCursor(fd: number): void {
  cursors.get(fd)?.close();
  cursors.delete(fd);
}

/**
 * The lines of a .gz unit. A cursor left by this thread's read of an earlier unit of the file sits
 * at a line start: just after the newline that ended that unit's last line (or at the end). When
 * this unit starts at or after where that unit ended, and the cursor is already at or past this
 * unit's start, no line starts between the two (that newline was the first one after the earlier
 * unit's end), so this unit's first line starts at the cursor (readRange).
 */
function readGzipRange(file: UnitFile, unit: MaillogUnit, chunk: number, split: LineSink): void {
  if (failures.has(file.fd)) throw failures.get(file.fd);
  let c = cursors.get(file.fd);
  if (c && unit.start < c.rangeEnd) {
    // A unit before this thread's last one of the file (the pass reads forward in each thread): from the start.
    dropCursor(file.fd);
    c = undefined;
  }
  if (!c) {
    c = new GzipCursor(file.path, file.fd, chunk, directInflater()!);
    cursors.set(file.fd, c);
  }
  try {
    readRange(c, unit, split);
    if (unit.end < 0) dropCursor(file.fd);
    else c.rangeEnd = unit.end;
  } catch (err) {
    dropCursor(file.fd);
    failures.set(file.fd, err);
    throw err;
  }
}

/** A plain file's bytes read forward by position (the descriptor is shared), as GzipCursor reads a .gz file's text. */
class PlainCursor implements TextCursor {
  pos = 0;
  at = 0;
  end = 0;
  readonly text: Buffer;

  /** `into`: where to read (WasmLineReader's input area), else a buffer of its own; `chunk` bytes at most per read. */
  constructor(private readonly fd: number, chunk: number, into: Buffer | null) {
    this.text = into ? into.subarray(0, Math.min(chunk, into.length)) : Buffer.allocUnsafe(chunk);
  }

  fill(): boolean {
    if (this.at < this.end) return true;
    this.at = 0;
    this.end = readSync(this.fd, this.text, 0, this.text.length, this.pos);
    return this.end > 0;
  }

  take(n: number): void {
    this.at += n;
    this.pos += n;
  }

  skipTo(pos: number): boolean {
    this.pos = pos;
    this.at = this.end = 0;
    return true;
  }
}

/**
 * The lines that start in [unit.start, unit.end) of the text under the cursor, the last one read
 * past the end to its newline. The line that straddles `start` belongs to the unit before: the
 * cursor skips to `start - 1`, and the splitter to the byte after the next newline (a newline at
 * `start - 1` ends that line, and the unit's first line starts at `start`). A cursor already at or
 * past `start` sits at a line start (readGzipRange).
 */
function readRange(c: TextCursor, unit: MaillogUnit, split: LineSink): void {
  if (unit.start > 0 && c.pos < unit.start) {
    if (!c.skipTo(unit.start - 1)) return;
    split.skipLine();
  }
  const end = unit.end;
  while ((end < 0 || c.pos < end) && c.fill()) {
    const n = end < 0 ? c.end - c.at : Math.min(c.end - c.at, end - c.pos);
    split.push(c.text.subarray(c.at, c.at + n), n);
    c.take(n);
  }
  // Finish the line that straddles `end` (a unit's last line is its own, however long).
  while (split.midLine && c.fill()) {
    const nl = c.text.subarray(c.at, c.end).indexOf(10);
    const n = nl >= 0 ? nl + 1 : c.end - c.at;
    split.push(c.text.subarray(c.at, c.at + n), n);
    c.take(n);
  }
}
