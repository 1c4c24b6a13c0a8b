// `diagnose`: read everything (each source may fail on its own and become a
// warning), then hand it to the pure analysis. CONTRACT.md `diagnose`.
import { existsSync } from 'node:fs';
import type { MailFlow } from '../analysis/mail-flow.ts';
import { diagnose, type SubscriptionEvidence } from '../analysis/diagnose.ts';
import { DiagnosisSchema, type Diagnosis } from '../analysis/diagnosis.ts';
import { createWebActivityReducer, type WebActivity } from '../analysis/web-activity.ts';
import { createError, EXIT, SendtraceError, describeError } from '../errors.ts';
import { readAccessLogs } from '../sources/access-log-reader.ts';
import { readPanel } from '../sources/panel-db.ts';
import type { PanelData } from '../sources/panel-data.ts';
import { inferPanel } from '../sources/inferred-panel.ts';
import { readAuditLog, type AuditRecord } from '../actions/audit-log.ts';
import { seriesFromMailFlow, verifyActions } from '../analysis/verify.ts';
import { readPasswd } from '../sources/passwd.ts';
import { readPhpMailLogs, type PhpMailLogSummary } from '../sources/php-maillog.ts';
import { scanPhpFiles } from '../sources/php-files.ts';
import { DAY, HOUR, formatIso, parseIsoInstant } from '../time.ts';
import type { Config } from '../config.ts';
import type { CommandContext, CommandResult } from './command.ts';
import { evidenceFor, indexGathered, placesOf, postsOf, type Gathered } from './diagnose-evidence.ts';
import { groupBy } from '../analysis/group.ts';
import { LAST_HOUR_MAX_AGE } from '../analysis/omc.ts';
import { formatDiagnosis } from './diagnose-report.ts';
import { passMailFlow } from './mail-flow-pass.ts';

const STATS_DAYS = 35;         // psa keeps OMC statistics for a month [V]
const CORRELATION_HOURS = 48;

export async function runDiagnose(ctx: CommandContext): Promise<CommandResult> {
  const { config } = ctx;
  const nowArg = ctx.args.flags.get('now')?.[0];
  const now = nowArg === undefined ? Date.now() : parseIsoInstant(nowArg, config.timezone);
  if (now === null) throw createError('SENDTRACE_ERR_USAGE', `--now '${nowArg}' is not an ISO-8601 instant (e.g. 2022-02-03T21:30:00+09:00)`);
  const only = ctx.args.flags.get('subscription')?.[0];
  const r = await computeDiagnosis(config, { now, ...(only ? { only } : {}) });
  return { json: r.doc, text: formatDiagnosis(r.doc, config.timezone), exit: r.exit, notes: r.notes };
}

/**
 * `psa`: what was read from psa (null: it could not be, and `psaError` says why), for the
 * sidecar's snapshot beside the document (collect.ts).
 */
export type DiagnosisRun = { doc: Diagnosis; exit: number; notes: string[]; psa: { panel: PanelData; statsLastCollected: number | null } | null; psaError: string | null };

/** Reads every source and diagnoses; shared by the CLI and the sidecar. */
export async function computeDiagnosis(config: Config, opts: { now: number; only?: string }): Promise<DiagnosisRun> {
  const { now, only } = opts;
  const zone = config.timezone;
  const warnings: string[] = [];
  const notes: string[] = [];
  let readable = 0;
  const window = { from: now - CORRELATION_HOURS * HOUR, to: now };
  let psaError: string | null = null;

  // psa's hourly statistics as totals per object, with the newest row only where it can be the last hour's (readOmc).
  // psa is read by another process (`plesk db`): it runs while this one reads the passwd file and the mail
  // flow (scanned, or from the cache, when the psa read is the longer of the two). Their warnings keep this
  // order whichever ends first: psa, passwd, mail log.
  const psaRead = readPanel(config, { since: now - STATS_DAYS * DAY, until: now, newestSince: now - LAST_HOUR_MAX_AGE }).catch((err: unknown) => {
    if (err instanceof SendtraceError) return err;
    throw err;
  });
  const flowWarnings: string[] = [];
  const [panelOrError, { passwd, warnings: pw }, flow] = await Promise.all([
    psaRead, readPasswd(config.passwdFile), readFlow(config, now, window, flowWarnings, notes),
  ]);
  const panelRead = panelOrError instanceof SendtraceError ? null : panelOrError;
  if (panelOrError instanceof SendtraceError) {
    warnings.push(panelOrError.message);
    psaError = panelOrError.message;
  } else {
    readable++;
    warnings.push(...panelOrError.warnings);
  }
  warnings.push(...pw, ...flowWarnings);
  if (flow) readable++;
  const phpMail = await readPhpMail(config.phpMailLog, zone, now, warnings);
  if (phpMail?.records) readable++;
  const web = await readWeb(config.accessLogs, now, window, warnings);
  if (web?.records) readable++;

  let panel = panelRead?.panel ?? null;
  if (!panel) {
    if (!readable) throw createError('SENDTRACE_ERR_NOTHING_READABLE', warnings.join('; '));
    // Partial results: the logs still say who sent what; find the homes on disk.
    const inferred = await inferPanel(config.vhostsRoot, passwd);
    warnings.push(...inferred.warnings);
    panel = inferred.panel;
  }

  const g: Gathered = { now, zone, window, panel, passwd, flow, phpMail, web };
  const evidence = new Map<number, SubscriptionEvidence>();
  const ix = indexGathered(g, config.vhostsRoot);
  for (const p of placesOf(g, config.vhostsRoot, ix)) {
    if (only && p.sub.name !== only) continue;
    const posts = postsOf(g, p, existsSync, ix);
    const phpPaths = p.home === null ? [] : (ix.phpMailByDir.get(p.home.replace(/\/+$/, '')) ?? []).map((s) => s.path);
    const active = phpPaths.length > 0 || posts.length > 0 || (p.uid !== null && (flow?.senders.get(`uid:${p.uid}`)?.messages ?? 0) > 0);
    let files: Awaited<ReturnType<typeof scanPhpFiles>>['files'] = [];
    // Only subscriptions that sent mail or received POSTs are walked: a server
    // can hold millions of PHP files, and a quiet subscription has no culprit.
    if (p.home && active) {
      const scanned = await scanPhpFiles({
        home: p.home,
        docroots: [...new Set(p.docroots.values())],
        extraPaths: [...phpPaths, ...posts.flatMap((x) => (x.filePath ? [x.filePath] : []))],
      }).catch((err: unknown) => {
        warnings.push(`cannot scan files of ${p.sub.name} under ${p.home}: ${describeError(err)}`);
        return null;
      });
      if (scanned) {
        files = scanned.files;
        warnings.push(...scanned.warnings);
      }
    }
    evidence.set(p.sub.id, evidenceFor(g, p, files.map((f) => ({ ...f, sha256: f.sha256 ?? null })), posts, config.vhostsRoot, ix));
  }
  const oldest = flow?.firstTs ?? null;
  const verified = verifyFromAudit(config, now, flow, window, warnings);
  const doc = DiagnosisSchema.parse(verified(diagnose({ now, zone, warnings, panel, evidence, oldestData: oldest, ...(only ? { only } : {}) })));
  if (only && doc.subscriptions.length === 0) throw createError('SENDTRACE_ERR_NOT_FOUND', 'Subscription', only);
  const psa = panelRead ? { panel: panelRead.panel, statsLastCollected: panelRead.statsLastCollected } : null;
  return { doc, exit: warnings.length ? EXIT.partial : EXIT.ok, notes: [...notes, ...warnings], psa, psaError };
}

/** Attaches to each subscription what its sources did since each action in the audit log. */
function verifyFromAudit(config: Config, now: number, flow: MailFlow | null, window: { from: number; to: number }, warnings: string[]): (d: Diagnosis) => Diagnosis {
  let records: AuditRecord[] = [];
  try {
    const read = readAuditLog(config.stateDir);
    records = read.records.filter((r) => r.at <= now);
    warnings.push(...read.warnings);
  } catch (err) {
    if (!(err instanceof SendtraceError)) throw err;
    warnings.push(err.message);
  }
  if (!records.length) return (d) => d;
  const series = flow ? seriesFromMailFlow(flow, window) : new Map();
  const zone = config.timezone;
  const bySubscription = groupBy(records, (r) => r.subscription);
  return (d) => {
    for (const s of d.subscriptions) {
      const actions = (bySubscription.get(s.name) ?? [])
        .map((r) => ({ at: r.at, action: r.action, target: r.target, watch: r.watch, dryRun: r.dryRun, result: r.result }));
      s.verification = verifyActions({ now, zone, actions, series, dataUntil: flow?.lastTs ?? null })
        .map((v) => ({ ...v, at: formatIso(v.at, zone), since: formatIso(v.since, zone) }));
    }
    return d;
  };
}

async function readFlow(config: Config, now: number, window: { from: number; to: number }, warnings: string[], notes: string[]): Promise<MailFlow | null> {
  const pass = await passMailFlow({ patterns: config.maillog, zone: config.timezone, referenceMs: now, until: now, minuteWindow: window, stateDir: config.stateDir });
  const flow = pass.flow;
  notes.push(...pass.notes);
  warnings.push(...pass.warnings);
  if (flow.unparsed) {
    warnings.push(`${flow.unparsed} mail log lines looked like Postfix but did not parse and were skipped`);
    notes.push(...flow.unparsedExamples.map((e) => `unparsed: ${e}`));
  }
  return pass.readable ? flow : null;
}

async function readPhpMail(paths: string[], zone: string, now: number, warnings: string[]): Promise<PhpMailLogSummary | null> {
  if (!paths.length) return null;
  const sum = await readPhpMailLogs(paths, { timezone: zone, until: now });
  warnings.push(...sum.warnings);
  return sum;
}

async function readWeb(paths: string[], now: number, window: { from: number; to: number }, warnings: string[]): Promise<WebActivity | null> {
  if (!paths.length) return null;
  const reducer = createWebActivityReducer({ window });
  const res = await readAccessLogs(paths, { until: now }, (r) => reducer.add(r));
  warnings.push(...res.warnings);
  return reducer.result();
}
