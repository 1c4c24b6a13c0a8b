// Incidents on disk: <stateDir>/live/incidents.json, root's, 0600, replaced
// atomically on every change (state-files.ts), and written BEFORE anyone is
// notified, so that a crash can at worst miss a message, never send one twice
// (notify.ts records what it sent in the same file). Open incidents are kept
// until they resolve; resolved ones for 35 days, 5,000 at most.
import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeFileAtomic } from '../actions/state-files.ts';
import { createError } from '../errors.ts';
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
};

export function openIncidentStore(stateDir: string): IncidentStore {
  const path = join(liveDir(stateDir), FILE);
  const raw = readJsonFile(path);
  const parsed = raw === null ? null : DocSchema.safeParse(raw);
  if (parsed && !parsed.success) throw createError('SENDTRACE_ERR_STATE', path, 'not an incidents document of this version');
  let incidents = new Map((parsed?.data.incidents ?? []).map((i) => [i.id, i]));
  const notified: Record<string, Record<string, string[]>> = parsed?.data.notified ?? {};
  const save = () => writeFileAtomic(path, JSON.stringify({ v: 1, incidents: [...incidents.values()], notified }), 0o600);
  return {
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
