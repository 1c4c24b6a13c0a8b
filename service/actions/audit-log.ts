// The audit log: one JSON line per action or refusal, appended and fsynced
// before the command reports. The service only ever opens it with O_APPEND
// (never truncates, rewrites or rotates it), so a line once written stays as
// it was; rotation is the admin's business (logrotate copytruncate is not
// needed: a rename-and-recreate rotation works, the next append creates the
// file anew). New passwords never reach this file (passwords.ts builds the
// record from results stripped of them; a test greps for them).
//
// A full disk (test/faults/full-disk-audit.test.ts): an action that changes
// something first holds room for its record (reserve); a write cut short
// leaves a torn last line, which the next append starts after (a newline
// first) and readAuditLog counts and skips.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, openSync, readFileSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createError, isErrno } from '../errors.ts';
import { formatIso } from '../time.ts';
import { ensurePrivateDir, fsyncDir, writeAll } from './state-files.ts';

export const AUDIT_FILE = 'audit.log';

export const AuditActionSchema = z.enum(['quarantine', 'restore', 'reset-passwords', 'purge-queue', 'recover']);
export type AuditAction = z.infer<typeof AuditActionSchema>;

export const AuditRecordSchema = z.object({
  v: z.literal(1),
  at: z.number(),                              // epoch ms
  time: z.string(),                            // the same instant, ISO 8601 in the server's zone
  actor: z.string(),
  action: AuditActionSchema,
  target: z.string(),                          // a path (escaped for display), a quarantine id, a subscription
  subscription: z.string().nullable(),
  dryRun: z.boolean(),
  result: z.enum(['done', 'refused', 'failed', 'partial']),
  reason: z.string().nullable(),
  /** Series the verification watches after this action (analysis/verify.ts): `uid:10001`, `sasl:info@example.jp`, `script:/path`. */
  watch: z.array(z.string()).default([]),
  details: z.record(z.string(), z.unknown()).default({}),
});
export type AuditRecord = z.infer<typeof AuditRecordSchema>;
export type AuditEntry = Omit<AuditRecord, 'v' | 'at' | 'time' | 'watch' | 'details'> & { watch?: string[]; details?: Record<string, unknown> };

/** Who acted, as far as the process can tell (the sidecar passes the panel user instead). */
export function describeActor(env: Record<string, string | undefined>): string {
  // The live watcher's automatic quarantine (service/live/policy.ts) runs this same action as "policy".
  if (env.SENDTRACE_ACTOR === 'policy') return 'policy';
  const uid = process.getuid?.() ?? -1;
  const sudo = env.SUDO_USER;
  const user = env.USER ?? env.LOGNAME;
  // These come from the environment of whoever started the CLI: informative, not proof.
  const who = sudo ? `${user ?? 'root'} via sudo from ${sudo}` : user ?? `uid ${uid}`;
  return `cli:${who}`.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 200);
}

/**
 * Room held in the audit log's filesystem (an unlinked file kept open, so a
 * crash frees it by itself) until `release()` gives it back, just before the
 * record that needed it is appended.
 */
export type AuditRoom = { release(): void };

/** More than any record of one action takes (a password reset of a few hundred accounts). */
export const AUDIT_ROOM_BYTES = 64 * 1024;

export type AuditLog = {
  path: string;
  append(entry: AuditEntry, now?: number): AuditRecord;
  /** Throws (the system error, e.g. ENOSPC) when the room cannot be had. */
  reserve(bytes?: number): AuditRoom;
};

/**
 * Opens (creating if needed) the audit log of `stateDir` and checks it can be
 * written; actions open it before they change anything, so an action is never
 * done without its record being possible.
 */
export function openAuditLog(stateDir: string, zone: string): AuditLog {
  ensurePrivateDir(stateDir);
  const path = join(stateDir, AUDIT_FILE);
  const openAppend = () => {
    let created = false;
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_NOFOLLOW);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      created = true;
    }
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== (process.getuid?.() ?? st.uid) || st.mode & 0o022) {
      closeSync(fd);
      throw createError('SENDTRACE_ERR_STATE', path, 'not a regular file owned by sendtrace, or writable by others');
    }
    return { fd, created };
  };
  closeSync(openAppend().fd);
  return {
    path,
    append(entry, now = Date.now()) {
      const record = AuditRecordSchema.parse({ v: 1, at: now, time: formatIso(now, zone), ...entry });
      const { fd, created } = openAppend();
      try {
        // A write cut short (disk full) left a line without its newline: start
        // after it, or this record would be glued to the fragment and lost with it.
        const size = fstatSync(fd).size;
        const last = Buffer.alloc(1);
        const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
        // One write of one line: O_APPEND places it at the end even when two
        // sendtrace processes append at once.
        writeAll(fd, Buffer.from(`${torn ? '\n' : ''}${JSON.stringify(record)}\n`));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (created) fsyncDir(stateDir);
      return record;
    },
    reserve(bytes = AUDIT_ROOM_BYTES) {
      const holder = join(stateDir, `.audit-room-${process.pid}-${randomBytes(4).toString('hex')}`);
      const fd = openSync(holder, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        unlinkSync(holder);
        // Written, not just sized: a sparse file holds no blocks (tmpfs and
        // ext4 both account the pages or delayed blocks at write time).
        writeAll(fd, Buffer.alloc(bytes));
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          closeSync(fd);
        },
      };
    },
  };
}

export type AuditRead = { records: AuditRecord[]; skipped: number; warnings: string[] };

/** Records at or after `since` (epoch ms); garbled lines are counted and skipped. */
export function readAuditLog(stateDir: string, since: number | null = null): AuditRead {
  const path = join(stateDir, AUDIT_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return { records: [], skipped: 0, warnings: [] };
    throw createError('SENDTRACE_ERR_STATE', path, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  const records: AuditRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let parsed;
    try {
      parsed = AuditRecordSchema.safeParse(JSON.parse(line));
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      skipped++;
      continue;
    }
    if (!parsed.success) skipped++;
    else if (since === null || parsed.data.at >= since) records.push(parsed.data);
  }
  return { records, skipped, warnings: skipped ? [`${path}: ${skipped} line(s) are not audit records and were skipped`] : [] };
}
