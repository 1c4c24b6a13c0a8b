// What scan and install share: the options, the selected hosts, and the
// bounded fan-out that opens one SSH session per host, runs the work, closes
// the session, and reports progress on stderr as each host finishes.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createError } from '../errors.ts';
import type { ParsedArgs } from '../commands/command.ts';
import { toFleetHost, type FleetHost } from './fleet-host.ts';
import { failureOf, type Failure } from './host-failure.ts';
import { applyLimit, inventoryHosts, loadInventory } from './inventory.ts';
import { loadKnownHosts, type KnownHosts } from './known-hosts.ts';
import { mapBounded } from './pool.ts';
import { printable } from './printable.ts';
import type { KeyCache } from './ssh-auth.ts';
import { openSession, type SshSession } from './ssh-run.ts';

export type FleetOptions = {
  inventory: string;
  limit: string | undefined;
  concurrency: number;
  knownHostsPath: string;
  acceptNew: boolean;
  timeoutMs: number;
  connectTimeoutMs: number;
};

const DEFAULT_TIMEOUT_S = 300;
const MAX_CONNECT_MS = 15_000;

export function readFleetOptions(args: ParsedArgs, env: Record<string, string | undefined>): FleetOptions {
  const one = (name: string) => args.flags.get(name)?.[0];
  const inventory = one('inventory');
  if (!inventory) throw createError('SENDTRACE_ERR_USAGE', 'fleet needs --inventory FILE');
  const concurrency = Number(one('concurrency') ?? 16);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw createError('SENDTRACE_ERR_USAGE', `--concurrency must be an integer from 1 to 256, got '${one('concurrency')}'`);
  const timeoutS = Number(one('timeout') ?? DEFAULT_TIMEOUT_S);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 86_400) throw createError('SENDTRACE_ERR_USAGE', `--timeout must be a number of seconds, got '${one('timeout')}'`);
  const knownHostsPath = one('known-hosts') ?? (env.HOME ? join(env.HOME, '.ssh/known_hosts') : undefined);
  if (!knownHostsPath) throw createError('SENDTRACE_ERR_USAGE', 'no HOME to find ~/.ssh/known_hosts: give --known-hosts FILE');
  return {
    inventory, limit: one('limit'), concurrency, knownHostsPath, acceptNew: args.flags.has('accept-new'),
    timeoutMs: timeoutS * 1000, connectTimeoutMs: Math.min(MAX_CONNECT_MS, timeoutS * 1000),
  };
}

export type Target = { name: string; address: string; port: number; host: FleetHost | null; failure: Failure | null };

export async function selectTargets(o: FleetOptions, env: Record<string, string | undefined>): Promise<Target[]> {
  const inv = await loadInventory(o.inventory);
  const entries = applyLimit(inv, inventoryHosts(inv), o.limit);
  if (!entries.length) throw createError('SENDTRACE_ERR_USAGE', `inventory ${o.inventory} lists no hosts`);
  return entries.map((e) => {
    const fallback = { name: e.name, address: e.vars.ansible_host ?? e.name, port: Number(e.vars.ansible_port ?? 22) || 0 };
    try {
      const host = toFleetHost(e, env);
      return { name: e.name, address: host.address, port: host.port, host, failure: null };
    } catch (err) {
      return { ...fallback, host: null, failure: failureOf(err) };
    }
  });
}

export type HostRun<R> = { target: Target; ok: boolean; failure: Failure | null; result: R | null; seconds: number; notes: string[] };
export type Progress = (line: string) => void;

/** Runs `work` on every host, at most `concurrency` at a time; a host's failure stays its own. */
export async function runOnHosts<R>(
  targets: Target[], o: FleetOptions, env: Record<string, string | undefined>, progress: Progress,
  work: (host: FleetHost, session: SshSession) => Promise<R>, summarize: (r: R) => string,
): Promise<{ runs: HostRun<R>[]; knownHosts: KnownHosts }> {
  const knownHosts = await loadKnownHosts(o.knownHostsPath);
  for (const n of knownHosts.notes) progress(`fleet: ${n}`);
  const keys: KeyCache = new Map();
  let done = 0;
  const runs = await mapBounded(targets, o.concurrency, async (t) => {
    const t0 = performance.now();
    const notes: string[] = [];
    let failure = t.failure;
    let result: R | null = null;
    if (t.host) {
      let session: SshSession | null = null;
      try {
        session = await openSession(t.host, { knownHosts, acceptNew: o.acceptNew, connectTimeoutMs: o.connectTimeoutMs, env, keys });
        notes.push(...session.notes);
        result = await work(t.host, session);
      } catch (err) {
        failure = failureOf(err);
      } finally {
        session?.close();
      }
    }
    const seconds = Math.round(performance.now() - t0) / 1000;
    done++;
    const head = `fleet: [${String(done).padStart(String(targets.length).length)}/${targets.length}] ${printable(t.name, 60)}`;
    for (const n of notes) progress(`${head}: ${printable(n, 300)}`);
    progress(failure ? `${head}: FAILED ${failure.kind}: ${printable(failure.message, 300)}` : `${head}: ${summarize(result as R)} (${seconds.toFixed(1)} s)`);
    return { target: t, ok: failure === null, failure, result: failure ? null : result, seconds, notes };
  });
  return { runs, knownHosts };
}
