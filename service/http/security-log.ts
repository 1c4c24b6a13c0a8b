// Refused requests (bad signatures, unknown identities, attempts on
// subscriptions a user cannot see), one JSON line each in
// <stateDir>/security.log, appended with O_APPEND and never rewritten. The
// actions' audit log (service/actions/audit-log.ts) records actions only; its
// record schema has no place for a refused request, hence this file.
// Whoever can reach the socket could flood it, so lines are capped per second
// and the overflow is counted in the next line written. A line that cannot be
// written (a full disk) never turns a refusal into something else: the request
// is still refused, record() says why for the service log, and the next line
// written counts it (unwrittenBefore); a line cut short is left behind as a
// fragment of its own line, skipped by the reader.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createError, isErrno, SendtraceError } from '../errors.ts';
import { formatIso } from '../time.ts';
import { ensurePrivateDir, writeAll } from '../actions/state-files.ts';

export const SECURITY_FILE = 'security.log';

export const SecurityRecordSchema = z.object({
  v: z.literal(1),
  at: z.number(),
  time: z.string(),
  event: z.enum(['unauthenticated', 'forbidden', 'not-visible']),
  reason: z.string(),
  method: z.string(),
  path: z.string(),                              // without the query
  claimed: z.object({ user: z.string().nullable(), role: z.string().nullable(), clientId: z.string().nullable() }),
  suppressedBefore: z.number().int().nonnegative(), // lines dropped by the rate cap since the previous line
  unwrittenBefore: z.number().int().nonnegative().default(0), // lines whose write failed (disk full) since the previous line
});
export type SecurityRecord = z.infer<typeof SecurityRecordSchema>;
export type SecurityEvent = Omit<SecurityRecord, 'v' | 'at' | 'time' | 'suppressedBefore' | 'unwrittenBefore'>;

export type SecurityLog = {
  path: string;
  /** null when written (or dropped by the rate cap); else why the line could not be written (the refusal stands). */
  record(e: SecurityEvent, now: number): string | null;
  suppressed(): number;
};

// Claimed fields come from an unauthenticated caller: bounded, no control characters.
const clean = (s: string | null, max = 200) => (s === null ? null : s.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, max));

export function openSecurityLog(stateDir: string, zone: string, maxPerSecond = 20): SecurityLog {
  ensurePrivateDir(stateDir);
  const path = join(stateDir, SECURITY_FILE);
  let second = 0;
  let inSecond = 0;
  let dropped = 0;
  let unwritten = 0;
  return {
    path,
    suppressed: () => dropped,
    record(e, now) {
      const s = Math.floor(now / 1000);
      if (s !== second) {
        second = s;
        inSecond = 0;
      }
      if (++inSecond > maxPerSecond) {
        dropped++;
        return null;
      }
      const rec: SecurityRecord = {
        v: 1, at: now, time: formatIso(now, zone), event: e.event, reason: clean(e.reason, 300)!, method: clean(e.method, 16)!, path: clean(e.path, 300)!,
        claimed: { user: clean(e.claimed.user), role: clean(e.claimed.role, 16), clientId: clean(e.claimed.clientId, 16) },
        suppressedBefore: dropped, unwrittenBefore: unwritten,
      };
      try {
        const fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
        try {
          const st = fstatSync(fd);
          if (!st.isFile() || st.mode & 0o022) throw createError('SENDTRACE_ERR_STATE', path, 'not a regular file, or writable by others');
          // After a line cut short, start on a line of its own (audit-log.ts does the same).
          const last = Buffer.alloc(1);
          const torn = st.size > 0 && readSync(fd, last, 0, 1, st.size - 1) === 1 && last[0] !== 0x0a;
          // No fsync: this runs on the request path, and a flood must not stall it; losing the last
          // second of refusals in a power cut is acceptable (the actions' audit log does fsync).
          writeAll(fd, Buffer.from(`${torn ? '\n' : ''}${JSON.stringify(rec)}\n`));
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (!(err instanceof SendtraceError) && typeof code !== 'string') throw err;
        unwritten++;
        return `${path}: ${(err as Error).message}`;
      }
      dropped = 0;
      unwritten = 0;
      return null;
    },
  };
}

/**
 * Records at or after `since` among the last `tailBytes` of the file (a flood
 * of refusals must not make the admin's audit page read megabytes); garbled
 * lines are counted and skipped.
 */
export function readSecurityLog(stateDir: string, since: number | null, tailBytes = 512 * 1024): { records: SecurityRecord[]; skipped: number } {
  let text: string;
  let fd: number;
  try {
    fd = openSync(join(stateDir, SECURITY_FILE), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { records: [], skipped: 0 };
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - tailBytes);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    text = buf.toString('utf8');
    // Started mid-file: the first line is a fragment.
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
  } finally {
    closeSync(fd);
  }
  const records: SecurityRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      skipped++;
      continue;
    }
    const r = SecurityRecordSchema.safeParse(raw);
    if (!r.success) skipped++;
    else if (since === null || r.data.at >= since) records.push(r.data);
  }
  return { records, skipped };
}
