// The second core of the maillog pass: a worker thread that parses units
// (maillog-units.ts) ahead of the main thread and hands their events over as
// arrays in shared memory (maillog-event-codec.ts). The main thread accumulates
// every event, in log order (maillog-parallel.ts), so the result is the one
// of a single-threaded pass by construction.
//
// The worker runs the product's own file: dist/sendtrace.mjs, or this module
// under the TypeScript loader. Its dispatch is the top-level await below: in
// the bundle this module is evaluated before main.ts, so in the worker the
// CLI never starts (test/sources/maillog-parallel.test.ts runs the bundle).
import { isMainThread, parentPort, receiveMessageOnPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import type { ReadError } from './log-file-open.ts';
import { EventBatchWriter, type EventBatch } from './maillog-event-codec.ts';
import { createMaillogEvent, MaillogLineParser } from './maillog-line.ts';
import { maillogWasm, wasmBatchFits, WasmEventWriter } from './maillog-wasm.ts';
import type { MaillogUnit, UnitFile } from './maillog-units.ts';
import { closeGzipCursors, copyStats, emptyStats, readUnit, type UnitStats } from './maillog-unit-read.ts';
import type { ClockState } from './syslog-clock.ts';

export type WorkerInput = {
  zone: string;
  files: Array<UnitFile | null>;
  units: MaillogUnit[];
  shared: SharedArrayBuffer;
  maxExamples: number;
  maxLineBytes: number;
  chunkBytes: number;
  batchEvents: number;        // events per message at most
  batchBytes: number;         // text bytes per message at most
  maxPending: number;         // messages posted and not yet taken by the main thread
  recycled: MessagePort;      // the main thread hands the arrays of decoded batches back here
  /** Leave the main thread the unit right after the one it is at, when this thread has only just got there (see serve). */
  balance: boolean;
  /** Tests: 'js' parses and writes batches with TypeScript even where WebAssembly runs. */
  engine?: 'js' | 'wasm';
};

/**
 * What the worker posts, in order; a unit's messages cover its lines before
 * `line`, `stats` counts them, `state` is the clock after them. `split` comes
 * before the unit's first event with a classic timestamp: the main thread
 * checks the year inference there (syslog-clock.ts agreesWith).
 */
export type WorkerMessage = { unit: number; kind: 'batch' | 'split' | 'done'; batch: EventBatch; line: number; stats: UnitStats; state: ClockState; error: ReadError | null };

// Shared Int32Array slots.
export const TAKEN = 0;        // messages the main thread has taken
export const MAIN_AT = 1;      // the unit the main thread is at
export const STOP = 2;
export const CLAIMS = 3;       // one per unit: FREE, or who parses it
export const FREE = 0;
export const BY_MAIN = 1;
export const BY_WORKER = 2;

const WORKER_KEY = 'sendtraceMaillogUnits';

/** `entry`: the file the thread runs; by default this program's own (the bundle, or this module). */
export function startMaillogWorker(input: WorkerInput, entry = new URL(import.meta.url)): Worker {
  return new Worker(entry, { workerData: { [WORKER_KEY]: input }, transferList: [input.recycled] });
}

/**
 * The unit the worker tries next, from `j` on, the main thread being at unit `mainAt` of `n`.
 * Never behind the main thread: the units before the one it is at are done. With `balance`, when
 * the main thread is at the unit just before (it would soon wait for the worker), the worker leaves
 * that unit to it and takes the one after: the main thread parses it itself, without the hand-over's
 * encoding, and both threads stay busy. A worker ahead of the main thread takes every unit.
 * (The main thread claims any unit nobody has: maillog-parallel.ts.)
 */
export function nextWorkerUnit(j: number, mainAt: number, n: number, balance: boolean): number {
  const next = Math.max(j, mainAt);
  return balance && next === mainAt + 1 && next + 1 < n ? next + 1 : next;
}

async function serve(input: WorkerInput): Promise<void> {
  const shared = new Int32Array(input.shared);
  const parser = new MaillogLineParser(input.zone);
  const event = createMaillogEvent();
  const reuse = () => (receiveMessageOnPort(input.recycled)?.message as EventBatch | undefined) ?? null;
  // Where WebAssembly runs, the batches are written by maillog-line.as as it parses (maillog-wasm.ts).
  const wasm = input.engine === 'js' || !wasmBatchFits(input.batchEvents, input.batchBytes) ? null : maillogWasm();
  const wasmWriter = wasm ? new WasmEventWriter(wasm, (t) => parser.instant(t), input.batchEvents, input.batchBytes, reuse) : null;
  const writer = wasmWriter ?? new EventBatchWriter(input.batchEvents, input.batchBytes, reuse);
  let posted = 0;
  const post = (unit: number, kind: WorkerMessage['kind'], line: number, stats: UnitStats, error: ReadError | null = null) => {
    // Back-pressure: never more than maxPending messages waiting in the main thread (memory stays bounded).
    for (;;) {
      const taken = Atomics.load(shared, TAKEN);
      if (posted - taken < input.maxPending || Atomics.load(shared, STOP)) break;
      Atomics.wait(shared, TAKEN, taken, 1000);
    }
    const batch = writer.take();
    const msg: WorkerMessage = { unit, kind, batch, line, stats, state: parser.clock.state, error };
    // No transfer list: the batch's memory is shared (maillog-event-codec.ts says why).
    parentPort!.postMessage(msg);
    posted++;
  };
  const n = input.units.length;
  for (let j = 0; j < n; j++) {
    if (Atomics.load(shared, STOP)) break;
    j = nextWorkerUnit(j, Atomics.load(shared, MAIN_AT), n, input.balance);
    if (j >= n) break;
    if (Atomics.compareExchange(shared, CLAIMS + j, FREE, BY_WORKER) !== FREE) continue;
    const unit = input.units[j]!;
    parser.startFile(input.files[unit.file]!.referenceMs);
    const stats = emptyStats();
    const r = await readUnit(input.files[unit.file]!, unit, parser, event, {
      stats,
      onEvent: (e) => {
        writer.write(e);
        if (writer.full) post(j, 'batch', stats.lines, copyStats(stats));
      },
      onFirstClassic: (line, before) => post(j, 'split', line, before),
      maxExamples: input.maxExamples,
      maxLineBytes: input.maxLineBytes,
      chunkBytes: input.chunkBytes,
      engine: input.engine,
      batch: wasmWriter ? { writer: wasmWriter, full: () => post(j, 'batch', stats.lines, copyStats(stats)) } : undefined,
    });
    post(j, 'done', stats.lines, r.stats, r.error);
  }
  closeGzipCursors();
}

if (!isMainThread && workerData !== null && typeof workerData === 'object' && WORKER_KEY in workerData) {
  const input = (workerData as Record<string, WorkerInput>)[WORKER_KEY]!;
  await serve(input);
  // Until the main thread has taken every message (it then terminates this
  // thread); never returning from here keeps the rest of the bundle (the CLI)
  // from starting in this thread.
  const shared = new Int32Array(input.shared);
  while (!Atomics.load(shared, STOP)) Atomics.wait(shared, STOP, 0, 1000);
  process.exit(0);
}
