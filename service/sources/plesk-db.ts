// Queries through `plesk db -N -B -e SQL` (reference/plesk.md §4.3: `plesk db` is
// the mysql client on psa with its flags passed through — [V] usage of -N/-e, [I]
// for -B). The same path runs against a real Plesk and against the test
// simulator; only `config.plesk` differs.
//
// Several queries travel in one call (one client process, one connection), each
// preceded by a marker row `SELECT 'sendtrace-query-N'`. The marker is a single
// field; every query returns at least two columns, so a data row (which then
// contains a TAB) can never be mistaken for a marker. The client stops at the
// first failing statement: the last marker printed names it. A missing optional
// table is reported and the batch resumes after it.
import type { z } from 'zod';
import type { Config } from '../config.ts';
import { SendtraceError, createError, describeError } from '../errors.ts';
import { parseBatchRows } from './mysql-batch.ts';
import { runCommand } from './run-command.ts';
import { sql, sqlJoin, type SqlText } from './sql-text.ts';

export type PleskDbQuery<S extends z.ZodType> = {
  /** Names the query in errors and warnings, e.g. 'subscriptions'. */
  label: string;
  sql: SqlText;
  columns: readonly string[];
  schema: S;
};

export type PleskDbResult<T> = {
  label: string;
  rows: T[];
  warnings: string[];
  /** Set when the query failed only because this table does not exist (older Plesk). */
  missingTable: string | null;
};

type Results<Q extends ReadonlyArray<PleskDbQuery<z.ZodType>>> = { -readonly [K in keyof Q]: PleskDbResult<z.output<Q[K]['schema']>> };

/** The line of the client's stderr that says what went wrong (it first echoes the statement between dashes). */
export function summarizeStderr(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^-+$/.test(l));
  return lines.find((l) => /^ERROR \d+/.test(l)) ?? lines[0] ?? '';
}

/** `ERROR 1146 (42S02) … Table 'psa.X' doesn't exist` → X. */
export function missingTableOf(stderr: string): string | null {
  return /^ERROR 1146 \(42S02\)[^\n]*Table '(?:[^'.]*\.)?([^']+)' doesn't exist/m.exec(stderr)?.[1] ?? null;
}

const MARKER = /^sendtrace-query-(\d+)$/;

/** stdout → text of each query that got as far as its marker (index → rows text); `stray`: lines before any marker. */
function splitSections(stdout: string): { sections: Map<number, string>; stray: boolean } {
  const sections = new Map<number, string>();
  let current: number | null = null;
  let stray = false;
  if (stdout === '') return { sections, stray };
  for (const line of stdout.split('\n').slice(0, stdout.endsWith('\n') ? -1 : undefined)) {
    const m = MARKER.exec(line);
    if (m) {
      current = Number(m[1]);
      sections.set(current, '');
    } else if (current === null) stray = true;
    else sections.set(current, `${sections.get(current)}${line}\n`);
  }
  return { sections, stray };
}

/**
 * Runs the queries, in order, in as few `plesk db` calls as possible. Throws
 * SENDTRACE_ERR_PANEL_DB when `plesk db` cannot run, times out, or a query fails
 * for another reason than a missing table (which the caller judges).
 */
export async function queryPleskDb<const Q extends ReadonlyArray<PleskDbQuery<z.ZodType>>>(
  config: Pick<Config, 'plesk'>,
  queries: Q,
  options: { timeoutMs: number },
): Promise<Results<Q>> {
  for (const q of queries) if (q.columns.length < 2) throw new TypeError(`query '${q.label}' must return at least two columns (marker framing)`);
  const results: Array<PleskDbResult<unknown>> = [];
  while (results.length < queries.length) {
    const first = results.length;
    const text = sqlJoin(queries.slice(first).map((q, k) => sql`SELECT 'sendtrace-query-${first + k}';\n${q.sql};\n`));
    const label = queries.length - first === 1 ? queries[first]!.label : `${queries[first]!.label} and ${queries.length - first - 1} more`;
    let run;
    try {
      run = await runCommand([config.plesk, 'db', '-N', '-B', '-e', text.text], { timeoutMs: options.timeoutMs });
    } catch (err) {
      // Not found, not executable, timed out, too much output: runCommand's coded errors.
      if (err instanceof SendtraceError) throw createError('SENDTRACE_ERR_PANEL_DB', label, describeError(err));
      throw err;
    }
    const { sections, stray } = splitSections(run.stdout);
    if (run.code === 0 && stray) throw createError('SENDTRACE_ERR_PANEL_DB', label, 'output does not start with a query marker');
    if (run.code === 0 && run.stdout !== '' && !run.stdout.endsWith('\n')) throw createError('SENDTRACE_ERR_PANEL_DB', label, 'output ends in the middle of a row');
    // Complete sections: all of them on success; on failure, those before the last
    // marker printed (that query is the one that failed).
    const lastMarker = sections.size ? Math.max(...sections.keys()) : null;
    const failedAt = run.code === 0 ? null : lastMarker;
    if (run.code !== 0 && (failedAt === null || failedAt < first || failedAt >= queries.length)) {
      throw createError('SENDTRACE_ERR_PANEL_DB', label, summarizeStderr(run.stderr) || (run.signal ? `killed by ${run.signal}` : `exit code ${run.code}`));
    }
    const done = failedAt ?? queries.length;
    for (let i = first; i < done; i++) {
      const q = queries[i]!;
      const section = sections.get(i);
      if (section === undefined) throw createError('SENDTRACE_ERR_PANEL_DB', q.label, 'no result in the output');
      const { rows, skipped, firstProblem } = parseBatchRows(section, q.label, q.columns, q.schema);
      const warnings = skipped ? [`psa query '${q.label}': ${skipped} row(s) did not parse and were skipped (first: ${firstProblem})`] : [];
      results.push({ label: q.label, rows, warnings, missingTable: null });
    }
    if (failedAt === null) break;
    const missingTable = missingTableOf(run.stderr);
    if (!missingTable) throw createError('SENDTRACE_ERR_PANEL_DB', queries[failedAt]!.label, summarizeStderr(run.stderr) || `exit code ${run.code}`);
    results.push({ label: queries[failedAt]!.label, rows: [], warnings: [], missingTable });
  }
  return results as Results<Q>;
}
