// `quarantine --path FILE [--reason TEXT] [--dry-run]` (CONTRACT.md Actions):
// moves a script out of the web space into the quarantine, with a manifest
// and an audit record; `restore --id` undoes it.
import { EXIT, SendtraceError } from '../errors.ts';
import type { Manifest } from '../actions/manifest.ts';
import { audited, boolFlag, checkQuarantineDirPlacement, cleanText, exitAfterAudit, readPanelNow, requiredFlag, startAction, valueFlag } from '../actions/action-context.ts';
import { decodePathArgument, showPath } from '../actions/path-arg.ts';
import { quarantineFile } from '../actions/quarantine.ts';
import { checkFileInSubscription, subscriptionPlaces } from '../actions/safe-path.ts';
import type { CommandContext, CommandResult } from './command.ts';
import { runDiagnose } from './diagnose.ts';

export const QUARANTINE_USAGE = 'quarantine --path FILE [--reason TEXT] [--dry-run] [--config FILE] [--json]';

/** What diagnose says about this script now (best effort: no diagnosis is a note, not a refusal). */
async function evidenceFor(ctx: CommandContext, subscription: string, shown: string): Promise<{ evidence: unknown[]; note: string | null }> {
  try {
    const r = await runDiagnose({ config: ctx.config, env: ctx.env, args: { command: 'diagnose', flags: new Map([['subscription', [subscription]]]), positional: [] } });
    const doc = r.json as { subscriptions?: Array<{ sources?: Array<{ kind?: string; path?: string }> }> };
    const sources = (doc.subscriptions ?? []).flatMap((s) => s.sources ?? []).filter((s) => s.kind === 'script' && s.path === shown);
    return { evidence: sources, note: sources.length ? null : 'the diagnosis does not name this file as a source' };
  } catch (err) {
    if (err instanceof SendtraceError) return { evidence: [], note: `no diagnosis attached: ${err.message}` };
    throw err;
  }
}

function summary(m: Manifest, dryRun: boolean) {
  return {
    id: dryRun ? null : m.id, dryRun, originalPath: m.originalPath, sha256: m.sha256, quarantinedAt: dryRun ? null : m.quarantinedAt,
    subscription: m.subscription.name, size: m.size, owner: m.owner, mode: `0${m.mode.toString(8)}`, mtime: m.mtimeMs,
    reason: m.reason, evidence: m.evidence.length, notes: m.notes,
  };
}

export async function runQuarantine(ctx: CommandContext): Promise<CommandResult> {
  const { config } = ctx;
  const pathArg = requiredFlag(ctx, 'path', QUARANTINE_USAGE);
  const reason = cleanText(valueFlag(ctx, 'reason') ?? 'quarantined by an administrator');
  const dryRun = boolFlag(ctx, 'dry-run');
  const start = startAction(ctx, { recover: true });
  const path = decodePathArgument(pathArg);
  const notes = start.notes;   // audited() may add one
  const base = { action: 'quarantine' as const, target: showPath(path), subscription: null, dryRun };
  const out = await audited(start, base, async () => {
    const places = subscriptionPlaces(await readPanelNow(config, start.now), config.vhostsRoot);
    checkQuarantineDirPlacement(config, places);
    const checked = checkFileInSubscription(path, places, config);
    try {
      // The sidecar passes what its current diagnosis says of this file; the CLI diagnoses afresh.
      const { evidence, note } = ctx.evidence?.length ? { evidence: ctx.evidence, note: null } : await evidenceFor(ctx, checked.place.name, checked.shown);
      if (note) notes.push(note);
      const r = quarantineFile({ checked, reason, actor: start.actor, evidence, now: start.now, zone: config.timezone, quarantineDir: config.quarantineDir, stateDir: config.stateDir }, { dryRun });
      const m = r.manifest;
      return {
        value: m,
        entry: {
          subscription: m.subscription.name, reason, watch: [`script:${m.originalPath}`, `uid:${m.owner.uid}`],
          details: { id: dryRun ? null : m.id, sha256: m.sha256, size: m.size },
        },
      };
    } finally {
      checked.close();
    }
  });
  const json = summary(out, dryRun);
  const text = dryRun
    ? `Dry run: would quarantine ${out.originalPath} (${out.size} bytes, sha256 ${out.sha256}) of subscription ${out.subscription.name}. Nothing was changed.`
    : [`Quarantined ${out.originalPath} (${out.size} bytes, sha256 ${out.sha256}) of subscription ${out.subscription.name} as ${out.id}.`,
      'The web server can no longer run it or serve it; only root can read the quarantined copy.',
      `Undo: sendtrace restore --id ${out.id}`, ...out.notes].join('\n');
  return { json, text, exit: exitAfterAudit(start, EXIT.ok), notes };
}
