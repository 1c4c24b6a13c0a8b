// What the action routes need from the actions module (service/actions,
// service/commands/{quarantine,…}.ts), as a narrow port: the routes decide who
// may act on what, the port does it. `unavailableActions` answers 501 when the
// module is missing from a build.
import { createError } from '../../errors.ts';
import type { AuditEntry, PurgeQueueBody, QuarantineItem } from '../contract.ts';
import type { Identity } from '../auth/signature.ts';

export type Actor = Identity & { via: 'panel' | 'dev-signer' };

/** An action's CONTRACT.md JSON, its exit code (0, or 1 = done with warnings) and its notes. */
export type ActionOutcome = { result: Record<string, unknown>; exit: number; notes: string[] };

export type ActionsPort = {
  readonly available: boolean;
  /** `path` is the shown form diagnose uses (\xHH for bytes that are not UTF-8); already checked to be inside the subscription. */
  /** `evidence`: the current diagnosis's sources for this path, when it names it (else the command diagnoses). */
  quarantine(r: { subscription: string; path: string; reason: string; dryRun: boolean; actor: Actor; evidence?: unknown[] }): Promise<ActionOutcome>;
  restore(r: { subscription: string; quarantineId: string; dryRun: boolean; actor: Actor }): Promise<ActionOutcome>;
  resetPasswords(r: { subscription: string; mailboxes: 'all' | string[] | null; systemUser: boolean; panelLogin: boolean; dryRun: boolean; actor: Actor }): Promise<ActionOutcome>;
  purgeQueue(r: { subscription: string; source: PurgeQueueBody['source']; dryRun: boolean; actor: Actor }): Promise<ActionOutcome>;
  listQuarantine(): Promise<{ items: QuarantineItem[]; warnings: string[] }>;
  readAudit(since: number | null): Promise<{ records: AuditEntry[]; warnings: string[] }>;
};

/** How an actor is named in the audit log: who, in which role, through what. */
export function describeActorOf(a: Actor): string {
  return `panel:${a.role}:${a.login}#${a.clientId}${a.via === 'dev-signer' ? ' (development signer)' : ''}`.replace(/[\x00-\x1f\x7f]/g, '?').slice(0, 200);
}

export function unavailableActions(why: string): ActionsPort {
  const refuse = async (): Promise<never> => {
    throw createError('SENDTRACE_ERR_NOT_AVAILABLE', why);
  };
  return {
    available: false,
    quarantine: refuse,
    restore: refuse,
    resetPasswords: refuse,
    purgeQueue: refuse,
    listQuarantine: async () => ({ items: [], warnings: [why] }),
    readAudit: async () => ({ records: [], warnings: [why] }),
  };
}
