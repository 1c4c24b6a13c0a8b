// Inflating a `.gz` log on the thread that reads it, into one buffer that is
// reused for the whole file (docs/decisions/017-inflating-on-the-reading-thread.md).
//
// node:zlib's stream hands out a fresh buffer for every 256 KiB of output and
// inflates in libuv's thread pool, one round trip per buffer. Over a 256 MB
// file that is most of the cost (0.69 s through the stream, 0.25 s here), and
// a thread that allocates little JavaScript (the worker of the maillog pass)
// collects those dead buffers only every 64 MB of them: 40-60 MB of peak RSS.
//
// This drives the stream's own zlib handle the way node:zlib's synchronous
// functions do (lib/zlib.js processChunkSync, [V] Node 20):
// handle.writeSync(flush, in, inOff, inLen, out, outOff, outLen), after which
// the stream's write state holds [output space left, input left]. That is not
// a public API: `directInflater` checks that it is there, and readGzip falls
// back to the stream when it is not. Errors are the stream's own (same codes,
// same messages): zlib reports them by destroying the stream, whose `errored`
// is public. Several gzip members in one file, and a member cut at a chunk
// border, are handled by the same C++ code as for the stream.
import { read, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { constants, createGunzip, type Gunzip } from 'node:zlib';
import { FileSkipped, looksBinary } from './log-file-open.ts';

/** Where inflated bytes go (a LineSplitter). `chunk` may be reused once push returns. */
export type ChunkSink = { push(chunk: Buffer, len: number): void };

const OUT_BYTES = 256 * 1024;
const readAt = promisify(read);

type ZlibHandle = { writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void };
type DirectInflater = { stream: Gunzip; handle: ZlibHandle; state: Uint32Array };

/** A gunzip stream with the handle and write state its synchronous functions use; null when this Node has neither. */
export function directInflater(): DirectInflater | null {
  const stream = createGunzip();
  const inner = stream as unknown as { _handle?: Partial<ZlibHandle> | null; _writeState?: unknown };
  const handle = inner._handle;
  const state = inner._writeState;
  if (!handle || typeof handle.writeSync !== 'function' || !(state instanceof Uint32Array) || state.length !== 2) {
    stream.destroy();
    return null;
  }
  // zlib reports an error by destroying the stream (sets `errored`, then emits 'error' on the next tick).
  stream.on('error', () => {});
  return { stream, handle: handle as ZlibHandle, state };
}

let direct: boolean | null = null;

/** Tests: this thread reads .gz as on a Node without the direct inflater (through the stream, each file one unit). */
export function inflateThroughStream(on: boolean): void {
  direct = on ? false : null;
}

/** Whether this Node has what gunzipDirect needs (checked once per thread). */
export function directInflateAvailable(): boolean {
  if (direct === null) {
    const z = directInflater();
    z?.stream.destroy();
    direct = z !== null;
  }
  return direct;
}

function checkFirst(path: string, out: Buffer, len: number): void {
  if (looksBinary(out, len)) throw new FileSkipped(`${path}: decompressed data looks binary, skipped`);
}

/** A file's text read forward: `text[at, end)` are the next bytes, at offset `pos` of the text. */
export type TextCursor = {
  readonly pos: number;
  readonly at: number;
  readonly end: number;
  readonly text: Buffer;
  /** Makes text[at, end) non-empty; false at the end of the text. */
  fill(): boolean;
  /** Moves past `n` bytes of text[at, end). */
  take(n: number): void;
  /** Moves forward to offset `pos` (not behind the cursor); false when the text ends before it. */
  skipTo(pos: number): boolean;
};

/**
 * A gzip file's text, inflated forward from its start as far as it is read, the inflater kept between
 * reads: a thread that reads several ranges of one file (maillog-unit-read.ts) inflates it once.
 * `rangeEnd`: where the last range read through it ended (maillog-unit-read.ts; 0 for none yet).
 */
export class GzipCursor implements TextCursor {
  pos = 0;
  rangeEnd = 0;
  at = 0;
  end = 0;
  readonly text = Buffer.allocUnsafe(OUT_BYTES);
  private readonly input: Buffer;
  private inOff = 0;
  private inLeft = 0;
  private filePos = 0;
  private flush: number = constants.Z_NO_FLUSH;
  private finishing = false;
  private more = false;           // the last call filled the output: zlib has more for the same input
  private first = true;

  constructor(readonly path: string, private readonly fd: number, chunk: number, private readonly z: DirectInflater) {
    this.input = Buffer.allocUnsafe(chunk);
  }

  /** Makes text[at, end) non-empty; false at the end of the text. Throws the file's read or inflate error. */
  fill(): boolean {
    while (this.at >= this.end) {
      if (!this.more) {
        if (this.finishing) return false;
        const n = readSync(this.fd, this.input, 0, this.input.length, this.filePos);
        this.filePos += n;
        this.inOff = 0;
        this.inLeft = n;
        if (n === 0) {
          // The end of the file: Z_FINISH with no input says so (a cut member is "unexpected end of file", Z_BUF_ERROR).
          this.finishing = true;
          this.flush = constants.Z_FINISH;
        }
      }
      this.z.handle.writeSync(this.flush, this.input, this.inOff, this.inLeft, this.text, 0, OUT_BYTES);
      if (this.z.stream.errored) throw this.z.stream.errored;
      const outLeft = this.z.state[0]!;
      this.inOff += this.inLeft - this.z.state[1]!;
      this.inLeft = this.z.state[1]!;
      // Output space left over: this input is used up (or the stream has ended; what follows is read and judged next).
      this.more = outLeft === 0;
      this.at = 0;
      this.end = OUT_BYTES - outLeft;
      if (this.end > 0 && this.first) {
        this.first = false;
        checkFirst(this.path, this.text, this.end);
      }
    }
    return true;
  }

  /** Moves past `n` bytes of text[at, end). */
  take(n: number): void {
    this.at += n;
    this.pos += n;
  }

  /** Inflates up to offset `pos`, dropping the text before it. */
  skipTo(pos: number): boolean {
    while (this.pos < pos) {
      if (!this.fill()) return false;
      this.take(Math.min(this.end - this.at, pos - this.pos));
    }
    return true;
  }

  close(): void {
    this.z.stream.destroy();
  }
}

/** Inflates the gzip file open as `fd` (read by position: the descriptor may be shared) through `sink`, on this thread. */
export function gunzipDirect(path: string, fd: number, chunk: number, sink: ChunkSink, z: DirectInflater): void {
  const c = new GzipCursor(path, fd, chunk, z);
  try {
    while (c.fill()) {
      const n = c.end - c.at;
      sink.push(c.at === 0 ? c.text : c.text.subarray(c.at), n);
      c.take(n);
    }
  } finally {
    c.close();
  }
}

async function* chunksOf(fd: number, chunk: number): AsyncGenerator<Buffer> {
  for (let position = 0; ;) {
    const { bytesRead, buffer } = await readAt(fd, Buffer.allocUnsafe(chunk), 0, chunk, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** The same through node:zlib's stream (the fallback; the tests hold the two to the same lines and errors). */
export async function gunzipStreamed(path: string, fd: number, chunk: number, sink: ChunkSink): Promise<void> {
  const input = Readable.from(chunksOf(fd, chunk), { objectMode: false });
  const gunzip = createGunzip({ chunkSize: OUT_BYTES });
  input.on('error', (err) => gunzip.destroy(err));
  let first = true;
  try {
    for await (const out of input.pipe(gunzip) as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        checkFirst(path, out, out.length);
      }
      sink.push(out, out.length);
    }
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

/**
 * Streams a gzip file (any number of members) through the sink. Reads by
 * position from a descriptor it does not own (a ReadStream would close it on
 * destroy; the descriptor may be shared with another thread).
 */
export async function readGzip(path: string, fd: number, chunk: number, sink: ChunkSink): Promise<void> {
  const z = directInflateAvailable() ? directInflater() : null;
  if (z) gunzipDirect(path, fd, chunk, sink, z);
  else await gunzipStreamed(path, fd, chunk, sink);
}
