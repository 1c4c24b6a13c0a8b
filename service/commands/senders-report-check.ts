// The run-time check of the `senders` document before it leaves the program
// (CONTRACT.md `senders`): the same rules as SendersReportSchema, written out
// so that they read each value once and copy nothing. zod's parse of the
// ~10 000 sender rows of a large server was the largest part of the work
// after the mail-log pass, and its copy of the document most of the garbage
// (docs/decisions/012-maillog-scan-speed.md, last addendum).
//
// The guarantee is kept in two halves:
// - here, on every run: each field has its type (count = a safe integer ≥ 0,
//   as z.number().int().nonnegative(); kind one of the three; times a string
//   or null), nothing required is missing, and nothing unknown is present
//   (zod would strip an unknown key; this refuses it: the document is built
//   by our own code, so an unknown key is a bug to hear about);
// - in test/commands/senders-report-check.test.ts: real documents (real
//   Postfix logs, the bench generator's world) pass SendersReportSchema.parse
//   unchanged, the key lists below are the schema's, and every mutation the
//   schema refuses this check refuses too.
// A document that fails is a bug in this program: an internal error, as a
// failed zod parse was.
import type { SendersReport } from './senders-report.ts';

export const REPORT_KEYS = [
  'lines', 'unparsed', 'unparsedExamples', 'messages', 'unattributed', 'reinjections', 'evicted',
  'since', 'until', 'first', 'last', 'totals', 'limitRejects', 'senders', 'files', 'warnings',
] as const;
export const ROW_KEYS = [
  'kind', 'id', 'login', 'messages', 'recipients', 'sent', 'deferred', 'bounced', 'rejected', 'limitRejected',
  'firstSeen', 'lastSeen', 'peakHour', 'fromAddresses', 'clientIps', 'scripts',
] as const;
export const TOTALS_KEYS = ['recipients', 'sent', 'deferred', 'bounced', 'rejected', 'limitRejected'] as const;
const ROW_COUNTS = ['messages', 'recipients', 'sent', 'deferred', 'bounced', 'rejected', 'limitRejected'] as const;
const KINDS = new Set(['uid', 'sasl', 'client']);

type Rec = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new Error(`senders report: ${path} is not ${what}`);
}

/** A plain object with exactly `n` own enumerable keys (every named key is checked by the caller). */
function object(v: unknown, path: string, n: number): Rec {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object');
  let keys = 0;
  for (const k in v) if (Object.hasOwn(v, k)) keys++;
  if (keys !== n) fail(path, `an object of ${n} fields (it has ${keys})`);
  return v as Rec;
}

function count(o: Rec, key: string, path: string): void {
  const v = o[key];
  if (!(Number.isSafeInteger(v) && (v as number) >= 0)) fail(`${path}.${key}`, 'a count');
}

function string(o: Rec, key: string, path: string): void {
  if (typeof o[key] !== 'string') fail(`${path}.${key}`, 'a string');
}

function iso(o: Rec, key: string, path: string): void {
  const v = o[key];
  if (v !== null && typeof v !== 'string') fail(`${path}.${key}`, 'a string or null');
}

function array(o: Rec, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) fail(`${path}.${key}`, 'an array');
  return v;
}

function strings(o: Rec, key: string, path: string): void {
  const a = array(o, key, path);
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'string') fail(`${path}.${key}[${i}]`, 'a string');
}

/** [{ [name]: string, count }, …] */
function top(o: Rec, key: string, name: string, path: string): void {
  const a = array(o, key, path);
  for (let i = 0; i < a.length; i++) {
    const p = `${path}.${key}[${i}]`;
    const e = object(a[i], p, 2);
    string(e, name, p);
    count(e, 'count', p);
  }
}

function row(v: unknown, path: string): void {
  const hasLogin = typeof v === 'object' && v !== null && Object.hasOwn(v, 'login');
  const r = object(v, path, hasLogin ? ROW_KEYS.length : ROW_KEYS.length - 1);
  if (!KINDS.has(r.kind as string)) fail(`${path}.kind`, 'uid, sasl or client');
  string(r, 'id', path);
  if (hasLogin) string(r, 'login', path);
  for (const k of ROW_COUNTS) count(r, k, path);
  iso(r, 'firstSeen', path);
  iso(r, 'lastSeen', path);
  if (r.peakHour !== null) {
    const peak = object(r.peakHour, `${path}.peakHour`, 2);
    string(peak, 'start', `${path}.peakHour`);
    count(peak, 'messages', `${path}.peakHour`);
  }
  top(r, 'fromAddresses', 'address', path);
  top(r, 'clientIps', 'ip', path);
  top(r, 'scripts', 'script', path);
}

/** The document itself, once checked; throws (a bug, not an input problem) naming the first field out of the contract. */
export function checkSendersReport(rep: SendersReport): SendersReport {
  const p = 'report';
  const r = object(rep, p, REPORT_KEYS.length);
  for (const k of ['lines', 'unparsed', 'messages', 'unattributed', 'reinjections', 'evicted']) count(r, k, p);
  strings(r, 'unparsedExamples', p);
  for (const k of ['since', 'until', 'first', 'last']) iso(r, k, p);
  const totals = object(r.totals, `${p}.totals`, TOTALS_KEYS.length);
  for (const k of TOTALS_KEYS) count(totals, k, `${p}.totals`);
  const lr = object(r.limitRejects, `${p}.limitRejects`, 5);
  count(lr, 'total', `${p}.limitRejects`);
  count(lr, 'handlerRejects', `${p}.limitRejects`);
  iso(lr, 'first', `${p}.limitRejects`);
  iso(lr, 'last', `${p}.limitRejects`);
  top(lr, 'byFrom', 'from', `${p}.limitRejects`);
  const senders = array(r, 'senders', p);
  for (let i = 0; i < senders.length; i++) row(senders[i], `${p}.senders[${i}]`);
  const files = array(r, 'files', p);
  for (let i = 0; i < files.length; i++) {
    const fp = `${p}.files[${i}]`;
    const f = object(files[i], fp, 4);
    string(f, 'path', fp);
    count(f, 'lines', fp);
    if (typeof f.gzip !== 'boolean') fail(`${fp}.gzip`, 'a boolean');
    if (typeof f.complete !== 'boolean') fail(`${fp}.complete`, 'a boolean');
  }
  strings(r, 'warnings', p);
  return rep;
}
