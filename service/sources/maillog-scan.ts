// One pass over the Postfix mail logs: expand the configured paths (rotated
// files oldest first, `.gz` included), parse every line, hand each event to
// `onEvent`. Lines that look like Postfix but do not parse are counted with a
// few examples; unreadable files are warnings that name them.
import { showableLine } from './bytes.ts';
import { expandPaths, readLines, type LogFileReport } from './log-files.ts';
import { MaillogLineParser, createMaillogEvent, LINE, type MaillogEvent } from './maillog-line.ts';

export type MaillogScanOptions = {
  zone: string;                       // config.timezone, for classic timestamps
  referenceMs: number;                // `until`, or now: no line is later (year inference)
  onEvent: (event: MaillogEvent) => void;   // the event object is reused: copy what you keep
  maxExamples?: number;               // unparsed examples kept (default 5)
};

export type MaillogScan = {
  lines: number;
  unparsed: number;
  unparsedExamples: string[];
  files: LogFileReport[];
  warnings: string[];                 // inputs that could not be read (or only in part)
  readable: number;                   // files read at least in part
};

export async function scanMaillog(patterns: string[], options: MaillogScanOptions): Promise<MaillogScan> {
  const expanded = await expandPaths(patterns);
  const warnings = [...expanded.warnings];
  if (expanded.files.length === 0 && warnings.length === 0) {
    warnings.push(`no mail log found (looked for ${patterns.join(', ') || 'nothing: no path configured'})`);
  }
  const parser = new MaillogLineParser(options.zone);
  const event = createMaillogEvent();
  const maxExamples = options.maxExamples ?? 5;
  const examples: string[] = [];
  const onEvent = options.onEvent;
  let lines = 0;
  let unparsed = 0;
  const result = await readLines(
    expanded.files,
    (buf, start, end) => {
      lines++;
      const r = parser.parse(buf, start, end, event);
      if (r === LINE.event) onEvent(event);
      else if (r === LINE.unparsed) {
        unparsed++;
        if (examples.length < maxExamples) examples.push(showableLine(buf, start, end));
      }
    },
    {
      onFile: (_i, info) => parser.startFile(Math.min(info.mtimeMs, options.referenceMs)),
      // Over 64 KiB no Postfix line is that long: counted as unparsed, never held in memory.
      onOverlong: (_i, head) => {
        lines++;
        unparsed++;
        if (examples.length < maxExamples) examples.push(`${showableLine(head, 0, head.length, 80)} (line longer than 64 KiB)`);
      },
    },
  );
  return { lines, unparsed, unparsedExamples: examples, files: result.files, warnings: [...warnings, ...result.warnings], readable: result.readable };
}
