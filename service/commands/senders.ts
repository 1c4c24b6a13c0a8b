// `sendtrace senders`: who sent how much, from the Postfix mail log alone
// (CONTRACT.md `senders`). One streaming pass; memory does not grow with the
// log. A re-run over unchanged logs is answered from the cache: the finished
// report, whose key is the mail flow's (mail-flow-pass.ts: the files, the
// options, this program) and the path warnings; the flow itself is not stored
// (decision 020). The entry holds the document as --json prints it, so that
// it is serialised once (for the entry and stdout) and a cached --json run
// prints it without parsing it (decision 012, last addendum); what it took
// from passwd is checked against the file on each cached run (withPasswdNow).
import { EXIT, createError } from '../errors.ts';
import { escapeControls } from '../sources/bytes.ts';
import { readPasswd, type Passwd } from '../sources/passwd.ts';
import { cacheKey, readCacheBytes } from '../sources/state-cache.ts';
import { parseIsoInstant } from '../time.ts';
import type { CommandContext, CommandResult } from './command.ts';
import { prepareFlowPass, runFlowPass, storeEntry } from './mail-flow-pass.ts';
import { checkSendersReport } from './senders-report-check.ts';
import { buildSendersReport, formatSendersText, type SendersReport } from './senders-report.ts';

/** Bump when the report's entry changes its layout: this head as one JSON line, then the report as JSON.stringify(report, null, 2). */
const REPORT_FORMAT = 3;
type StoredHead = {
  exit: number;
  notes: string[];
  /** No log could be read (the exit code says so whatever the warnings). */
  unreadable: boolean;
  /**
   * What the rows took from the passwd file: the login of each uid sender (null: none), and what reading it warned.
   * passwd is not in the key: a cached run reads it again and mends the stored document only when either differs.
   */
  logins: Array<[number, string | null]>;
  passwdWarnings: string[];
};

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
  const reportKey = prepared.key && cacheKey({ REPORT_FORMAT, flow: prepared.key, warnings: prepared.expanded.warnings });
  if (cacheDir && reportKey) {
    const { bytes } = await readCacheBytes(cacheDir, reportKey);
    const nl = bytes ? bytes.indexOf(10) : -1;
    if (bytes && nl > 0) {
      const d = await withPasswdNow(config.passwdFile, JSON.parse(bytes.toString('utf8', 0, nl)) as StoredHead, bytes.toString('utf8', nl + 1));
      if (d.mended) await storeEntry(cacheDir, reportKey, [JSON.stringify(d.head), '\n', d.jsonText], prepared.notes);
      const { jsonText } = d;
      // Parsed only when read: --json prints jsonText as it is; the table needs the document.
      let report: SendersReport | undefined = d.report;
      const parsed = () => (report ??= JSON.parse(jsonText) as SendersReport);
      const notes = [...prepared.notes, `mail log: ${prepared.expanded.files.length} unchanged file(s), answered from the cache`, ...d.head.notes];
      return { get json() { return parsed(); }, jsonText, get text() { return formatSendersText(parsed()); }, exit: d.head.exit, notes };
    }
  }
  // No flow entry: this command's re-runs are answered from the report's entry, whose key includes the flow's.
  const pass = await runFlowPass(prepared, { flowEntry: false });
  const result = pass.flow;

  let passwd: Passwd | null = null;
  let passwdWarnings: string[] = [];
  // By key (`uid:N`): reading the values would build every sender's stats (mail-flow-tally.ts TallySenders).
  if ([...result.senders.keys()].some((k) => k.startsWith('uid:'))) {
    const read = await readPasswd(config.passwdFile);
    passwd = read.passwd;
    passwdWarnings = read.warnings;
  }
  const warnings = [...pass.warnings, ...passwdWarnings];
  const report = buildSendersReport({ flow: result, files: pass.files, warnings, passwd, zone: config.timezone, since, until });

  const extra: string[] = [];
  if (result.unparsed > 0) {
    extra.push(`${result.unparsed} of ${result.lines} lines looked like Postfix but did not parse; for example:`);
    extra.push(...result.unparsedExamples.map((e) => `  ${e}`));
  }
  if (result.evicted > 0) extra.push(`${result.evicted} messages were still open when the limit of open messages was reached; they were counted early`);
  const unreadable = pass.readable === 0;
  const notes = notesOf(warnings, extra);
  const exit = exitOf(unreadable, warnings);
  let jsonText: string | undefined;
  if (cacheDir && reportKey && pass.cache === 'cacheable') {
    jsonText = JSON.stringify(report, null, 2);
    const logins: StoredHead['logins'] = report.senders.filter((r) => r.kind === 'uid').map((r) => [Number(r.id), r.login ?? null]);
    const head: StoredHead = { exit, notes, unreadable, logins, passwdWarnings };
    await storeEntry(cacheDir, reportKey, [JSON.stringify(head), '\n', jsonText], pass.notes);
  }
  // The table is made only when it is printed (not for --json).
  return { json: report, ...(jsonText !== undefined ? { jsonText } : {}), get text() { return formatSendersText(report); }, exit, notes: [...pass.notes, ...notes] };
}

// File names can come from a glob over customer-writable folders: escaped for the terminal.
const notesOf = (warnings: string[], extra: string[]) => [...warnings.map(escapeControls), ...extra];
const exitOf = (unreadable: boolean, warnings: string[]) => (unreadable ? EXIT.unreadable : warnings.length > 0 ? EXIT.partial : EXIT.ok);

/**
 * A stored report as the passwd file reads now: unchanged (the common case: printed as stored) when the uid
 * senders' logins and passwd's warnings are the same as when it was made, else mended: logins, warnings, notes
 * and exit code as a run from scratch would give them (the rows' order does not depend on them).
 */
async function withPasswdNow(passwdFile: string, head: StoredHead, jsonText: string): Promise<{ head: StoredHead; jsonText: string; report?: SendersReport; mended: boolean }> {
  if (head.logins.length === 0) return { head, jsonText, mended: false };
  const read = await readPasswd(passwdFile);
  const logins: StoredHead['logins'] = head.logins.map(([uid]) => [uid, read.passwd.byUid.get(uid)?.login ?? null]);
  if (JSON.stringify(logins) === JSON.stringify(head.logins) && JSON.stringify(read.warnings) === JSON.stringify(head.passwdWarnings)) return { head, jsonText, mended: false };
  const old = JSON.parse(jsonText) as SendersReport;
  const byUid = new Map(logins);
  const senders = old.senders.map((row) => {
    if (row.kind !== 'uid') return row;
    const { kind, id, login: _was, ...rest } = row;
    const login = byUid.get(Number(id)) ?? null;
    return { kind, id, ...(login !== null ? { login } : {}), ...rest };
  });
  const kept = old.warnings.length - head.passwdWarnings.length;
  const warnings = [...old.warnings.slice(0, kept), ...read.warnings];
  const report = checkSendersReport({ ...old, senders, warnings });
  const extra = head.notes.slice(old.warnings.length);
  const mended: StoredHead = { ...head, exit: exitOf(head.unreadable, warnings), notes: notesOf(warnings, extra), logins, passwdWarnings: read.warnings };
  return { head: mended, jsonText: JSON.stringify(report, null, 2), report, mended: true };
}
