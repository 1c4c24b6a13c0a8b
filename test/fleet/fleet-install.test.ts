// fleet install against real sshd and the plesk simulator: install where
// missing, upgrade where older, refuse to downgrade, report a failed install,
// verify the version, leave no upload behind, and change nothing when run
// again. The installed CLI then answers fleet scan at its default path.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FleetInstallDoc } from '../../service/fleet/fleet-install.ts';
import type { FleetScanDoc } from '../../service/fleet/merge-report.ts';
import { cannedCliSource, cannedDiagnosis, failingPlesk, makeBareServer } from './fake-servers.ts';
import { knownHostsLine, runFleetTest, stopAll, writeIniInventory, type FleetRun } from './harness.ts';
import { makeKeyPair, startSshd, type Sshd } from './sshd.ts';
import { makeZip, metaXml } from './zip-writer.ts';

const run = promisify(execFile);
type Bare = Awaited<ReturnType<typeof makeBareServer>>;

const packageZip = (version: string) => makeZip([
  { name: 'meta.xml', data: metaXml({ version }), deflate: true },
  { name: 'plib/sidecar/sendtrace.mjs', data: cannedCliSource(cannedDiagnosis([`v${version}.installed.jp`])), deflate: true },
  { name: 'htdocs/index.php', data: '<?php // shim' },
]);
const uploads = async () => (await readdir('/tmp')).filter((f) => f.startsWith('sendtrace-fleet-'));
const recordedOps = async (s: Bare) => (await readFile(s.record, 'utf8').catch(() => '')).split('\n').filter(Boolean)
  .map((l) => (JSON.parse(l) as { argv: string[] }).argv.slice(2, 3)[0]);

describe('fleet install over real sshd', { timeout: 300_000 }, () => {
  let dir: string;
  let sshd: Sshd;
  const s: Record<string, Bare> = {};
  let args: string[];
  let first: FleetRun;
  let firstDoc: FleetInstallDoc;
  let uploadsBefore: string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'st-fleet-install-'));
    const client = await makeKeyPair(dir, 'client');
    sshd = await startSshd(`${client.publicLine}\n`);
    [s.fresh, s.older, s.newer, s.broken] = await Promise.all([makeBareServer({ record: true }), makeBareServer(), makeBareServer(), makeBareServer()]);
    for (const [name, version] of [['older', '0.9.0'], ['newer', '2.0.0'], ['broken', '0.9.0']] as const) {
      const zip = join(dir, `${name}-${version}.zip`);
      await writeFile(zip, packageZip(version));
      await run(s[name]!.plesk, ['bin', 'extension', '--install', zip]);
    }
    s.broken = { ...s.broken!, plesk: await failingPlesk(s.broken!) }; // from now on its installer fails
    const host = (name: string) => ({ name, port: sshd.port, vars: { sendtrace_plesk: s[name]!.plesk, sendtrace_product_root: s[name]!.productRoot } });
    const inventory = join(dir, 'hosts.ini');
    await writeIniInventory(inventory, { plesk: ['fresh', 'older', 'newer', 'broken'].map(host) }, { ansible_user: 'root', ansible_ssh_private_key_file: client.privatePath, sendtrace_node: process.execPath });
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, `${knownHostsLine(sshd.port, sshd.hostKey)}\n`);
    const pkg = join(dir, 'sendtrace-1.0.0.zip');
    await writeFile(pkg, packageZip('1.0.0'));
    args = ['--inventory', inventory, '--known-hosts', knownHosts];
    uploadsBefore = await uploads();
    first = await runFleetTest(['install', ...args, '--package', pkg, '--json'], { HOME: dir });
    firstDoc = first.result.json as FleetInstallDoc;
  });
  after(async () => {
    await stopAll([sshd]);
    await Promise.all(Object.values(s).map((x) => x.remove()));
    await rm(dir, { recursive: true, force: true });
  });
  const hostOf = (doc: FleetInstallDoc, name: string) => doc.hosts.find((h) => h.name === name)!;

  it('installs where missing and upgrades where older, and lays the package out where Plesk would', async () => {
    assert.deepEqual([hostOf(firstDoc, 'fresh').action, hostOf(firstDoc, 'fresh').from], ['installed', null]);
    assert.deepEqual([hostOf(firstDoc, 'older').action, hostOf(firstDoc, 'older').from, hostOf(firstDoc, 'older').to], ['upgraded', '0.9.0-1', '1.0.0-1']);
    for (const name of ['fresh', 'older']) {
      assert.match(await readFile(s[name]!.cli, 'utf8'), /v1\.0\.0\.installed\.jp/, `${name} has the new CLI`);
      assert.equal((await run(s[name]!.plesk, ['bin', 'extension', '--list'])).stdout, 'sendtrace - sendtrace\n');
    }
  });

  it('refuses to downgrade a newer version, reports a failed installer, and exits 1', () => {
    assert.equal(hostOf(firstDoc, 'newer').failure?.kind, 'install-failed');
    assert.match(hostOf(firstDoc, 'newer').failure!.message, /a newer version 2\.0\.0-1 is installed/);
    assert.match(hostOf(firstDoc, 'broken').failure!.message, /--upgrade exited 1: Unable to install the extension: simulated failure/);
    assert.equal(first.result.exit, 1);
    assert.equal(firstDoc.changed, 2);
  });

  it('leaves no uploaded package behind', async () => {
    assert.deepEqual(await uploads(), uploadsBefore);
  });

  it('changes nothing when run again', async () => {
    const callsBefore = (await recordedOps(s.fresh!)).length;
    const again = await runFleetTest(['install', ...args, '--package', join(dir, 'sendtrace-1.0.0.zip'), '--limit', 'fresh,older'], { HOME: dir });
    const doc = again.result.json as FleetInstallDoc;
    assert.deepEqual(doc.hosts.map((h) => h.action), ['unchanged', 'unchanged']);
    assert.equal(again.result.exit, 0);
    assert.deepEqual((await recordedOps(s.fresh!)).slice(callsBefore), ['--list'], 'only a look, no install');
    assert.match(again.result.text, /0 changed, 2 unchanged, 0 failed/);
  });

  it('the installed CLI answers fleet scan at its default path', async () => {
    const r = await runFleetTest(['scan', ...args, '--limit', 'fresh,older'], { HOME: dir });
    const doc = r.result.json as FleetScanDoc;
    assert.equal(r.result.exit, 0, r.progress.join('\n'));
    assert.deepEqual(doc.subscriptions.map((x) => x.subscription), ['v1.0.0.installed.jp', 'v1.0.0.installed.jp']);
  });

  it('refuses a package that is not a Plesk extension before connecting', async () => {
    const junk = join(dir, 'junk.zip');
    await writeFile(junk, 'not a zip');
    await assert.rejects(runFleetTest(['install', ...args, '--package', junk], { HOME: dir }), /--package .*junk\.zip: not a zip archive/);
    await writeFile(junk, makeZip([{ name: 'readme.txt', data: 'x' }]));
    await assert.rejects(runFleetTest(['install', ...args, '--package', junk], { HOME: dir }), /has no meta\.xml at its top/);
    await assert.rejects(runFleetTest(['install', ...args], { HOME: dir }), /fleet install needs --package ZIP/);
  });
});
