// `sendtrace senders`: who sent how much, from the Postfix mail log alone
// (CONTRACT.md `senders`). One streaming pass; memory does not grow with the log.
import { createMailFlow } from '../analysis/mail-flow.ts';
import { EXIT, createError } from '../errors.ts';
import { escapeControls } from '../sources/bytes.ts';
import { scanMaillog } from '../sources/maillog-scan.ts';
import { readPasswd, type Passwd } from '../sources/passwd.ts';
import { parseIsoInstant } from '../time.ts';
import type { CommandContext, CommandResult } from './command.ts';
import { buildSendersReport, formatSendersText } from './senders-report.ts';

function instantFlag(ctx: CommandContext, name: string): number | undefined {
  const text = ctx.args.flags.get(name)?.[0];
  if (text === undefined) return undefined;
  const ms = parseIsoInstant(text, ctx.config.timezone);
  if (ms === null) throw createError('SENDTRACE_ERR_USAGE', `--${name} '${text.slice(0, 64)}' is not an ISO-8601 instant (e.g. 2022-02-03T22:15:00+09:00)`);
  return ms;
}

export async function runSenders(ctx: CommandContext): Promise<CommandResult> {
  const { config } = ctx;
  const since = instantFlag(ctx, 'since');
  const until = instantFlag(ctx, 'until');
  if (since !== undefined && until !== undefined && since > until) throw createError('SENDTRACE_ERR_USAGE', '--since is later than --until');
  const patterns = ctx.args.flags.get('maillog') ?? config.maillog;

  const flow = createMailFlow({ since, until });
  const scan = await scanMaillog(patterns, { zone: config.timezone, referenceMs: until ?? Date.now(), onEvent: flow.add });
  const result = flow.finish({ lines: scan.lines, unparsed: scan.unparsed, unparsedExamples: scan.unparsedExamples });

  const warnings = [...scan.warnings];
  let passwd: Passwd | null = null;
  if ([...result.senders.values()].some((s) => s.kind === 'uid')) {
    const read = await readPasswd(config.passwdFile);
    passwd = read.passwd;
    warnings.push(...read.warnings);
  }
  const report = buildSendersReport({ flow: result, files: scan.files, warnings, passwd, zone: config.timezone, since, until });

  // File names can come from a glob over customer-writable folders: escaped for the terminal.
  const notes = warnings.map(escapeControls);
  if (result.unparsed > 0) {
    notes.push(`${result.unparsed} of ${result.lines} lines looked like Postfix but did not parse; for example:`);
    notes.push(...result.unparsedExamples.map((e) => `  ${e}`));
  }
  if (result.evicted > 0) notes.push(`${result.evicted} messages were still open when the limit of open messages was reached; they were counted early`);
  const exit = scan.readable === 0 ? EXIT.unreadable : warnings.length > 0 ? EXIT.partial : EXIT.ok;
  return { json: report, text: formatSendersText(report), exit, notes };
}
