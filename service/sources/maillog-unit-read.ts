// Reads and parses one unit of the maillog pass (maillog-units.ts), on the
// main thread or in the worker: the lines that start inside the unit's byte
// range, the last one read past the range's end to its newline.
import { readSync } from 'node:fs';
import { showableLine } from './bytes.ts';
import { readFailureWarning } from './log-file-open.ts';
import { readGzip } from './gunzip.ts';
import { LineSplitter } from './line-splitter.ts';
import { LINE, type MaillogEvent, type MaillogLineParser } from './maillog-line.ts';
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
};

export type UnitResult = { stats: UnitStats; warning: string | null };

export const emptyStats = (): UnitStats => ({ lines: 0, fileLines: 0, overlong: 0, unparsed: 0, examples: [] });
export const copyStats = (s: UnitStats): UnitStats => ({ ...s, examples: [...s.examples] });

export async function readUnit(file: UnitFile, unit: MaillogUnit, parser: MaillogLineParser, event: MaillogEvent, run: UnitRun): Promise<UnitResult> {
  const stats = run.stats ?? emptyStats();
  const skip = run.skipLines ?? 0;
  const { onEvent, onFirstClassic, maxExamples } = run;
  let index = 0;
  let watch = onFirstClassic !== undefined;
  const example = (text: () => string) => {
    stats.unparsed++;
    if (stats.examples.length < maxExamples) stats.examples.push(text());
  };
  const split = new LineSplitter(
    run.maxLineBytes,
    (buf, s, e) => {
      if (index++ < skip) return;
      stats.lines++;
      stats.fileLines++;
      const r = parser.parse(buf, s, e, event);
      if (r === LINE.event) {
        if (watch && parser.clock.started) {
          watch = false;
          onFirstClassic!(index - 1, { ...stats, lines: stats.lines - 1, fileLines: stats.fileLines - 1, examples: [...stats.examples] });
        }
        onEvent(event);
      } else if (r === LINE.unparsed) example(() => showableLine(buf, s, e));
    },
    (head) => {
      if (index++ < skip) return;
      stats.lines++;
      stats.overlong++;
      // Over 64 KiB no Postfix line is that long: counted as unparsed, never held in memory.
      example(() => `${showableLine(head, 0, head.length, 80)} (line longer than 64 KiB)`);
    },
  );
  let warning: string | null = null;
  try {
    if (file.gzip) await readGzip(file.path, file.fd, run.chunkBytes, split);
    else readPlainRange(file.fd, unit, run.chunkBytes, split);
    split.end();
  } catch (err) {
    warning = readFailureWarning(file.path, file.gzip, stats.fileLines, err);
  }
  return { stats, warning };
}

function readPlainRange(fd: number, unit: MaillogUnit, chunk: number, split: LineSplitter): void {
  const buf = Buffer.allocUnsafe(chunk);
  let pos = unit.start;
  if (pos > 0) {
    // The line that straddles `start` belongs to the unit before: skip to the byte after its newline.
    split.skipLine();
    pos--;
  }
  const end = unit.end;
  for (;;) {
    const want = end < 0 ? chunk : Math.min(chunk, end - pos);
    if (want <= 0) break;
    const n = readSync(fd, buf, 0, want, pos);
    if (n === 0) return;
    split.push(buf, n);
    pos += n;
  }
  // Finish the line that straddles `end` (a unit's last line is its own, however long).
  while (split.midLine) {
    const n = readSync(fd, buf, 0, chunk, pos);
    if (n === 0) return;
    const nl = buf.indexOf(10);
    const take = nl >= 0 && nl < n ? nl + 1 : n;
    split.push(buf, take);
    pos += take;
  }
}
