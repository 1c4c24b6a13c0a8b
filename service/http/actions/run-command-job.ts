// Worker side of an action: runs the CLI's own action command (the same
// checks, dry run, audit record and rollback as `sendtrace quarantine …`) with
// flags built by worker-actions.ts. Runs in a worker thread because the
// quarantine command attaches a fresh diagnosis of the subscription, which
// takes seconds.
import type { CommandContext, CommandResult } from '../../commands/command.ts';
import { runPurgeQueue } from '../../commands/purge-queue.ts';
import { runQuarantine } from '../../commands/quarantine.ts';
import { runResetPasswords } from '../../commands/reset-passwords.ts';
import { runRestore } from '../../commands/restore.ts';
import type { WorkerJob } from '../cache/worker.ts';

const COMMANDS = {
  quarantine: runQuarantine,
  restore: runRestore,
  'reset-passwords': runResetPasswords,
  'purge-queue': runPurgeQueue,
} as const;

export type CommandOutcome = { json: unknown; exit: number; notes: string[] };

export async function runActionCommand(job: Extract<WorkerJob, { kind: 'command' }>): Promise<CommandOutcome> {
  const flags = new Map<string, string[]>();
  for (const [name, value] of job.flags) flags.set(name, [...(flags.get(name) ?? []), value]);
  const ctx: CommandContext = { config: job.config, env: job.env, args: { command: job.command, flags, positional: [] }, ...(job.evidence ? { evidence: job.evidence } : {}) };
  const r: CommandResult = await COMMANDS[job.command](ctx);
  return { json: r.json, exit: r.exit, notes: r.notes };
}
