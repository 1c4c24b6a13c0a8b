// The quarantine's records. Layout (quarantineDir and every folder in it are
// root's, mode 0700; files 0600, the quarantined file itself 0400 root:root):
//
//   <quarantineDir>/<id>/file                 the quarantined bytes
//   <quarantineDir>/<id>/manifest.json        written once the quarantine is complete
//   <quarantineDir>/<id>/intent.json          a quarantine in progress (crash-safety)
//   <quarantineDir>/<id>/restore-intent.json  a restore in progress
//   <quarantineDir>/<id>/file.partial         a cross-filesystem copy being written
//
// docs/decisions/006-quarantine.md describes the protocol.
import { randomBytes } from 'node:crypto';
import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createError, isErrno } from '../errors.ts';
import { formatIso } from '../time.ts';
import { fsyncDir, readJsonFile, writeFileAtomic } from './state-files.ts';

export const ID_PATTERN = /^q-\d{8}-\d{6}-[0-9a-f]{8}$/;

/** A fresh quarantine id: sortable by time, unguessable, safe as a file name. */
export function newQuarantineId(now: number): string {
  const iso = new Date(now).toISOString();
  return `q-${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${randomBytes(4).toString('hex')}`;
}

/** `--id` is hostile input: only the exact id shape ever reaches a path. */
export function checkQuarantineId(id: string): string {
  if (!ID_PATTERN.test(id)) throw createError('SENDTRACE_ERR_USAGE', `'${id.slice(0, 80)}' is not a quarantine id (q-YYYYMMDD-HHMMSS-xxxxxxxx; see quarantine-list)`);
  return id;
}

const ProcessSchema = z.object({ pid: z.number(), start: z.string().nullable(), boot: z.string().nullable() });

export const ManifestSchema = z.object({
  v: z.literal(1),
  id: z.string().regex(ID_PATTERN),
  status: z.enum(['quarantined', 'restored']),
  originalPath: z.string(),                 // shown form (path-arg.ts)
  originalPathBase64: z.string(),           // the exact bytes
  homePathBase64: z.string(),               // the subscription's home as the path spelled it
  subscription: z.object({ id: z.number(), name: z.string() }),
  owner: z.object({ uid: z.number(), gid: z.number() }),
  mode: z.number(),                         // permission bits
  size: z.number(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  mtimeMs: z.number(),
  mtimeNs: z.string(),
  atimeNs: z.string(),
  dev: z.number(),
  ino: z.number(),
  method: z.enum(['rename', 'copy']),
  quarantinedAt: z.string(),
  quarantinedAtMs: z.number(),
  actor: z.string(),
  reason: z.string(),
  evidence: z.array(z.unknown()),
  notes: z.array(z.string()),
  restoredAt: z.string().nullable(),
  restoredBy: z.string().nullable(),
  newcomerKeptAs: z.string().nullable(),    // --force: where the file found at the original path was kept
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const QuarantineIntentSchema = z.object({
  op: z.literal('quarantine'),
  phase: z.enum(['prepared', 'copied']),
  owner: ProcessSchema,
  manifest: ManifestSchema,
});
export type QuarantineIntent = z.infer<typeof QuarantineIntentSchema>;

export const RestoreIntentSchema = z.object({
  op: z.literal('restore'),
  phase: z.enum(['prepared']),
  owner: ProcessSchema,
  method: z.enum(['link', 'copy']),
  tmpNameBase64: z.string().nullable(),     // copy: our temporary name in the target folder
  newcomer: z.object({ nameBase64: z.string(), asideBase64: z.string() }).nullable(),
  actor: z.string(),
  at: z.number(),
});
export type RestoreIntent = z.infer<typeof RestoreIntentSchema>;

/** Where a quarantine folder is prepared before it appears under its id (named with the owner's pid). */
export function stagingDir(quarantineDir: string, id: string): string {
  return join(quarantineDir, `.new-${id}-${process.pid}`);
}
export const STAGING_PATTERN = /^\.new-(q-\d{8}-\d{6}-[0-9a-f]{8})-(\d+)$/;

/** Removes a quarantine folder holding only our own bookkeeping (never the quarantined file of a manifest). */
export function removeQuarantineFolder(quarantineDir: string, name: string): void {
  const dir = join(quarantineDir, name);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  for (const e of entries) rmSync(join(dir, e), { force: true });
  rmdirSync(dir);
  fsyncDir(quarantineDir);
}

export const files = (quarantineDir: string, id: string) => {
  const dir = join(quarantineDir, id);
  return {
    dir,
    file: join(dir, 'file'),
    partial: join(dir, 'file.partial'),
    manifest: join(dir, 'manifest.json'),
    intent: join(dir, 'intent.json'),
    restoreIntent: join(dir, 'restore-intent.json'),
  };
};

function parseState<S extends z.ZodType>(schema: S, path: string): z.output<S> | null {
  const raw = readJsonFile(path);
  if (raw === null) return null;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw createError('SENDTRACE_ERR_STATE', path, parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

export const readManifest = (quarantineDir: string, id: string) => parseState(ManifestSchema, files(quarantineDir, id).manifest);
export const readQuarantineIntent = (path: string) => parseState(QuarantineIntentSchema, path);
export const readRestoreIntent = (path: string) => parseState(RestoreIntentSchema, path);

export function writeManifest(quarantineDir: string, m: Manifest): void {
  writeFileAtomic(files(quarantineDir, m.id).manifest, `${JSON.stringify(ManifestSchema.parse(m), null, 2)}\n`);
}

/** Ids of every folder in the quarantine (folders not shaped like an id are not ours and are left alone). */
export function listIds(quarantineDir: string): string[] {
  try {
    return readdirSync(quarantineDir).filter((n) => ID_PATTERN.test(n)).sort();
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
}

export function stamp(now: number, zone: string): { iso: string; ms: number } {
  return { iso: formatIso(now, zone), ms: now };
}
