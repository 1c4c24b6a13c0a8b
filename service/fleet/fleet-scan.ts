// `fleet scan`: the installed CLI's `diagnose --json` on every host, merged
// into one ranking across servers (merge-report.ts). A host that fails is
// reported with its reason; the others are unaffected.
import { HostFailure } from './host-failure.ts';
import type { FleetHost } from './fleet-host.ts';
import { runOnHosts, type FleetOptions, type Progress, type Target } from './fleet-run.ts';
import { mergeScan, RemoteDiagnosisSchema, type FleetScanDoc, type RemoteDiagnosis } from './merge-report.ts';
import { printable, tailOf } from './printable.ts';
import { EXIT_NO_CLI, EXIT_NO_NODE, EXIT_OLD_NODE, remoteCliArgv } from './remote-cli.ts';
import type { RemoteResult, SshSession } from './ssh-run.ts';

type Scanned = { doc: RemoteDiagnosis; exit: number | null };

/** The remote run's outcome as a diagnosis, or the HostFailure that says why not. */
export function interpretDiagnose(r: RemoteResult): Scanned {
  const why = tailOf(r.stderr) || tailOf(r.stdout) || 'no output';
  if (r.code === EXIT_NO_NODE || r.code === EXIT_NO_CLI) throw new HostFailure('not-installed', why);
  if (r.code === EXIT_OLD_NODE) throw new HostFailure('old-version', why);
  if (r.code === 2 && /unknown (command|option)/.test(r.stderr)) {
    throw new HostFailure('old-version', `the installed sendtrace does not know 'diagnose --json' (${why}); upgrade it with fleet install`);
  }
  if (r.signal) throw new HostFailure('remote-error', `diagnose was killed by SIG${printable(r.signal, 20)} (${why})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    if (r.code !== 0 && r.code !== 1) throw new HostFailure('remote-error', `diagnose exited ${r.code}: ${why}`);
    throw new HostFailure('garbled', `diagnose printed something that is not JSON: "${printable(r.stdout.trim(), 80) || '(nothing)'}"`);
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (error && typeof error === 'object') {
    throw new HostFailure('remote-error', `${printable(String(error.code), 60)}: ${printable(String(error.message), 300)}`);
  }
  const doc = RemoteDiagnosisSchema.safeParse(parsed);
  if (!doc.success) {
    const issue = doc.error.issues[0]!;
    throw new HostFailure('garbled', `diagnose JSON does not match the contract at '${issue.path.join('.')}': ${issue.message}`);
  }
  return { doc: doc.data, exit: r.code };
}

async function scanOne(host: FleetHost, session: SshSession, timeoutMs: number): Promise<Scanned> {
  const r = await session.run(remoteCliArgv(host, ['diagnose', '--json']), { timeoutMs, label: 'sendtrace diagnose --json' });
  return interpretDiagnose(r);
}

function summarize(s: Scanned): string {
  const blocked = s.doc.subscriptions.filter((x) => x.status === 'not-sending').length;
  const causes = s.doc.subscriptions.filter((x) => x.cause !== 'none').length;
  return `ok: ${s.doc.subscriptions.length} subscription(s), ${blocked} not sending, ${causes} with a cause${s.doc.warnings.length ? `, ${s.doc.warnings.length} warning(s)` : ''}`;
}

export async function scanFleet(targets: Target[], o: FleetOptions, env: Record<string, string | undefined>, progress: Progress): Promise<FleetScanDoc> {
  const { runs } = await runOnHosts(targets, o, env, progress, (host, session) => scanOne(host, session, host.timeoutMs ?? o.timeoutMs), summarize);
  return mergeScan(runs.map((r) => ({
    doc: r.result?.doc ?? null,
    outcome: {
      name: r.target.name, address: r.target.address, port: r.target.port, ok: r.ok, failure: r.failure, seconds: r.seconds, notes: r.notes,
      ...(r.result ? { now: r.result.doc.now, warnings: r.result.doc.warnings, subscriptions: r.result.doc.subscriptions.length, remoteExit: r.result.exit } : {}),
    },
  })));
}
