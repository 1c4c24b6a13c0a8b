// Parses what `mysql -N -B` (and so `plesk db -N -B`) prints: one row a line,
// fields separated by TAB, SQL NULL printed as `NULL`, and inside a field the
// client's escapes \0 \t \n \\ (it prints \r raw; `\r` is decoded too, as LOAD
// DATA does). The output is data from the panel, so every row is checked with
// zod at this door before anything else sees it.
//
// One ambiguity is the client's, not ours: a text field holding the four
// letters NULL prints exactly like SQL NULL. Columns that cannot be NULL use
// `sqlText`, which reads `NULL` back as the text; nullable ones use
// `sqlNullableText`, which reads it as null.
import { z } from 'zod';
import { createError } from '../errors.ts';
import { parseSqlDatetime } from '../time.ts';

export type BatchField = string | null;

const ESCAPES: Record<string, string> = { '0': '\0', t: '\t', n: '\n', r: '\r', '\\': '\\' };

/** One raw field → its value; undefined when it holds an escape the client never writes. */
export function decodeBatchField(raw: string): BatchField | undefined {
  if (raw === 'NULL') return null;
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const decoded = ESCAPES[raw[i + 1] ?? ''];
    if (decoded === undefined) return undefined;
    out += decoded;
    i++;
  }
  return out;
}

/**
 * Splits output into rows of decoded fields. A row with another number of
 * fields than asked means the framing is broken (or the query is not the one we
 * think): that is an error naming the query, not a row to skip.
 */
export function splitBatchRows(stdout: string, columns: number, query: string): Array<BatchField[] | undefined> {
  if (stdout === '') return [];
  if (!stdout.endsWith('\n')) throw createError('SENDTRACE_ERR_PANEL_DB', query, 'output ends in the middle of a row');
  const lines = stdout.slice(0, -1).split('\n');
  return lines.map((line, i) => {
    const raw = line.split('\t');
    if (raw.length !== columns) throw createError('SENDTRACE_ERR_PANEL_DB', query, `row ${i + 1} has ${raw.length} fields, expected ${columns}`);
    const fields = raw.map(decodeBatchField);
    return fields.includes(undefined) ? undefined : (fields as BatchField[]);
  });
}

export type BatchResult<T> = { rows: T[]; skipped: number; firstProblem: string | null };

/**
 * Parses rows into objects keyed by `columns` and validates each with `schema`.
 * Rows that fail are counted and skipped (the caller warns), never guessed at.
 */
export function parseBatchRows<S extends z.ZodType>(stdout: string, query: string, columns: readonly string[], schema: S): BatchResult<z.output<S>> {
  const rows: Array<z.output<S>> = [];
  let skipped = 0;
  let firstProblem: string | null = null;
  splitBatchRows(stdout, columns.length, query).forEach((fields, i) => {
    if (!fields) {
      skipped++;
      firstProblem ??= `row ${i + 1}: unknown backslash escape`;
      return;
    }
    const record = Object.fromEntries(columns.map((name, k) => [name, fields[k]]));
    const parsed = schema.safeParse(record);
    if (parsed.success) rows.push(parsed.data);
    else {
      skipped++;
      const issue = parsed.error.issues[0];
      firstProblem ??= `row ${i + 1}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`;
    }
  });
  return { rows, skipped, firstProblem };
}

// Column schemas: the input is a decoded field (string | null).
const integerText = z.string().regex(/^-?\d+$/, 'not an integer').transform(Number).refine(Number.isSafeInteger, 'integer out of range');

/** A NOT NULL integer column. */
export const sqlInt = integerText;
/** A nullable integer column (or one from a LEFT JOIN). */
export const sqlNullableInt = integerText.nullable();
/** A NOT NULL text column: `NULL` here can only be the text itself. */
export const sqlText = z.string().nullable().transform((v) => v ?? 'NULL');
/** A nullable text column: `NULL` reads as null (see the header). */
export const sqlNullableText = z.string().nullable();

/** A NOT NULL DATETIME column, read as wall-clock time in `zone` → instant (ms). '0000-00-00 …' is refused. */
export function sqlDatetimeIn(zone: string) {
  return z
    .string()
    .refine((v) => /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/.test(v), 'not a DATETIME')
    .transform((v) => parseSqlDatetime(v, zone) as number);
}
