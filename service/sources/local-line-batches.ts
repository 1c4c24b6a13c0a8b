// Lines of one file as batches of Buffer slices (one batch per chunk, so a
// caller pays one await per chunk, not per line), `.gz` read transparently.
// Pull-based, unlike log-files.ts readLines(): the access-log reader needs
// several files of a vhost open at once to merge them by time.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

export type LineBatchOptions = {
  /** A line longer than this is cut (the rest until the newline is dropped); guards memory against a file without newlines. */
  maxLineBytes?: number;
};

export type LineBatchStats = { lines: number; cutLines: number };

export async function* readLineBatches(path: string, options: LineBatchOptions = {}, stats: LineBatchStats = { lines: 0, cutLines: 0 }): AsyncGenerator<Buffer[]> {
  const maxLine = options.maxLineBytes ?? 64 * 1024;
  const file = createReadStream(path, { highWaterMark: 1024 * 1024 });
  const source = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  // A gunzip error must not leave the file stream open, and vice versa.
  file.on('error', (err) => source.destroy(err));
  let carry: Buffer | null = null;
  let skipping = false;                       // inside the tail of a cut line
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const batch: Buffer[] = [];
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
        if (skipping) {
          skipping = false;
        } else {
          let line = chunk.subarray(start, nl);
          if (carry) {
            line = Buffer.concat([carry, line]);
            carry = null;
          }
          if (line.length > maxLine) {
            line = line.subarray(0, maxLine);
            stats.cutLines++;
          }
          batch.push(stripCr(line));
        }
        start = nl + 1;
      }
      if (start < chunk.length && !skipping) {
        const rest = chunk.subarray(start);
        carry = carry ? Buffer.concat([carry, rest]) : Buffer.from(rest);
        if (carry.length > maxLine) {
          batch.push(carry.subarray(0, maxLine));
          stats.cutLines++;
          carry = null;
          skipping = true;
        }
      }
      stats.lines += batch.length;
      if (batch.length) yield batch;
    }
    if (carry && carry.length) {
      stats.lines++;
      yield [stripCr(carry)];
    }
  } finally {
    file.destroy();
    source.destroy();
  }
}

function stripCr(line: Buffer): Buffer {
  return line.length && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
}
