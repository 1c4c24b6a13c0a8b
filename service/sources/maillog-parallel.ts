// The main thread's side of the maillog pass: walks the units in log order;
// parses a unit itself when the worker has not claimed it (so neither thread
// waits for the other), else takes the worker's events for it. Every event
// goes to onEvent in log order, here, so the accumulated result is the one of
// a single-threaded pass. Where the worker's reading could differ from a
// sequential one (its year inference, starting mid-file), or the worker died,
// the main thread parses the rest of that unit itself.
import { MessageChannel, type Worker } from 'node:worker_threads';
import { fromReadError, readFailureWarning } from './log-file-open.ts';
import type { LogFileReport } from './log-files.ts';
import { decodeEvents, TextSlots } from './maillog-event-codec.ts';
import { createMaillogEvent, MaillogLineParser, type MaillogEvent } from './maillog-line.ts';
import { closeGzipCursors, copyStats, emptyStats, readUnit, type UnitResult, type UnitRun, type UnitStats } from './maillog-unit-read.ts';
import type { UnitPlan } from './maillog-units.ts';
import { BY_MAIN, CLAIMS, FREE, MAIN_AT, STOP, TAKEN, startMaillogWorker, type WorkerMessage } from './maillog-worker.ts';
import type { ClockState } from './syslog-clock.ts';

export type UnitsOptions = {
  zone: string; onEvent: (e: MaillogEvent) => void; maxExamples: number; worker: boolean;
  workerEntry?: URL;
  /** Tests: units the main thread leaves to the worker (it parses them itself only if the worker is gone). */
  leaveToWorker?: (unit: number) => boolean;
  /** Tests: 'js' parses (and writes the worker's batches) with TypeScript on both threads, where WebAssembly would run. */
  engine?: 'js' | 'wasm';
};

export type UnitsResult = {
  lines: number; unparsed: number; unparsedExamples: string[]; files: LogFileReport[]; warnings: string[]; readable: number;
  /** Units the worker parsed (null: no worker), and why it stopped early, if it did. */
  worker: { units: number; failure: string | null } | null;
};

const READ = { maxLineBytes: 64 * 1024, chunkBytes: 1024 * 1024 };

/** Messages of the worker by unit, in arrival order; null once the worker is gone and a unit has no more. */
class Inbox {
  private readonly queues = new Map<number, WorkerMessage[]>();
  private waiter: { unit: number; resolve: (m: WorkerMessage | null) => void } | null = null;
  failure: string | null = null;
  gone = false;

  put(m: WorkerMessage): void {
    if (this.waiter?.unit === m.unit) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(m);
      return;
    }
    const q = this.queues.get(m.unit);
    if (q) q.push(m);
    else this.queues.set(m.unit, [m]);
  }

  end(failure: string | null): void {
    this.gone = true;
    this.failure ??= failure;
    this.waiter?.resolve(null);
    this.waiter = null;
  }

  next(unit: number): Promise<WorkerMessage | null> {
    const q = this.queues.get(unit);
    const m = q?.shift();
    if (q && q.length === 0) this.queues.delete(unit);
    if (m) return Promise.resolve(m);
    if (this.gone) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiter = { unit, resolve };
    });
  }
}

export async function scanUnits(plan: UnitPlan, opts: UnitsOptions): Promise<UnitsResult> {
  const n = plan.units.length;
  const shared = new Int32Array(new SharedArrayBuffer(4 * (CLAIMS + n)));
  const parser = new MaillogLineParser(opts.zone);
  const event = createMaillogEvent();
  const run: UnitRun = { onEvent: opts.onEvent, maxExamples: opts.maxExamples, ...READ, ...(opts.engine ? { engine: opts.engine } : {}) };
  const inbox = new Inbox();
  let worker: Worker | null = null;
  let workerUnits = 0;
  let stopping = false;
  const recycling = new MessageChannel();
  if (opts.worker) {
    worker = startMaillogWorker({
      zone: opts.zone, files: plan.files, units: plan.units, shared: shared.buffer as SharedArrayBuffer, maxExamples: opts.maxExamples,
      batchEvents: 16_384, batchBytes: 1 << 20, maxPending: 24, recycled: recycling.port2, ...READ,
      // A test that decides which units the main thread leaves to the worker: the worker must not leave any.
      balance: opts.leaveToWorker === undefined,
      ...(opts.engine ? { engine: opts.engine } : {}),
    }, opts.workerEntry);
    worker.on('message', (m: WorkerMessage) => inbox.put(m));
    worker.on('error', (err) => inbox.end(err.stack ?? err.message));
    worker.on('exit', (code) => inbox.end(stopping ? null : `exited with code ${code}`));
  }
  const taken = () => {
    Atomics.add(shared, TAKEN, 1);
    Atomics.notify(shared, TAKEN);
  };
  // The worker's text table, copied batch by batch (maillog-event-codec.ts).
  const slots = new TextSlots();
  const ignore = () => {};
  /** A worker message whose events are not used: read for the text table only. */
  const discard = (m: WorkerMessage) => {
    taken();
    decodeEvents(m.batch, event, ignore, slots);
    recycling.port1.postMessage(m.batch);
  };

  /** The worker's events for unit i; the rest of the unit parsed here when its reading cannot be used. */
  async function fromWorker(i: number): Promise<UnitResult> {
    const unit = plan.units[i]!;
    let line = 0;
    let stats: UnitStats = emptyStats();
    let state: ClockState | null = null;
    for (;;) {
      const m = await inbox.next(i);
      if (!m) break;                      // the worker is gone: go on from its last message
      taken();
      decodeEvents(m.batch, event, opts.onEvent, slots);
      recycling.port1.postMessage(m.batch);      // shared memory: nothing is copied or detached
      ({ line, stats } = m);
      if (m.kind === 'done') {
        workerUnits++;
        if (m.state.firstMonth !== 0) parser.clock.resume(m.state);
        return { stats: m.stats, error: m.error };
      }
      if (m.kind === 'split') {
        if (!parser.clock.agreesWith(m.state)) {
          // Its year for the first classic timestamp is not the sequential one: discard the rest, read it here
          // (each batch still read without its events: the text table stays in step with the worker's).
          for (let d = await inbox.next(i); d; d = d.kind === 'done' ? null : await inbox.next(i)) discard(d);
          state = null;
          break;
        }
      }
      state = m.state;
    }
    if (state && state.firstMonth !== 0) parser.clock.resume(state);
    return readUnit(plan.files[unit.file]!, unit, parser, event, { ...run, stats: copyStats(stats), skipLines: line });
  }

  const totals = { lines: 0, unparsed: 0, unparsedExamples: [] as string[] };
  const failed = new Set<number>();
  try {
    for (let i = 0; i < n; i++) {
      const unit = plan.units[i]!;
      const file = plan.files[unit.file]!;
      Atomics.store(shared, MAIN_AT, i);
      const leave = worker !== null && !inbox.gone && opts.leaveToWorker?.(i) === true;
      const mine = !leave && Atomics.compareExchange(shared, CLAIMS + i, FREE, BY_MAIN) === FREE;
      if (unit.start === 0) parser.startFile(file.referenceMs);
      let r: UnitResult;
      if (failed.has(unit.file)) {
        // Like a sequential read, a file stops at its first read error; the worker's lines after it are dropped.
        if (!mine) for (let d = await inbox.next(i); d; d = d.kind === 'done' ? null : await inbox.next(i)) discard(d);
        continue;
      }
      r = mine ? await readUnit(file, unit, parser, event, run) : await fromWorker(i);
      const report = plan.reports[unit.file]!;
      report.lines += r.stats.fileLines;
      report.overlong += r.stats.overlong;
      totals.lines += r.stats.lines;
      totals.unparsed += r.stats.unparsed;
      for (const e of r.stats.examples) if (totals.unparsedExamples.length < opts.maxExamples) totals.unparsedExamples.push(e);
      if (r.error !== null) {
        failed.add(unit.file);
        // Worded here, with the lines of the whole file read before it (a unit's reader knows only its own).
        plan.warnings[unit.file] = readFailureWarning(file.path, file.gzip, report.lines, fromReadError(r.error));
      }
    }
  } finally {
    stopping = true;
    Atomics.store(shared, STOP, 1);
    Atomics.notify(shared, TAKEN);
    Atomics.notify(shared, STOP);
    // The worker reads the plan's descriptors: it must be gone before they are closed.
    if (worker) await worker.terminate();
    recycling.port1.close();
    closeGzipCursors();
  }
  for (let f = 0; f < plan.reports.length; f++) plan.reports[f]!.complete = plan.files[f] !== null && !failed.has(f);
  return {
    ...totals,
    files: plan.reports,
    warnings: plan.warnings.filter((w): w is string => w !== null),
    readable: plan.reports.filter((r) => r.lines > 0 || r.complete).length,
    worker: worker ? { units: workerUnits, failure: inbox.failure } : null,
  };
}
