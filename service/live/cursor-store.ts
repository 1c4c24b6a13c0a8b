// The live watcher's checkpoint: log cursors (follow.ts) and the counters
// they fed (counters.ts), saved so that a restart resumes from the cursors:
// the lines after them are read again and counted once, because the counts
// saved are those of exactly the lines before the cursors.
//
// Format 2 (since decision 013; format 1 is still read), in the state
// directory's live/ folder:
// - checkpoint.json: the cursors, the per-series metadata (key, kind, id,
//   [sid, total, first, last]), totals, stats, and the list of the segment
//   files that hold the chunks of exactly this checkpoint;
// - segment files (segment-file.ts), one per hour of minutes
//   (`m-<hour index>.<generation>.bin`) and one per UTC day of hours
//   (`h-<day index>.<generation>.bin`).
// A checkpoint takes, synchronously and at one instant, the metadata and a
// copy of the chunks whose index changed since the last one (series.ts's
// ChunkLedger: normally the current hour and day, an older one when a late
// line touched it), then writes without blocking the thread: the changed
// segments under a NEW generation's name (temp, fsync, rename), the folder
// fsync'd, then checkpoint.json (temp, fsync, rename, folder fsync'd) last
// (checkpoint-save.ts). Only then are the files no checkpoint names any more
// removed (older generations, chunks out of the 48 h / 35 d windows). A
// crash at any point leaves the previous checkpoint.json and every segment
// it names intact.
//
// A checkpoint that cannot be read (checkpoint.json, or a segment it names
// missing or damaged) is set aside, checkpoint.json and its segments renamed
// `*.unusable-<ms>`, never deleted, and the watcher starts fresh at the end
// of the logs, with a warning naming the file.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, readJsonFile, readStateFile } from '../actions/state-files.ts';
import { createError, describeError, isErrno } from '../errors.ts';
import { createCheckpointSaver, type CheckpointFile, type SaveCheckpoint } from './checkpoint-save.ts';
import { CountersMetaSchema, LiveCounters, StoredCountersSchema } from './counters.ts';
import type { FollowState } from './follow.ts';
import { decodeSegment, parseSegmentName, type SegmentKind } from './segment-file.ts';
import type { Series } from './series.ts';

export const LIVE_DIR = 'live';
const FILE = 'checkpoint.json';

const CursorSchema = z.object({
  dev: z.number(), ino: z.number(), path: z.string(), offset: z.number().int().nonnegative(), size: z.number().int().nonnegative(),
  headLen: z.number().int().nonnegative(), headHash: z.string().max(64), skipping: z.boolean(),
});
export const FollowStateSchema = z.object({ cursors: z.array(CursorSchema), retired: z.array(CursorSchema) });
/** One follower per log kind (maillog, phpMailLog, accessLogs). */
const FollowSchema = z.record(z.string(), FollowStateSchema);

const CheckpointV1Schema = z.object({ v: z.literal(1), savedAt: z.number(), follow: FollowSchema, counters: StoredCountersSchema });
const CheckpointV2Schema = z.object({
  v: z.literal(2), savedAt: z.number(), generation: z.number().int().nonnegative(), follow: FollowSchema,
  counters: CountersMetaSchema, segments: z.array(z.string().refine((n) => parseSegmentName(n) !== null, 'not a segment file name')),
});

export type Checkpoint = { savedAt: number; follow: Record<string, FollowState>; counters: LiveCounters };
export type { SaveReport } from './checkpoint-save.ts';
export type CheckpointStore = {
  /** The checkpoint found at open, or null (none, or set aside: see warnings). */
  loaded: Checkpoint | null;
  warnings: string[];
  /**
   * Saves the cursors with these counters. What is saved is taken before the
   * first await; the rest does not block the thread. One at a time: a second
   * call while one is being written is refused.
   */
  save: SaveCheckpoint;
};
export type CheckpointStoreOptions = {
  limits?: { maxSources?: number; maxQueue?: number };
  /** Tests: runs once the new segments are durable, before checkpoint.json is replaced (a crash there). */
  beforeCommit?: () => void | Promise<void>;
};

export function liveDir(stateDir: string): string {
  return join(stateDir, LIVE_DIR);
}

const chunksOf = (s: Series, kind: SegmentKind) => (kind === 'm' ? s.minutes : s.hours);

type Read = { checkpoint: Checkpoint; segments: Map<string, string>; generation: number };

function readFiles(dir: string, path: string, raw: unknown, limits: CheckpointStoreOptions['limits']): Read {
  const v1 = CheckpointV1Schema.safeParse(raw);
  if (v1.success) {
    // Format 1 (before decision 013): its chunks all count as changed, the first save writes them as segments.
    const { savedAt, follow, counters } = v1.data;
    return { checkpoint: { savedAt, follow, counters: LiveCounters.load(counters, limits) }, segments: new Map(), generation: 0 };
  }
  const r = CheckpointV2Schema.safeParse(raw);
  if (!r.success) throw createError('SENDTRACE_ERR_STATE', path, `not a checkpoint of a version this sendtrace reads (${r.error.issues[0]?.path.join('.') ?? ''}: ${r.error.issues[0]?.message ?? ''})`);
  const file = r.data as CheckpointFile;
  const counters = LiveCounters.loadMeta(file.counters, limits);
  const bySid = new Map<number, Series>();
  for (const s of counters.allSeries()) {
    if (bySid.has(s.sid)) throw createError('SENDTRACE_ERR_STATE', path, `series number ${s.sid} appears twice`);
    bySid.set(s.sid, s);
  }
  const segments = new Map<string, string>();
  for (const name of file.segments) {
    const { kind, index } = parseSegmentName(name)!;
    const segPath = join(dir, name);
    if (segments.has(`${kind}${index}`)) throw createError('SENDTRACE_ERR_STATE', path, `names two segment files of chunk ${kind}-${index}`);
    const bytes = readStateFile(segPath);
    if (bytes === null) throw createError('SENDTRACE_ERR_STATE', segPath, 'named by the checkpoint but missing');
    // Records of series no longer in the checkpoint (evicted since the segment was written) are skipped.
    decodeSegment(segPath, bytes, kind, index, (sid, counts) => {
      const s = bySid.get(sid);
      if (s) chunksOf(s, kind).set(index, counts.slice());
    });
    segments.set(`${kind}${index}`, name);
  }
  return { checkpoint: { savedAt: file.savedAt, follow: file.follow, counters }, segments, generation: file.generation };
}

/** Sets an unusable checkpoint aside with the segments it names: renamed, never deleted. */
function setAside(dir: string, path: string, raw: unknown, now: number): { aside: string; segments: number } {
  const aside = `${path}.unusable-${now}`;
  renameSync(path, aside);
  let segments = 0;
  const names = (raw as { segments?: unknown } | null)?.segments;
  for (const name of Array.isArray(names) ? names : []) {
    if (typeof name !== 'string' || parseSegmentName(name) === null) continue;
    try {
      renameSync(join(dir, name), join(dir, `${name}.unusable-${now}`));
      segments++;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }
  return { aside, segments };
}

function readCheckpoint(dir: string, now: number, limits: CheckpointStoreOptions['limits']): { read: Read | null; warnings: string[] } {
  const path = join(dir, FILE);
  let raw: unknown = null;
  try {
    raw = readJsonFile(path);
    if (raw === null) return { read: null, warnings: [] };
    return { read: readFiles(dir, path, raw, limits), warnings: [] };
  } catch (err) {
    const { aside, segments } = setAside(dir, path, raw, now);
    const also = segments ? ` (and its ${segments} segment files as <name>.unusable-${now})` : '';
    return { read: null, warnings: [`live checkpoint ${path} is unusable (${describeError(err)}); kept as ${aside}${also}, starting at the end of the logs`] };
  }
}

export function openCheckpointStore(stateDir: string, now: number, o: CheckpointStoreOptions = {}): CheckpointStore {
  const dir = liveDir(stateDir);
  ensurePrivateDir(stateDir);
  ensurePrivateDir(dir);
  const path = join(dir, FILE);
  const { read, warnings } = readCheckpoint(dir, now, o.limits);
  const save = createCheckpointSaver({
    dir, path, named: read?.segments ?? new Map(), generation: read?.generation ?? 0, savedCounters: read?.checkpoint.counters ?? null,
    ...(o.beforeCommit ? { beforeCommit: o.beforeCommit } : {}),
  });
  return { loaded: read?.checkpoint ?? null, warnings, save };
}
