// `restore --id ID [--force] [--dry-run]` (CONTRACT.md Actions): puts a
// quarantined file back, identical bytes, owner, mode and times.
import { createError, EXIT } from '../errors.ts';
import { audited, boolFlag, exitAfterAudit, readPanelNow, requiredFlag, startAction } from '../actions/action-context.ts';
import { checkQuarantineId, readManifest } from '../actions/manifest.ts';
import { restoreFile } from '../actions/restore.ts';
import { findHome, subscriptionPlaces } from '../actions/safe-path.ts';
import type { CommandContext, CommandResult } from './command.ts';

export const RESTORE_USAGE = 'restore --id ID [--force] [--dry-run] [--config FILE] [--json]';

export async function runRestore(ctx: CommandContext): Promise<CommandResult> {
  const { config } = ctx;
  const id = checkQuarantineId(requiredFlag(ctx, 'id', RESTORE_USAGE));
  const dryRun = boolFlag(ctx, 'dry-run');
  const force = boolFlag(ctx, 'force');
  const start = startAction(ctx, { recover: true });
  const out = await audited(start, { action: 'restore', target: id, subscription: null, dryRun }, async () => {
    const m = readManifest(config.quarantineDir, id);
    if (!m) throw createError('SENDTRACE_ERR_NOT_FOUND', 'Quarantine id', id);
    // The place must still be a subscription's home (the same one): a deleted
    // subscription's path may now belong to someone else.
    const places = subscriptionPlaces(await readPanelNow(config, start.now), config.vhostsRoot);
    const home = findHome(Buffer.from(m.originalPathBase64, 'base64'), places);
    if (!home || !home.homePath.equals(Buffer.from(m.homePathBase64, 'base64'))) {
      throw createError('SENDTRACE_ERR_PATH_NOT_ALLOWED', m.originalPath, `it is no longer inside the home of a subscription (it was in ${m.subscription.name}'s)`);
    }
    const r = restoreFile({ id, quarantineDir: config.quarantineDir, stateDir: config.stateDir, actor: start.actor, now: start.now, zone: config.timezone }, { dryRun, force });
    return {
      value: r,
      entry: { subscription: m.subscription.name, target: `${id} → ${m.originalPath}`, details: { sha256: m.sha256, newcomerKeptAs: r.newcomerKeptAs } },
    };
  });
  const json = { id, dryRun, restoredPath: out.restoredPath, sha256: out.manifest.sha256, newcomerKeptAs: out.newcomerKeptAs, restoredAt: dryRun ? null : out.manifest.restoredAt };
  const kept = out.newcomerKeptAs ? ` The file that had appeared there ${dryRun ? 'would be' : 'was'} kept as ${out.newcomerKeptAs}.` : '';
  const text = dryRun
    ? `Dry run: would restore ${id} to ${out.restoredPath} (sha256 ${out.manifest.sha256}).${kept} Nothing was changed.`
    : `Restored ${id} to ${out.restoredPath}: the same bytes (sha256 ${out.manifest.sha256}), owner, mode and modification time.${kept}`;
  return { json, text, exit: exitAfterAudit(start, EXIT.ok), notes: start.notes };
}
