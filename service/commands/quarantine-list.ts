// `quarantine-list`: what is (and was) quarantined, since when, why.
import { EXIT, describeError } from '../errors.ts';
import { startAction } from '../actions/action-context.ts';
import { files, listIds, readManifest, type Manifest } from '../actions/manifest.ts';
import { existsSync } from 'node:fs';
import type { CommandContext, CommandResult } from './command.ts';

export const QUARANTINE_LIST_USAGE = 'quarantine-list [--config FILE] [--json]';

export async function runQuarantineList(ctx: CommandContext): Promise<CommandResult> {
  const { config } = ctx;
  const start = startAction(ctx, { recover: true });
  const warnings = [...start.notes];
  const entries: Manifest[] = [];
  const pending: string[] = [];
  for (const id of listIds(config.quarantineDir)) {
    try {
      const m = readManifest(config.quarantineDir, id);
      if (m) entries.push(m);
      const f = files(config.quarantineDir, id);
      if (existsSync(f.intent) || existsSync(f.restoreIntent)) pending.push(id);
    } catch (err) {
      warnings.push(`quarantine ${id}: ${describeError(err)}`);
    }
  }
  const items = entries.map((m) => ({
    id: m.id, status: m.status, originalPath: m.originalPath, subscription: m.subscription.name, quarantinedAt: m.quarantinedAt,
    actor: m.actor, reason: m.reason, size: m.size, sha256: m.sha256, restoredAt: m.restoredAt, restoredBy: m.restoredBy,
    inProgress: pending.includes(m.id),
  }));
  const json = { quarantine: items, inProgress: pending, warnings };
  const held = items.filter((i) => i.status === 'quarantined');
  const lines = items.length === 0 ? ['Nothing is quarantined.'] : [
    `${held.length} file(s) in quarantine, ${items.length - held.length} restored.`,
    ...items.map((i) => `${i.id}  ${i.status === 'quarantined' ? `since ${i.quarantinedAt}` : `restored ${i.restoredAt}`}  ${i.subscription}  ${i.originalPath}\n    why: ${i.reason} (by ${i.actor})`),
  ];
  return { json, text: lines.join('\n'), exit: warnings.length ? EXIT.partial : EXIT.ok, notes: warnings };
}
