// The real ActionsPort: each action runs the CLI's command in a worker thread
// (run-command-job.ts); listings read the quarantine manifests and the audit
// log directly (cheap, read-only, no recovery side effects).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config.ts';
import { describeError, isErrno } from '../../errors.ts';
import { AUDIT_FILE, readAuditLog } from '../../actions/audit-log.ts';
import { listIds, readManifest } from '../../actions/manifest.ts';
import type { WorkerPool, ActionCommand } from '../cache/worker.ts';
import type { AuditEntry, QuarantineItem } from '../contract.ts';
import { describeActorOf, type ActionOutcome, type ActionsPort, type Actor } from './actions-port.ts';
import type { CommandOutcome } from './run-command-job.ts';

export function createCommandActions(o: { config: Config; env: Record<string, string | undefined>; pool: WorkerPool }): ActionsPort {
  const run = async (command: ActionCommand, flags: Array<[string, string]>, dryRun: boolean, actor: Actor, evidence?: unknown[]): Promise<ActionOutcome> => {
    // The commands name their actor from the environment (audit-log.ts describeActor): the panel user, not root's shell.
    const env = { ...o.env, USER: describeActorOf(actor), LOGNAME: undefined, SUDO_USER: undefined };
    const r = await o.pool.run<CommandOutcome>({ kind: 'command', command, flags: dryRun ? [...flags, ['dry-run', '']] : flags, config: o.config, env, ...(evidence ? { evidence } : {}) });
    return { result: (r.json ?? {}) as Record<string, unknown>, exit: r.exit, notes: r.notes };
  };
  let audit: { key: string; records: AuditEntry[]; warnings: string[] } | null = null;
  return {
    available: true,
    quarantine: (r) => run('quarantine', [['path', r.path], ['reason', r.reason]], r.dryRun, r.actor, r.evidence),
    restore: (r) => run('restore', [['id', r.quarantineId]], r.dryRun, r.actor),
    resetPasswords: (r) => run('reset-passwords', [
      ['subscription', r.subscription],
      ...(r.mailboxes === null ? [] : [['mailboxes', r.mailboxes === 'all' ? 'all' : r.mailboxes.join(',')] as [string, string]]),
      ...(r.systemUser ? [['system-user', ''] as [string, string]] : []),
      ...(r.panelLogin ? [['panel-login', ''] as [string, string]] : []),
    ], r.dryRun, r.actor),
    purgeQueue: (r) => run('purge-queue', [
      ['subscription', r.subscription],
      ...(r.source === null ? [] : [r.source.kind === 'script' ? ['source', r.source.path] : r.source.kind === 'uid' ? ['uid', String(r.source.uid)] : ['sender', r.source.address]] as Array<[string, string]>),
    ], r.dryRun, r.actor),
    async listQuarantine() {
      const items: QuarantineItem[] = [];
      const warnings: string[] = [];
      for (const id of listIds(o.config.quarantineDir)) {
        try {
          const m = readManifest(o.config.quarantineDir, id);
          if (!m) continue;   // still being written, or interrupted: quarantine-list shows those
          items.push({
            id: m.id, status: m.status, originalPath: m.originalPath, subscription: m.subscription.name, subscriptionId: m.subscription.id,
            quarantinedAt: m.quarantinedAt, actor: m.actor, reason: m.reason, size: m.size, sha256: m.sha256, restoredAt: m.restoredAt, restoredBy: m.restoredBy,
          });
        } catch (err) {
          warnings.push(`quarantine ${id}: ${describeError(err)}`);
        }
      }
      return { items, warnings };
    },
    async readAudit(since) {
      // Re-read only when the file changed: the timeline asks on every request.
      let key = 'missing';
      try {
        const st = statSync(join(o.config.stateDir, AUDIT_FILE));
        key = `${st.ino}:${st.size}:${st.mtimeMs}`;
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
      if (!audit || audit.key !== key) {
        const read = readAuditLog(o.config.stateDir, null);
        audit = {
          key,
          records: read.records.map((r) => ({ at: r.at, time: r.time, actor: r.actor, action: r.action, target: r.target, subscription: r.subscription, dryRun: r.dryRun, result: r.result, reason: r.reason, details: r.details })),
          warnings: read.warnings,
        };
      }
      return { records: since === null ? audit.records : audit.records.filter((r) => r.at >= since), warnings: audit.warnings };
    },
  };
}
