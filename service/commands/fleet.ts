// `fleet install` and `fleet scan` (CONTRACT.md "Fleet"): many Plesk servers
// over SSH, bounded concurrency, pinned host keys. Progress goes to stderr as
// hosts finish (a run over 50 servers takes minutes); the result is printed by
// cli.ts like any command's. Exit: 0 all hosts done; 1 some hosts failed;
// 4 (scan) no host answered; 2 bad usage, inventory or package.
import { readFile, stat } from 'node:fs/promises';
import { createError, describeError, EXIT } from '../errors.ts';
import { formatFleetInstall, installFleet, type PackageInfo } from '../fleet/fleet-install.ts';
import { readFleetOptions, selectTargets, type Progress } from '../fleet/fleet-run.ts';
import { scanFleet } from '../fleet/fleet-scan.ts';
import { formatFleetScan } from '../fleet/scan-report-text.ts';
import { parseExtensionMeta, readZipEntry } from '../fleet/zip-meta.ts';
import type { CommandContext, CommandResult } from './command.ts';

import { FLEET_SUBCOMMANDS, FLEET_USAGE } from './usage-lazy.ts';

export { FLEET_SUBCOMMANDS, FLEET_USAGE };
const MAX_PACKAGE = 256 << 20;

export type FleetIo = { progress?: Progress };

export async function runFleet(ctx: CommandContext, io: FleetIo = {}): Promise<CommandResult> {
  const progress = io.progress ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const [sub, ...extra] = ctx.args.positional;
  if (!sub || !(FLEET_SUBCOMMANDS as readonly string[]).includes(sub) || extra.length) {
    throw createError('SENDTRACE_ERR_USAGE', `fleet needs one of: ${FLEET_SUBCOMMANDS.join(', ')}\nusage:\n  sendtrace ${FLEET_USAGE.join('\n  sendtrace ')}`);
  }
  const o = readFleetOptions(ctx.args, ctx.env);
  if (sub === 'install') {
    const pkgPath = ctx.args.flags.get('package')?.[0];
    if (!pkgPath) throw createError('SENDTRACE_ERR_USAGE', 'fleet install needs --package ZIP');
    const pkg = await readPackage(pkgPath);
    const targets = await selectTargets(o, ctx.env);
    const doc = await installFleet(targets, pkg, o, ctx.env, progress);
    return { json: doc, text: formatFleetInstall(doc), exit: doc.failed ? EXIT.partial : EXIT.ok, notes: [] };
  }
  if (ctx.args.flags.has('package')) throw createError('SENDTRACE_ERR_USAGE', '--package belongs to fleet install');
  const targets = await selectTargets(o, ctx.env);
  const doc = await scanFleet(targets, o, ctx.env, progress);
  const exit = doc.failed === 0 ? EXIT.ok : doc.failed === doc.hosts.length ? EXIT.unreadable : EXIT.partial;
  return { json: doc, text: formatFleetScan(doc), exit, notes: [] };
}

async function readPackage(path: string): Promise<PackageInfo> {
  const unreadable = (err: unknown) => createError('SENDTRACE_ERR_USAGE', `--package ${path} cannot be read: ${describeError(err)}`);
  const { size } = await stat(path).catch((err: unknown) => { throw unreadable(err); });
  if (size > MAX_PACKAGE) throw createError('SENDTRACE_ERR_USAGE', `--package ${path} is larger than ${MAX_PACKAGE >> 20} MiB`);
  const data = await readFile(path).catch((err: unknown) => { throw unreadable(err); });
  let xml: Buffer | null;
  try {
    xml = readZipEntry(data, 'meta.xml');
  } catch (err) {
    throw createError('SENDTRACE_ERR_USAGE', `--package ${path}: ${describeError(err)}`);
  }
  if (!xml) throw createError('SENDTRACE_ERR_USAGE', `--package ${path} has no meta.xml at its top: not a Plesk extension package`);
  const parsed = parseExtensionMeta(xml.toString('utf8'));
  if ('error' in parsed) throw createError('SENDTRACE_ERR_USAGE', `--package ${path}: ${parsed.error}`);
  return { path, data, meta: parsed.meta };
}
