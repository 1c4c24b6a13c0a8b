// The on-detection policy of a subscription (settings.onDetection, default
// 'alert'): with 'quarantine', a SCRIPT source of an incident that is opened
// or escalated with confidence ≥ 0.9 is quarantined at once — through the
// same quarantine action as the CLI and the panel (its path checks, dry-run
// logic, manifest and audit record), with actor "policy" — unless the
// subscription allow-lists that file: same path AND the sha256 of the file as
// it is now (an allow-listed file that was modified is no longer trusted).
// The notification then carries the restore command.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { describeError } from '../errors.ts';
import type { Settings } from '../http/contract.ts';
import type { Incident, Transition } from './incident.ts';

export const POLICY_MIN_CONFIDENCE = 0.9;
export const POLICY_KINDS: ReadonlyArray<Incident['kind']> = ['burst', 'slow-leak', 'block'];

/** Runs the quarantine action for `path` (service/server.ts: the CLI command in a worker, actor "policy"). */
export type QuarantinePort = (r: { path: string; reason: string }) => Promise<{ id: string; sha256: string }>;

export type PolicyDecision = { incidentId: string; path: string; action: 'quarantined' | 'allow-listed' | 'failed'; detail: string };

/** sha256 of a regular file, not following a symbolic link; null when it cannot be read (gone already). */
export async function sha256Of(path: string): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    if (!(await fh.stat()).isFile()) return null;
    const h = createHash('sha256');
    for await (const chunk of fh.createReadStream({ autoClose: false })) h.update(chunk as Buffer);
    return h.digest('hex');
  } finally {
    await fh.close();
  }
}

export async function applyPolicy(transitions: Transition[], o: {
  settingsOf: (subscriptionId: number) => Settings;
  quarantine: QuarantinePort | null;
  hash?: (path: string) => Promise<string | null>;
  done: Set<string>;                 // paths already quarantined by policy in this run (an escalation does not repeat it)
}): Promise<PolicyDecision[]> {
  const out: PolicyDecision[] = [];
  for (const { type, incident: i } of transitions) {
    if (type === 'resolved' || !POLICY_KINDS.includes(i.kind) || i.source?.kind !== 'script' || i.subscriptionId === null) continue;
    if ((i.confidence ?? 0) < POLICY_MIN_CONFIDENCE) continue;
    const settings = o.settingsOf(i.subscriptionId);
    if (settings.onDetection !== 'quarantine' || !o.quarantine) continue;
    const path = i.source.id;
    if (o.done.has(path)) continue;
    const sha = await (o.hash ?? sha256Of)(path);
    if (sha !== null && settings.allowList.some((a) => a.path === path && a.sha256 === sha)) {
      out.push({ incidentId: i.id, path, action: 'allow-listed', detail: `allow-listed (sha256 ${sha}): not quarantined` });
      continue;
    }
    o.done.add(path);
    try {
      const r = await o.quarantine({ path, reason: `policy: ${i.kind} incident ${i.id} (confidence ${i.confidence})` });
      out.push({ incidentId: i.id, path, action: 'quarantined', detail: `Quarantined automatically as ${r.id} (sha256 ${r.sha256}). Undo: sendtrace restore --id ${r.id} — or Restore in the panel (POST /api/subscriptions/${i.subscriptionId}/actions/restore {"quarantineId":"${r.id}"}).` });
    } catch (err) {
      o.done.delete(path);
      out.push({ incidentId: i.id, path, action: 'failed', detail: `automatic quarantine failed: ${describeError(err)}` });
    }
  }
  return out;
}
