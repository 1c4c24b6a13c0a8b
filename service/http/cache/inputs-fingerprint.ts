// Has anything the diagnosis reads changed? Cheap enough to ask every few
// seconds: the configured log files' size, mtime and inode, the passwd file,
// and two psa digests from one `plesk db` call — ownership (who owns which
// subscription, homes: authorization depends on it, so a change there is
// acted on at once) and activity (peaks, mailboxes, and the hour, for the
// hourly statistics).
// Only integer columns are ordered on (portable to the simulator's sql.js);
// the output is hashed, never parsed.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Config } from '../../config.ts';
import { describeError, SendtraceError } from '../../errors.ts';
import { expandPaths } from '../../sources/log-files.ts';
import { runCommand } from '../../sources/run-command.ts';
import { sql } from '../../sources/sql-text.ts';
import { HOUR } from '../../time.ts';

export type Fingerprint = { files: string; ownership: string; activity: string };

const OWNERSHIP_END = 'sendtrace-fingerprint-ownership-end';

export async function fingerprintFiles(config: Pick<Config, 'maillog' | 'phpMailLog' | 'accessLogs' | 'passwdFile'>): Promise<string> {
  const h = createHash('sha256');
  const expanded = await expandPaths([...config.maillog, ...config.phpMailLog, ...config.accessLogs]);
  for (const file of [...expanded.files, config.passwdFile]) {
    try {
      const st = await stat(file);
      h.update(`${file}\0${st.ino}\0${st.size}\0${st.mtimeMs}\n`);
    } catch (err) {
      h.update(`${file}\0${describeError(err)}\n`);
    }
  }
  return h.digest('hex');
}

export async function fingerprintPsa(config: Pick<Config, 'plesk' | 'timezone'>, now: number): Promise<{ ownership: string; activity: string }> {
  // The statistics tables are keyed by (object, hour): asking them "anything new?" by date scans millions
  // of rows. Plesk's poller adds rows once an hour, so the hour itself stands for them; the peaks tables
  // (a row per over-limit period) are small enough to ask.
  const text = sql`SELECT id, parent_id, type FROM clients ORDER BY id;
SELECT id, object_id, object_type FROM Subscriptions ORDER BY id;
SELECT id, cl_id, webspace_id FROM domains ORDER BY id;
SELECT dom_id, sys_user_id, www_root FROM hosting ORDER BY dom_id;
SELECT id, home FROM sys_users ORDER BY id;
SELECT 'sendtrace-fingerprint-ownership-end', 0;
SELECT id, dom_id FROM mail ORDER BY id;
SELECT COUNT(*), MAX(beginDate), MAX(endDate) FROM SubscriptionOutgoingMessagesPeaks;
SELECT COUNT(*), MAX(beginDate), MAX(endDate) FROM DomainOutgoingMessagesPeaks;
SELECT COUNT(*), MAX(beginDate), MAX(endDate) FROM MailOutgoingMessagesPeaks;
`;
  let r;
  try {
    r = await runCommand([config.plesk, 'db', '-N', '-B', '-e', text.text], { timeoutMs: 30_000 });
  } catch (err) {
    if (err instanceof SendtraceError) return { ownership: `unreadable: ${err.code}`, activity: `unreadable: ${err.code}` };
    throw err;
  }
  const cut = r.stdout.indexOf(`${OWNERSHIP_END}\t0\n`);
  const digest = (s: string) => createHash('sha256').update(s).digest('hex');
  // A failed call (an older Plesk without a peaks table) still fingerprints what it printed, consistently.
  const ownership = cut === -1 ? `partial:${r.code}:${digest(r.stdout)}` : digest(r.stdout.slice(0, cut));
  return { ownership, activity: `${Math.floor(now / HOUR)}:${r.code}:${digest(cut === -1 ? '' : r.stdout.slice(cut))}` };
}

export async function fingerprintInputs(config: Config, now: number): Promise<Fingerprint> {
  const [files, psa] = await Promise.all([fingerprintFiles(config), fingerprintPsa(config, now)]);
  return { files, ...psa };
}
