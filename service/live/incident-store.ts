// Incidents on disk: <stateDir>/live/incidents.json, root's, 0600, replaced
// atomically on every change (state-files.ts), and written BEFORE anyone is
// notified, so that a crash can at worst miss a message, never send one twice
// (notify.ts records what it sent in the same file). Open incidents are kept
// until they resolve; resolved ones for 35 days, 5,000 at most. A file that
// cannot be read is set aside (renamed, never deleted) with a warning naming
// it, and the store starts empty: refusing would stop `serve` at every start
// (a crash loop under systemd) and lose the live watcher altogether.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeFileAtomic } from '../actions/state-files.ts';
import { describeError } from '../errors.ts';
import { DAY } from '../time.ts';
import { liveDir } from './cursor-store.ts';
import { IncidentSchema, type Incident } from './incident.ts';

const FILE = 'incidents.json';
const KEEP_MS = 35 * DAY;
const KEEP_MAX = 5000;

/** Per incident: the transitions already notified, by channel ('email:<address>', 'webhook'): `${level}:${type}`. */
export const NotifiedSchema = z.record(z.string(), z.array(z.string()));
const DocSchema = z.object({ v: z.literal(1), incidents: z.array(IncidentSchema), notified: z.record(z.string(), NotifiedSchema).default({}) });

export type IncidentStore = {
  all(): Map<string, Incident>;
  replace(incidents: Map<string, Incident>, now: number): void;
  /** Whether `mark` was already sent on `channel` for the incident; marks are saved by markSent. */
  wasSent(id: string, channel: string, mark: string): boolean;
  markSent(id: string, channel: string, mark: string): void;
  /** Set when the file on disk was unusable and set aside at open. */
  warnings: string[];
};

/** The stored document, or null (none yet, or unusable: then set aside, and a warning says where). */
function load(path: string, now: number, warnings: string[]): z.output<typeof DocSchema> | null {
  try {
    const raw = readJsonFile(path);
    if (raw === null) return null;
    const parsed = DocSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    throw new Error('not an incidents document of this version');
  } catch (err) {
    const aside = `${path}.unusable-${now}`;
    renameSync(path, aside);
    warnings.push(`live incidents ${path} are unusable (${describeError(err)}); kept as ${aside}, starting with no incidents`);
    return null;
  }
}

export function openIncidentStore(stateDir: string, now = Date.now()): IncidentStore {
  const path = join(liveDir(stateDir), FILE);
  const warnings: string[] = [];
  const doc = load(path, now, warnings);
  let incidents = new Map((doc?.incidents ?? []).map((i) => [i.id, i]));
  const notified: Record<string, Record<string, string[]>> = doc?.notified ?? {};
  const save = () => writeFileAtomic(path, JSON.stringify({ v: 1, incidents: [...incidents.values()], notified }), 0o600);
  return {
    warnings,
    all: () => new Map(incidents),
    replace(next, now) {
      const kept = [...next.values()].filter((i) => i.state === 'open' || (i.resolvedAt ?? now) >= now - KEEP_MS)
        .sort((a, b) => b.updatedAt - a.updatedAt);
      const open = kept.filter((i) => i.state === 'open');
      const resolved = kept.filter((i) => i.state !== 'open').slice(0, Math.max(0, KEEP_MAX - open.length));
      incidents = new Map([...open, ...resolved].map((i) => [i.id, i]));
      for (const id of Object.keys(notified)) if (!incidents.has(id)) delete notified[id];
      save();
    },
    wasSent: (id, channel, mark) => notified[id]?.[channel]?.includes(mark) ?? false,
    markSent(id, channel, mark) {
      const byChannel = (notified[id] ??= {});
      (byChannel[channel] ??= []).push(mark);
      save();
    },
  };
}
