// Writing the live checkpoint (format 2, cursor-store.ts says what and why):
// what is saved is taken synchronously, at one instant; then the changed
// segment files under the new generation's names, the folder fsync'd,
// checkpoint.json last, and only then the removal of what no checkpoint
// names. Nothing a durable checkpoint.json names is ever overwritten.
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirAsync, writeFileAtomicAsync } from '../actions/state-files.ts';
import { describeError, isErrno } from '../errors.ts';
import type { CountersMeta, LiveCounters } from './counters.ts';
import type { FollowState } from './follow.ts';
import { encodeSegment, parseSegmentName, segmentName, type SegmentKind } from './segment-file.ts';
import { chunkKept } from './series.ts';

export type CheckpointFile = { v: 2; savedAt: number; generation: number; follow: Record<string, FollowState>; counters: CountersMeta; segments: string[] };
export type SaveReport = { generation: number; written: string[]; removed: string[]; problems: string[] };
export type SaveCheckpoint = (now: number, follow: Record<string, FollowState>, counters: LiveCounters) => Promise<SaveReport>;

const LEFTOVER_TMP = /^\.(?:[mh]-\d+\.\d+\.bin|checkpoint\.json)\.\d+\.[0-9a-f]{8}\.tmp$/;

/** The chunks of the changed indexes, copied into segment files' bytes (the synchronous part of a save). */
function encodeChanged(counters: LiveCounters, changed: Record<SegmentKind, Set<number>>, generation: number): Array<{ key: string; name: string; bytes: Buffer }> {
  const out: Array<{ key: string; name: string; bytes: Buffer }> = [];
  for (const kind of ['m', 'h'] as const) {
    if (changed[kind].size === 0) continue;
    const acc = new Map<number, { sids: number[]; chunks: Uint32Array[] }>();
    for (const index of changed[kind]) acc.set(index, { sids: [], chunks: [] });
    for (const s of counters.allSeries()) {
      const chunks = kind === 'm' ? s.minutes : s.hours;
      if (chunks.size === 0) continue;
      for (const [index, a] of acc) {
        const c = chunks.get(index);
        if (c) {
          a.sids.push(s.sid);
          a.chunks.push(c);
        }
      }
    }
    // An index with no chunk left (dropped from every series) gets no file: the old one goes after the commit.
    for (const [index, a] of acc) if (a.sids.length) out.push({ key: `${kind}${index}`, name: segmentName(kind, index, generation), bytes: encodeSegment(kind, index, a.sids, a.chunks) });
  }
  return out;
}

/**
 * The save function of one live folder. `named` (chunk key → file), the
 * generation and the counters come from the checkpoint read at open.
 */
export function createCheckpointSaver(o: {
  dir: string;
  path: string;
  named: Map<string, string>;
  generation: number;
  savedCounters: LiveCounters | null;
  beforeCommit?: () => void | Promise<void>;
}): SaveCheckpoint {
  const { dir, path } = o;
  let named = o.named;   // `${kind}${index}` → file of the durable checkpoint
  let generation = o.generation;
  let savedCounters = o.savedCounters;
  let stale = false;   // the named segments hold other sids (other counters, renumbered): none may be kept
  let busy = false;

  const sweep = async (keep: Set<string>): Promise<{ removed: string[]; problems: string[] }> => {
    const removed: string[] = [];
    const problems: string[] = [];
    for (const name of await readdir(dir)) {
      if (keep.has(name) || (parseSegmentName(name) === null && !LEFTOVER_TMP.test(name))) continue;
      try {
        await unlink(join(dir, name));
        removed.push(name);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) problems.push(`live: ${join(dir, name)} (no longer part of the checkpoint) could not be removed: ${describeError(err)}`);
      }
    }
    // Not fsync'd: a removal lost in a crash leaves a file that the next sweep removes.
    return { removed, problems };
  };

  const save = async (at: number, follow: Record<string, FollowState>, counters: LiveCounters): Promise<SaveReport> => {
    if (busy) throw new Error('a live checkpoint is already being written');
    busy = true;
    try {
      // Synchronous, at one instant: the metadata, and copies of the changed chunks.
      if (counters !== savedCounters) {
        for (const s of counters.allSeries()) s.markAllChanged();
        stale = true;
      }
      if (counters.renumberSeriesIfNeeded()) stale = true;
      const pruned = counters.prune(at);
      const meta = counters.storeMeta();
      const taken = counters.ledger.take();
      const changed = { m: taken.minutes, h: taken.hours };
      const gen = ++generation;
      const written: string[] = [];
      let current = '';
      let committed = false;
      let next: Map<string, string>;
      let writes: ReturnType<typeof encodeChanged>;
      try {
        next = new Map<string, string>();
        if (!stale) {
          // A segment whose chunks did not change is kept as it is; once out of its window (pruned: then no
          // series has that chunk any more, only evicted ones had) it goes.
          for (const [key, name] of named) {
            const { kind, index } = parseSegmentName(name)!;
            if (!changed[kind].has(index) && (!pruned || chunkKept(kind, index, at))) next.set(key, name);
          }
        }
        writes = encodeChanged(counters, changed, gen);
        for (const w of writes) next.set(w.key, w.name);
        const file: CheckpointFile = { v: 2, savedAt: at, generation: gen, follow, counters: meta, segments: [...next.values()].sort() };
        const body = Buffer.from(JSON.stringify(file));

        // Asynchronous from here: segments, then checkpoint.json, then what no checkpoint names.
        for (const w of writes) {
          current = join(dir, w.name);
          await writeFileAtomicAsync(current, w.bytes, 0o600, { syncDir: false });
          written.push(w.name);
        }
        current = dir;
        if (writes.length) await fsyncDirAsync(dir);
        await o.beforeCommit?.();
        current = path;
        await writeFileAtomicAsync(path, body, 0o600, { syncDir: false });
        // Renamed: whichever checkpoint.json a crash leaves, its segments are all there.
        committed = true;
        named = next;
        savedCounters = counters;
        stale = false;
        current = dir;
        await fsyncDirAsync(dir);
      } catch (err) {
        let note = '';
        if (!committed) {
          counters.ledger.giveBack(taken);
          for (const name of written) {
            await unlink(join(dir, name)).catch((e: unknown) => {
              if (!isErrno(e, 'ENOENT')) note = `; ${name} stays until the next checkpoint (${describeError(e)})`;
            });
          }
        }
        const state = committed ? 'saved, but its folder could not be synced' : 'not saved, the previous one stays';
        throw new Error(`live checkpoint ${state}: writing ${current || path} failed: ${describeError(err)}${note}`, { cause: err });
      }
      const swept = await sweep(new Set(next.values()));
      return { generation: gen, written: writes.map((w) => w.name), ...swept };
    } finally {
      busy = false;
    }
  };

  return save;
}
