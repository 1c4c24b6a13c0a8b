// The live watcher's checkpoint: log cursors (follow.ts) and the counters
// they fed (counters.ts), saved TOGETHER in one file of the state directory,
// written atomically (temp file, fsync, rename, fsync of the folder:
// state-files.ts). A restart resumes from the checkpoint: the lines after the
// cursors are read again and counted once, because the counts saved are those
// of exactly the lines before the cursors. A checkpoint that cannot be read is
// set aside (renamed, never deleted) and the watcher starts fresh, at the end
// of the logs, with a warning naming the file.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, readJsonFile, writeFileAtomic } from '../actions/state-files.ts';
import { describeError } from '../errors.ts';
import type { FollowState } from './follow.ts';

export const LIVE_DIR = 'live';
const FILE = 'checkpoint.json';

const CursorSchema = z.object({
  dev: z.number(), ino: z.number(), path: z.string(), offset: z.number().int().nonnegative(), size: z.number().int().nonnegative(),
  headLen: z.number().int().nonnegative(), headHash: z.string().max(64), skipping: z.boolean(),
});
export const FollowStateSchema = z.object({ cursors: z.array(CursorSchema), retired: z.array(CursorSchema) });

export const CheckpointSchema = z.object({
  v: z.literal(1),
  savedAt: z.number(),
  /** One follower per log kind (maillog, phpMailLog, accessLogs). */
  follow: z.record(z.string(), FollowStateSchema),
  /** counters.ts's own format, validated there. */
  counters: z.unknown(),
});
export type Checkpoint = { v: 1; savedAt: number; follow: Record<string, FollowState>; counters: unknown };

export function liveDir(stateDir: string): string {
  return join(stateDir, LIVE_DIR);
}

export function readCheckpoint(stateDir: string, now: number): { checkpoint: Checkpoint | null; warnings: string[] } {
  const dir = liveDir(stateDir);
  ensurePrivateDir(stateDir);
  ensurePrivateDir(dir);
  const path = join(dir, FILE);
  try {
    const raw = readJsonFile(path);
    if (raw === null) return { checkpoint: null, warnings: [] };
    const r = CheckpointSchema.safeParse(raw);
    if (r.success) return { checkpoint: r.data as Checkpoint, warnings: [] };
    throw new Error('not a checkpoint of this version');
  } catch (err) {
    const aside = `${path}.unusable-${now}`;
    renameSync(path, aside);
    return { checkpoint: null, warnings: [`live checkpoint ${path} is unusable (${describeError(err)}); kept as ${aside}, starting at the end of the logs`] };
  }
}

export function writeCheckpoint(stateDir: string, c: Checkpoint): void {
  writeFileAtomic(join(liveDir(stateDir), FILE), JSON.stringify(c), 0o600);
}
