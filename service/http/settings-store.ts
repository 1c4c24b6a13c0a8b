// Per-subscription settings (thresholds, what to do on detection, allow-listed
// scripts, who is notified) in <stateDir>/settings/<id>.json, root's, 0600.
// Written atomically (temp file, fsync, rename, fsync of the folder: a crash
// leaves the old or the new version, never a torn one). A revision number
// lets two admins editing at once find out instead of overwriting each other.
import { join } from 'node:path';
import { z } from 'zod';
import { createError } from '../errors.ts';
import { formatIso } from '../time.ts';
import { ensurePrivateDir, readJsonFile, writeFileAtomic } from '../actions/state-files.ts';
import { SettingsSchema, type Settings, type SettingsDocument } from './contract.ts';

export const DEFAULT_SETTINGS: Settings = {
  thresholds: { scriptPerHour: null, leakPerHour: 10, minConfidence: 0.5 },
  onDetection: 'alert',
  allowList: [],
  notify: { owner: true, emails: [] },
};

const StoredSchema = z.object({
  v: z.literal(1),
  subscriptionId: z.number().int(),
  settings: SettingsSchema,
  revision: z.number().int().positive(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});

export type SettingsStore = {
  get(subscriptionId: number): SettingsDocument;
  /** Throws SENDTRACE_ERR_REFUSED when `revision` is given and is not the stored one. */
  put(subscriptionId: number, settings: Settings, o: { revision?: number; actor: string; now: number }): SettingsDocument;
};

export function openSettingsStore(stateDir: string, zone: string): SettingsStore {
  const dir = join(stateDir, 'settings');
  const fileOf = (id: number) => {
    // The id comes from a validated route parameter; the check keeps any other text out of the path anyway.
    if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError(`not a subscription id: ${id}`);
    return join(dir, `${id}.json`);
  };
  let ready = false;
  const prepare = () => {
    if (ready) return;
    ensurePrivateDir(stateDir);
    ensurePrivateDir(dir);
    ready = true;
  };
  const read = (id: number): SettingsDocument => {
    prepare();
    const path = fileOf(id);
    const raw = readJsonFile(path);
    if (raw === null) return { subscriptionId: id, settings: DEFAULT_SETTINGS, revision: 0, updatedAt: null, updatedBy: null };
    const r = StoredSchema.safeParse(raw);
    if (!r.success || r.data.subscriptionId !== id) throw createError('SENDTRACE_ERR_STATE', path, 'not a settings document of this subscription');
    return { subscriptionId: id, settings: r.data.settings, revision: r.data.revision, updatedAt: r.data.updatedAt, updatedBy: r.data.updatedBy };
  };
  return {
    get: read,
    put(id, settings, o) {
      // Synchronous from read to rename: no other request of this process can interleave.
      const current = read(id);
      if (o.revision !== undefined && o.revision !== current.revision) {
        throw createError('SENDTRACE_ERR_REFUSED', `the settings were changed meanwhile (revision ${current.revision}${current.updatedBy ? ` by ${current.updatedBy}` : ''}); reload them and apply your change again`);
      }
      const doc = { v: 1 as const, subscriptionId: id, settings: SettingsSchema.parse(settings), revision: current.revision + 1, updatedAt: formatIso(o.now, zone), updatedBy: o.actor };
      writeFileAtomic(fileOf(id), `${JSON.stringify(doc, null, 2)}\n`, 0o600);
      return { subscriptionId: id, settings: doc.settings, revision: doc.revision, updatedAt: doc.updatedAt, updatedBy: doc.updatedBy };
    },
  };
}
