// Runs `fleet` the way cli.ts will (flags → ParsedArgs → runFleet), collecting
// the stderr progress lines, and writes the inventory / known_hosts files the
// tests hand it.
import { writeFile } from 'node:fs/promises';
import type { CommandResult, ParsedArgs } from '../../service/commands/command.ts';
import { runFleet } from '../../service/commands/fleet.ts';
import { loadConfig } from '../../service/config.ts';
import type { KeyPair, Sshd } from './sshd.ts';

const FLAGS: Record<string, 'value' | 'bool'> = {
  inventory: 'value', package: 'value', concurrency: 'value', limit: 'value', 'known-hosts': 'value',
  'accept-new': 'bool', timeout: 'value', json: 'bool', config: 'value', help: 'bool',
};

/** The flags and the subcommand as cli.ts will parse them for 'fleet'. */
export function fleetArgs(argv: string[]): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const name = a.slice(2);
    if (!FLAGS[name]) throw new Error(`unknown flag ${a}`);
    flags.set(name, [FLAGS[name] === 'bool' ? '' : argv[++i]!]);
  }
  return { command: 'fleet', flags, positional };
}

export type FleetRun = { result: CommandResult; progress: string[]; ms: number };

export async function runFleetTest(argv: string[], env: Record<string, string | undefined> = { HOME: '/nonexistent' }): Promise<FleetRun> {
  const progress: string[] = [];
  const t0 = Date.now();
  const result = await runFleet({ config: loadConfig(undefined, env), args: fleetArgs(argv), env }, { progress: (l) => progress.push(l) });
  return { result, progress, ms: Date.now() - t0 };
}

/** `[127.0.0.1]:port type base64`, the line OpenSSH writes for a host off port 22. */
export const knownHostsLine = (port: number, key: Pick<KeyPair, 'type' | 'base64'>) => `[127.0.0.1]:${port} ${key.type} ${key.base64}`;

export type InventoryHost = { name: string; port: number; vars?: Record<string, string> };

/** An Ansible INI inventory: groups of hosts on 127.0.0.1, common vars under [all:vars]. */
export async function writeIniInventory(path: string, groups: Record<string, InventoryHost[]>, allVars: Record<string, string>): Promise<void> {
  const q = (v: string) => (/[\s"'#]/.test(v) ? `"${v}"` : v);
  const lines: string[] = [];
  for (const [group, hosts] of Object.entries(groups)) {
    lines.push(`[${group}]`);
    for (const h of hosts) lines.push([h.name, 'ansible_host=127.0.0.1', `ansible_port=${h.port}`, ...Object.entries(h.vars ?? {}).map(([k, v]) => `${k}=${q(v)}`)].join(' '));
    lines.push('');
  }
  lines.push('[all:vars]', ...Object.entries(allVars).map(([k, v]) => `${k}=${v}`), '');
  await writeFile(path, lines.join('\n'));
}

export async function stopAll(sshds: Array<Sshd | undefined>): Promise<void> {
  await Promise.all(sshds.map((s) => s?.stop()));
}
