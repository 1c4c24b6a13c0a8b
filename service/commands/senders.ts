// `sendtrace senders`: who sent how much, from the Postfix mail log alone
// (CONTRACT.md `senders`). One streaming pass; memory does not grow with the
// log. A re-run over unchanged logs is answered from the cache: the mail flow
// (mail-flow-pass.ts), and the finished report itself, whose key adds what
// the report reads beside the flow (the passwd file, the path warnings).
// The report's entry holds the document as --json prints it, so that it is
// serialised once (for the entry and stdout) and a cached --json run prints
// it without parsing it (decision 012, last addendum).
import { EXIT, createError } from '../errors.ts';
import { escapeControls } from '../sources/bytes.ts';
import { readPasswd, type Passwd } from '../sources/passwd.ts';
import { cacheKey, readCacheBytes, writeCacheEntry } from '../sources/state-cache.ts';
import { parseIsoInstant } from '../time.ts';
import type { CommandContext, CommandResult } from './command.ts';
import { fileIdentities, prepareFlowPass, runFlowPass } from './mail-flow-pass.ts';
import { buildSendersReport, formatSendersText, type SendersReport } from './senders-report.ts';

/** Bump when the report's entry changes its layout: this head as one JSON line, then the report as JSON.stringify(report, null, 2). */
const REPORT_FORMAT = 2;
type StoredHead = { exit: number; notes: string[] };

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

  const prepared = await prepareFlowPass({ patterns, zone: config.timezone, referenceMs: until ?? Date.now(), since, until, stateDir: config.stateDir });
  const { cacheDir } = prepared;
  const reportKey = prepared.key && cacheKey({ REPORT_FORMAT, flow: prepared.key, passwd: await fileIdentities([config.passwdFile]), warnings: prepared.expanded.warnings });
  if (cacheDir && reportKey) {
    const { bytes } = await readCacheBytes(cacheDir, reportKey);
    const nl = bytes ? bytes.indexOf(10) : -1;
    if (bytes && nl > 0) {
      const d = JSON.parse(bytes.toString('utf8', 0, nl)) as StoredHead;
      const jsonText = bytes.toString('utf8', nl + 1);
      // Parsed only when read: --json prints jsonText as it is; the table needs the document.
      let report: SendersReport | undefined;
      const parsed = () => (report ??= JSON.parse(jsonText) as SendersReport);
      const notes = [...prepared.notes, `mail log: ${prepared.expanded.files.length} unchanged file(s), answered from the cache`, ...d.notes];
      return { get json() { return parsed(); }, jsonText, get text() { return formatSendersText(parsed()); }, exit: d.exit, notes };
    }
  }
  const pass = await runFlowPass(prepared);
  const result = pass.flow;

  const warnings = [...pass.warnings];
  let passwd: Passwd | null = null;
  if ([...result.senders.values()].some((s) => s.kind === 'uid')) {
    const read = await readPasswd(config.passwdFile);
    passwd = read.passwd;
    warnings.push(...read.warnings);
  }
  const report = buildSendersReport({ flow: result, files: pass.files, warnings, passwd, zone: config.timezone, since, until });

  // File names can come from a glob over customer-writable folders: escaped for the terminal.
  const notes = warnings.map(escapeControls);
  if (result.unparsed > 0) {
    notes.push(`${result.unparsed} of ${result.lines} lines looked like Postfix but did not parse; for example:`);
    notes.push(...result.unparsedExamples.map((e) => `  ${e}`));
  }
  if (result.evicted > 0) notes.push(`${result.evicted} messages were still open when the limit of open messages was reached; they were counted early`);
  const exit = pass.readable === 0 ? EXIT.unreadable : warnings.length > 0 ? EXIT.partial : EXIT.ok;
  let jsonText: string | undefined;
  if (cacheDir && reportKey && (pass.cache === 'hit' || pass.cache === 'stored')) {
    jsonText = JSON.stringify(report, null, 2);
    await writeCacheEntry(cacheDir, reportKey, [JSON.stringify({ exit, notes } satisfies StoredHead), '\n', jsonText]).catch((err: unknown) => {
      if (!(err instanceof Error && 'code' in err)) throw err;
      pass.notes.push(`mail log cache: cannot write in ${cacheDir}: ${err.message}`);
    });
  }
  // The table is made only when it is printed (not for --json).
  return { json: report, ...(jsonText !== undefined ? { jsonText } : {}), get text() { return formatSendersText(report); }, exit, notes: [...pass.notes, ...notes] };
}
