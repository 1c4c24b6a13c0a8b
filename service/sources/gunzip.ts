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

function checkFirst(path: string, out: Buffer, len: number): void {
  if (looksBinary(out, len)) throw new FileSkipped(`${path}: decompressed data looks binary, skipped`);
}

/** Inflates the gzip file open as `fd` (read by position: the descriptor may be shared) through `sink`, on this thread. */
export function gunzipDirect(path: string, fd: number, chunk: number, sink: ChunkSink, z: DirectInflater): void {
  const input = Buffer.allocUnsafe(chunk);
  const out = Buffer.allocUnsafe(OUT_BYTES);
  let first = true;
  let position = 0;
  try {
    for (;;) {
      const n = readSync(fd, input, 0, chunk, position);
      position += n;
      // The end of the file: Z_FINISH with no input says so (a cut member is "unexpected end of file", Z_BUF_ERROR).
      const flush = n === 0 ? constants.Z_FINISH : constants.Z_NO_FLUSH;
      let inOff = 0;
      let inLeft = n;
      for (;;) {
        z.handle.writeSync(flush, input, inOff, inLeft, out, 0, OUT_BYTES);
        if (z.stream.errored) throw z.stream.errored;
        const outLeft = z.state[0]!;
        const have = OUT_BYTES - outLeft;
        inOff += inLeft - z.state[1]!;
        inLeft = z.state[1]!;
        if (have > 0) {
          if (first) {
            first = false;
            checkFirst(path, out, have);
          }
          sink.push(out, have);
        }
        // Output space left over: this input is used up (or the stream has ended).
        if (outLeft !== 0) break;
      }
      if (n === 0) return;
    }
  } finally {
    z.stream.destroy();
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
  const z = directInflater();
  if (z) gunzipDirect(path, fd, chunk, sink, z);
  else await gunzipStreamed(path, fd, chunk, sink);
}
