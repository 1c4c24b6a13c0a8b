// `purge-queue --subscription NAME [--source PATH | --uid N | --sender ADDR] [--dry-run]`
// (CONTRACT.md Actions): removes the queued mail of one source of one
// subscription, and nothing else. Without a source: the mail its system user
// submitted (the path scripts take: sendmail → pickup).
import { basename } from 'node:path';
import { createError, EXIT } from '../errors.ts';
import { audited, boolFlag, readPanelNow, requiredFlag, startAction, valueFlag } from '../actions/action-context.ts';
import { listIds, readManifest } from '../actions/manifest.ts';
import { decodePathArgument, showPath } from '../actions/path-arg.ts';
import { deleteQueued, listQueue, matchesSource, readQueueHeaders, type QueuedMessage, type QueueSource } from '../actions/queue.ts';
import { checkFileInSubscription, findHome, findSubscriptionByName, subscriptionPlaces } from '../actions/safe-path.ts';
import type { Config } from '../config.ts';
import type { PanelData, Subscription } from '../sources/panel-data.ts';
import { readPasswd } from '../sources/passwd.ts';
import { formatIso } from '../time.ts';
import type { CommandContext, CommandResult } from './command.ts';

export const PURGE_QUEUE_USAGE = 'purge-queue --subscription NAME [--source PATH | --uid N | --sender ADDR] [--dry-run] [--config FILE] [--json]';

function refuse(why: string): never {
  throw createError('SENDTRACE_ERR_REFUSED', why);
}

/** The owner UID of a script: from its quarantine manifest when it is already quarantined, else from the file. */
function scriptOwner(config: Config, panel: PanelData, sub: Subscription, path: Buffer): number {
  const places = subscriptionPlaces(panel, config.vhostsRoot).filter((p) => p.id === sub.id);
  if (!findHome(path, places)) refuse(`${showPath(path)} is not inside the home of subscription ${sub.name}`);
  const quarantined = listIds(config.quarantineDir).map((id) => readManifest(config.quarantineDir, id))
    .filter((m) => m !== null && m.originalPathBase64 === path.toString('base64')).at(-1);
  if (quarantined) return quarantined.owner.uid;
  const checked = checkFileInSubscription(path, places, config);
  try {
    return checked.file.st.uid;
  } finally {
    checked.close();
  }
}

async function sourceOf(ctx: CommandContext, panel: PanelData, sub: Subscription, warnings: string[]): Promise<{ source: QueueSource; shown: string }> {
  const { config } = ctx;
  const given = ['source', 'uid', 'sender'].filter((f) => ctx.args.flags.has(f));
  if (given.length > 1) throw createError('SENDTRACE_ERR_USAGE', `give one of --source, --uid, --sender\nusage: sendtrace ${PURGE_QUEUE_USAGE}`);
  const { passwd, warnings: pw } = await readPasswd(config.passwdFile);
  warnings.push(...pw);
  const subUid = sub.sysUser ? passwd.byLogin.get(sub.sysUser.login)?.uid ?? null : null;
  const sender = valueFlag(ctx, 'sender');
  if (sender !== undefined) {
    const domain = sender.slice(sender.lastIndexOf('@') + 1).toLowerCase();
    const domains = [sub.name, ...panel.domains.filter((d) => d.subscriptionId === sub.id).map((d) => d.name)].map((d) => d.toLowerCase());
    if (!sender.includes('@') || !domains.includes(domain)) refuse(`${sender} is not an address of subscription ${sub.name} (its domains: ${domains.join(', ')})`);
    return { source: { kind: 'sender', address: sender }, shown: `sender ${sender}` };
  }
  const uidArg = valueFlag(ctx, 'uid');
  if (uidArg !== undefined) {
    if (!/^\d+$/.test(uidArg)) throw createError('SENDTRACE_ERR_USAGE', `--uid '${uidArg}' is not a number`);
    if (subUid === null || Number(uidArg) !== subUid) refuse(`uid ${uidArg} is not the system user of subscription ${sub.name}${subUid === null ? '' : ` (uid ${subUid})`}`);
    return { source: { kind: 'uid', uid: subUid }, shown: `uid ${subUid}` };
  }
  const pathArg = valueFlag(ctx, 'source');
  if (pathArg !== undefined) {
    const path = decodePathArgument(pathArg);
    const uid = scriptOwner(config, panel, sub, path);
    // The header names the basename only (reference/plesk.md §2 [V]); bytes that are not UTF-8 compare after the same decoding.
    const name = basename(path.toString('utf8'));
    return { source: { kind: 'script', uid, name, path: showPath(path) }, shown: `script ${showPath(path)} (X-PHP-Originating-Script: ${uid}:${name})` };
  }
  if (subUid === null) refuse(`the system user of subscription ${sub.name} has no uid in ${config.passwdFile}; name the source with --sender or --source`);
  return { source: { kind: 'uid', uid: subUid }, shown: `uid ${subUid} (the subscription's system user)` };
}

const same = (a: QueuedMessage, b: QueuedMessage) => a.queueId === b.queueId && a.arrival === b.arrival && a.size === b.size && a.sender === b.sender;

export async function runPurgeQueue(ctx: CommandContext): Promise<CommandResult> {
  const { config } = ctx;
  const name = requiredFlag(ctx, 'subscription', PURGE_QUEUE_USAGE);
  const dryRun = boolFlag(ctx, 'dry-run');
  const start = startAction(ctx, { recover: false });
  const warnings: string[] = start.notes;   // audited() may add one (and then exit is 1)
  const out = await audited(start, { action: 'purge-queue', target: name, subscription: name, dryRun }, async () => {
    const panel = await readPanelNow(config, start.now);
    const sub = findSubscriptionByName(panel.subscriptions, name);
    const { source, shown } = await sourceOf(ctx, panel, sub, warnings);
    const needsHeaders = source.kind !== 'sender';
    const find = async () => {
      const q = await listQueue(config.postfixBin, ctx.env);
      if (q.skipped) warnings.push(`postqueue -j: ${q.skipped} line(s) did not parse and were skipped`);
      const headers = needsHeaders ? await readQueueHeaders(config.postfixBin, ctx.env, q.messages.map((m) => m.queueId)) : new Map();
      return { all: q.messages, matched: q.messages.filter((m) => matchesSource(m, headers.get(m.queueId), source)) };
    };
    const first = await find();
    let removed: string[] = [];
    if (!dryRun && first.matched.length) {
      // Queue IDs are reused once a message is gone: delete only what is still
      // the very message we matched (same arrival, size and sender).
      const now = await listQueue(config.postfixBin, ctx.env);
      const still = first.matched.filter((m) => now.messages.some((n) => same(m, n)));
      removed = (await deleteQueued(config.postfixBin, ctx.env, still.map((m) => m.queueId))).removed;
    }
    const watch = source.kind === 'uid' ? [`uid:${source.uid}`] : source.kind === 'script' ? [`script:${source.path}`, `uid:${source.uid}`] : [];
    return {
      value: { first, removed, shown },
      entry: { subscription: sub.name, target: `${sub.name}: ${shown}`, watch, details: { matched: first.matched.length, removed: removed.length } },
    };
  });
  const messages = out.first.matched.slice(0, 1000).map((m) => ({
    queueId: m.queueId, queue: m.queue, arrival: formatIso(m.arrival, config.timezone), sender: m.sender, recipients: m.recipients,
    removed: out.removed.includes(m.queueId),
  }));
  const json = {
    subscription: name, source: out.shown, dryRun, queued: out.first.all.length, matched: out.first.matched.length,
    removed: out.removed.length, kept: out.first.all.length - out.removed.length, messages, warnings,
  };
  const text = dryRun
    ? `Dry run: ${out.first.matched.length} of ${out.first.all.length} queued message(s) come from ${out.shown} and would be removed. Nothing was changed.`
    : `Removed ${out.removed.length} queued message(s) from ${out.shown}${out.removed.length < out.first.matched.length ? ` (${out.first.matched.length - out.removed.length} had left the queue meanwhile)` : ''}; ${json.kept} other message(s) stay queued.`;
  return { json, text, exit: warnings.length ? EXIT.partial : EXIT.ok, notes: warnings };
}
