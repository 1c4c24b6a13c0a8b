// `fleet install`: on each host, compare the installed extension with the
// package and install, upgrade or leave it (running twice changes nothing the
// second time), then verify what is installed. plesk.md §4.6 [V]:
// `plesk bin extension --install|--upgrade <zip>`, `--list`; §5.1 [V]: the
// installed meta.xml is <PRODUCT_ROOT_D>/admin/plib/modules/<id>/meta.xml.
// The `--list` line format "<id> - <name>" is [I] (seen in third-party parsers).
import { randomBytes } from 'node:crypto';
import { moduleMetaPath, type FleetHost } from './fleet-host.ts';
import { HostFailure } from './host-failure.ts';
import { runOnHosts, type FleetOptions, type Progress, type Target } from './fleet-run.ts';
import { printable, tailOf } from './printable.ts';
import type { SshSession } from './ssh-run.ts';
import { compareVersions, parseExtensionMeta, versionText, type ExtensionMeta } from './zip-meta.ts';

export type PackageInfo = { path: string; data: Buffer; meta: ExtensionMeta };
export type InstallAction = 'installed' | 'upgraded' | 'unchanged';
export type Installed = { action: InstallAction; from: string | null; to: string };

const UPLOAD_DIR = '/tmp';

/** The installed meta.xml under the first product root that has one. */
async function installedMeta(host: FleetHost, session: SshSession, id: string, timeoutMs: number): Promise<ExtensionMeta | null> {
  const files = await session.files(timeoutMs);
  for (const root of host.productRoots) {
    const path = moduleMetaPath(root, id);
    const file = await files.readHead(path, 64 * 1024);
    if (!file) continue;
    const parsed = parseExtensionMeta(file.data.toString('utf8'));
    if ('error' in parsed) throw new HostFailure('install-failed', `installed ${path} is unreadable: ${parsed.error}`);
    return parsed.meta;
  }
  return null;
}

async function listedIds(host: FleetHost, session: SshSession, timeoutMs: number): Promise<Set<string>> {
  const r = await session.run([host.plesk, 'bin', 'extension', '--list'], { timeoutMs, maxOutputBytes: 4 << 20 });
  if (r.code !== 0) throw new HostFailure(r.code === 127 ? 'not-installed' : 'remote-error', `plesk bin extension --list exited ${r.code ?? r.signal}: ${tailOf(r.stderr) || tailOf(r.stdout)}`);
  return new Set(r.stdout.split('\n').map((l) => /^\s*([a-z0-9][a-z0-9-]*)\s+-\s/.exec(l)?.[1]).filter((x): x is string => !!x));
}

async function installOne(host: FleetHost, session: SshSession, pkg: PackageInfo, timeoutMs: number): Promise<Installed> {
  const { id } = pkg.meta;
  const want = versionText(pkg.meta);
  const [before, listed] = [await installedMeta(host, session, id, timeoutMs), await listedIds(host, session, timeoutMs)];
  const present = before !== null && listed.has(id);
  if (present && compareVersions(before, pkg.meta) === 0) return { action: 'unchanged', from: want, to: want };
  if (present && compareVersions(before, pkg.meta) > 0) {
    throw new HostFailure('install-failed', `a newer version ${versionText(before)} is installed; sendtrace does not downgrade (package ${want})`);
  }
  const action: InstallAction = listed.has(id) ? 'upgraded' : 'installed';
  // A fresh name, created exclusively and readable by root only: nothing else can swap or read it.
  const remote = `${UPLOAD_DIR}/sendtrace-fleet-${randomBytes(8).toString('hex')}.zip`;
  const files = await session.files(timeoutMs);
  await files.writeExclusive(remote, pkg.data, 0o600);
  try {
    const r = await session.run([host.plesk, 'bin', 'extension', action === 'upgraded' ? '--upgrade' : '--install', remote], { timeoutMs, maxOutputBytes: 4 << 20 });
    if (r.code !== 0) throw new HostFailure('install-failed', `plesk bin extension ${action === 'upgraded' ? '--upgrade' : '--install'} exited ${r.code ?? r.signal}: ${tailOf(r.stderr) || tailOf(r.stdout)}`);
  } finally {
    await files.remove(remote);
  }
  const after = await installedMeta(host, session, id, timeoutMs);
  const nowListed = await listedIds(host, session, timeoutMs);
  if (!after || !nowListed.has(id) || compareVersions(after, pkg.meta) !== 0) {
    throw new HostFailure('install-failed', `after ${action === 'upgraded' ? 'upgrading' : 'installing'}, ${id} is ${after ? versionText(after) : 'not found'}${nowListed.has(id) ? '' : ' and not listed'}, not ${want}`);
  }
  return { action, from: before && listed.has(id) ? versionText(before) : null, to: want };
}

export type InstallOutcome = { name: string; address: string; port: number; ok: boolean; failure: { kind: string; message: string } | null; action: InstallAction | null; from: string | null; to: string; seconds: number; notes: string[] };
export type FleetInstallDoc = { package: { id: string; version: string }; hosts: InstallOutcome[]; failed: number; changed: number };

export async function installFleet(targets: Target[], pkg: PackageInfo, o: FleetOptions, env: Record<string, string | undefined>, progress: Progress): Promise<FleetInstallDoc> {
  const summarize = (r: Installed) => (r.action === 'unchanged' ? `unchanged (${r.to})` : `${r.action} ${r.from ? `${r.from} → ` : ''}${r.to}, verified`);
  const { runs } = await runOnHosts(targets, o, env, progress, (host, session) => installOne(host, session, pkg, host.timeoutMs ?? o.timeoutMs), summarize);
  const hosts = runs.map((r) => ({
    name: r.target.name, address: r.target.address, port: r.target.port, ok: r.ok, failure: r.failure,
    action: r.result?.action ?? null, from: r.result?.from ?? null, to: versionText(pkg.meta), seconds: r.seconds, notes: r.notes,
  }));
  return { package: { id: pkg.meta.id, version: versionText(pkg.meta) }, hosts, failed: hosts.filter((h) => !h.ok).length, changed: hosts.filter((h) => h.action === 'installed' || h.action === 'upgraded').length };
}

export function formatFleetInstall(doc: FleetInstallDoc): string {
  const out = [`sendtrace fleet install — ${doc.package.id} ${doc.package.version}: ${doc.changed} changed, ${doc.hosts.length - doc.failed - doc.changed} unchanged, ${doc.failed} failed`, ''];
  for (const h of doc.hosts) {
    const what = h.ok ? (h.action === 'unchanged' ? `unchanged (${h.to})` : `${h.action} ${h.from ? `${h.from} → ` : ''}${h.to}`) : `FAILED ${h.failure!.kind}: ${printable(h.failure!.message, 400)}`;
    out.push(`  ${printable(h.name, 60)} (${printable(h.address, 60)}:${h.port}): ${what}`);
  }
  return out.join('\n');
}
