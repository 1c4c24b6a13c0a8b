// The command line: parse argv, load the config, run one command, print its
// result. Nothing below this file prints or exits.
import { loadConfig } from './config.ts';
import { EXIT, SendtraceError, createError } from './errors.ts';
import type { CommandContext, CommandResult, ParsedArgs } from './commands/command.ts';
import { runSenders } from './commands/senders.ts';
import { runDiagnose } from './commands/diagnose.ts';
import { QUARANTINE_USAGE, runQuarantine } from './commands/quarantine.ts';
import { RESTORE_USAGE, runRestore } from './commands/restore.ts';
import { QUARANTINE_LIST_USAGE, runQuarantineList } from './commands/quarantine-list.ts';
import { RESET_PASSWORDS_USAGE, runResetPasswords } from './commands/reset-passwords.ts';
import { PURGE_QUEUE_USAGE, runPurgeQueue } from './commands/purge-queue.ts';
import { AUDIT_USAGE, runAudit } from './commands/audit.ts';
import { FLEET_SUBCOMMANDS, FLEET_USAGE, SERVE_USAGE } from './commands/usage-lazy.ts';

type CommandSpec = {
  run: (ctx: CommandContext) => Promise<CommandResult>;
  flags: Record<string, 'value' | 'repeat' | 'bool'>;
  usage: string;
  /** A command with subcommands takes exactly one of them as its positional argument. */
  subcommands?: readonly string[];
};

const common = { config: 'value', json: 'bool', help: 'bool' } as const;

const commands: Record<string, CommandSpec> = {
  diagnose: {
    run: runDiagnose,
    flags: { ...common, now: 'value', subscription: 'value' },
    usage: 'diagnose [--config FILE] [--now ISO-8601] [--subscription NAME] [--json]',
  },
  serve: {
    // Loaded when run: the sidecar's worker threads run this entry too, and need neither fastify nor the server.
    run: async (ctx) => (ctx.args.flags.has('worker') ? (await import('./http/cache/worker-entry.ts')).runWorker() : (await import('./server.ts')).runServe(ctx)),
    // --worker: internal (the sidecar's worker threads run this same entry).
    flags: { config: 'value', help: 'bool', json: 'bool', socket: 'value', 'dev-signer': 'bool', port: 'value', now: 'value', worker: 'bool' },
    usage: SERVE_USAGE,
  },
  quarantine: { run: runQuarantine, flags: { ...common, path: 'value', reason: 'value', 'dry-run': 'bool' }, usage: QUARANTINE_USAGE },
  restore: { run: runRestore, flags: { ...common, id: 'value', force: 'bool', 'dry-run': 'bool' }, usage: RESTORE_USAGE },
  'quarantine-list': { run: runQuarantineList, flags: { ...common }, usage: QUARANTINE_LIST_USAGE },
  'reset-passwords': {
    run: runResetPasswords,
    flags: { ...common, subscription: 'value', mailboxes: 'value', 'system-user': 'bool', 'panel-login': 'bool', 'dry-run': 'bool' },
    usage: RESET_PASSWORDS_USAGE,
  },
  'purge-queue': {
    run: runPurgeQueue,
    flags: { ...common, subscription: 'value', source: 'value', uid: 'value', sender: 'value', 'dry-run': 'bool' },
    usage: PURGE_QUEUE_USAGE,
  },
  audit: { run: runAudit, flags: { ...common, since: 'value' }, usage: AUDIT_USAGE },
  fleet: {
    run: async (ctx) => (await import('./commands/fleet.ts')).runFleet(ctx),
    flags: { ...common, inventory: 'value', package: 'value', concurrency: 'value', limit: 'value', 'known-hosts': 'value', 'accept-new': 'bool', timeout: 'value' },
    subcommands: FLEET_SUBCOMMANDS,
    usage: FLEET_USAGE.join('\n  sendtrace '),
  },
  senders: {
    run: runSenders,
    flags: { ...common, maillog: 'repeat', since: 'value', until: 'value' },
    usage: 'senders [--config FILE] [--maillog FILE …] [--since ISO-8601] [--until ISO-8601] [--json]',
  },
};

export function usageText(): string {
  return ['usage: sendtrace <command> [options]', '', ...Object.values(commands).map((c) => `  sendtrace ${c.usage}`)].join('\n');
}

export function parseArgs(argv: string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') throw createError('SENDTRACE_ERR_USAGE', usageText());
  const spec = commands[command];
  if (!spec) throw createError('SENDTRACE_ERR_USAGE', `unknown command '${command}'\n${usageText()}`);
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const kind = spec.flags[name];
    if (!kind) throw createError('SENDTRACE_ERR_USAGE', `unknown option '--${name}' for ${command}\nusage: sendtrace ${spec.usage}`);
    let value = '';
    if (kind !== 'bool') {
      if (eq !== -1) value = arg.slice(eq + 1);
      else if (i + 1 < rest.length) value = rest[++i]!;
      else throw createError('SENDTRACE_ERR_USAGE', `option '--${name}' needs a value`);
    } else if (eq !== -1) {
      throw createError('SENDTRACE_ERR_USAGE', `option '--${name}' takes no value`);
    }
    const list = flags.get(name) ?? [];
    if (kind === 'value' && list.length) throw createError('SENDTRACE_ERR_USAGE', `option '--${name}' given twice`);
    list.push(value);
    flags.set(name, list);
  }
  if (spec.subcommands) {
    if (positional.length !== 1 || !spec.subcommands.includes(positional[0]!)) {
      throw createError('SENDTRACE_ERR_USAGE', `${command} needs one of: ${spec.subcommands.join(', ')}\nusage: sendtrace ${spec.usage}`);
    }
  } else if (positional.length) {
    throw createError('SENDTRACE_ERR_USAGE', `unexpected argument '${positional[0]}'\nusage: sendtrace ${spec.usage}`);
  }
  return { command, flags, positional };
}

export type CliIo = { stdout: (s: string) => void; stderr: (s: string) => void; env: Record<string, string | undefined> };

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json');
  if (argv.length === 1 && ['--help', '-h', 'help'].includes(argv[0]!)) {
    io.stdout(`${usageText()}\n`);
    return EXIT.ok;
  }
  try {
    const args = parseArgs(argv);
    json = args.flags.has('json');
    if (args.flags.has('help')) {
      io.stdout(`usage: sendtrace ${commands[args.command]!.usage}\n`);
      return EXIT.ok;
    }
    const config = loadConfig(args.flags.get('config')?.[0], io.env);
    const result = await commands[args.command]!.run({ config, args, env: io.env });
    for (const note of result.notes) io.stderr(`sendtrace: ${note}\n`);
    if (json && result.jsonText !== undefined) {
      // Already one flat string of several MB: joined with the newline, it would be copied again.
      io.stdout(result.jsonText);
      io.stdout('\n');
    } else if (json) {
      io.stdout(`${JSON.stringify(result.json, null, 2)}\n`);
    } else {
      const text = result.text;   // read once: a command may make it only when asked (senders.ts)
      io.stdout(text.endsWith('\n') ? text : `${text}\n`);
    }
    return result.exit;
  } catch (err) {
    if (err instanceof SendtraceError) {
      io.stderr(`sendtrace: ${err.message}\n`);
      if (json) io.stdout(`${JSON.stringify({ error: { code: err.code, message: err.message } })}\n`);
      return err.exit;
    }
    throw err;
  }
}
