// Bench of fleet scan (issue 7): N sshd processes on loopback (default 50),
// each a "Plesk server", scanned with --concurrency 1 and 16; prints the wall
// times and their ratio.
//
//   node --import ./test/helpers/register-ts.mjs test/bench/fleet.ts            canned: the host's CLI prints a
//                                                                               recorded diagnose document (fleet's own cost:
//                                                                               SSH handshake, node start, transfer, parsing)
//   BENCH_FLEET_MODE=real …   each host runs the real dist/sendtrace.mjs diagnose on the sample psa (plesk simulator);
//                             on this one machine all "servers" share its CPUs, so this measures the box more than fleet
//   BENCH_FLEET_HOSTS=20 …    fewer hosts
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FleetScanDoc } from '../../service/fleet/merge-report.ts';
import { cannedDiagnosis, makeCannedServer, makePsaServer, requireDist, type FakeServer } from '../fleet/fake-servers.ts';
import { knownHostsLine, runFleetTest, stopAll, writeIniInventory } from '../fleet/harness.ts';
import { makeKeyPair, startSshd, type Sshd } from '../fleet/sshd.ts';
import { samplePanelSql } from '../helpers/psa-data.ts';

const HOSTS = Number(process.env.BENCH_FLEET_HOSTS ?? 50);
const MODE = process.env.BENCH_FLEET_MODE === 'real' ? 'real' : 'canned';

async function main(): Promise<void> {
  requireDist();
  const dir = await mkdtemp(join(tmpdir(), 'st-bench-fleet-'));
  const sshds: Sshd[] = [];
  let server: FakeServer | null = null;
  try {
    const client = await makeKeyPair(dir, 'client');
    const names = Array.from({ length: 20 }, (_, i) => `shop${i + 1}.example.jp`);
    server = MODE === 'real' ? await makePsaServer(samplePanelSql, '2022-02-03T23:00:00+09:00') : await makeCannedServer(cannedDiagnosis(names, names[3]));
    const t0 = performance.now();
    for (let i = 0; i < HOSTS; i += 10) sshds.push(...(await Promise.all(Array.from({ length: Math.min(10, HOSTS - i) }, () => startSshd(`${client.publicLine}\n`)))));
    console.error(`bench: ${HOSTS} sshd processes ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, `${sshds.map((s) => knownHostsLine(s.port, s.hostKey)).join('\n')}\n`);
    const inventory = join(dir, 'hosts.ini');
    await writeIniInventory(inventory, { plesk: sshds.map((s, i) => ({ name: `web${String(i + 1).padStart(2, '0')}`, port: s.port })) }, {
      ansible_user: 'root', ansible_ssh_private_key_file: client.privatePath, sendtrace_cli: server.cli, sendtrace_node: process.execPath,
    });
    const scan = async (concurrency: number) => {
      const r = await runFleetTest(['scan', '--inventory', inventory, '--known-hosts', knownHosts, '--concurrency', String(concurrency), '--timeout', '600'], { HOME: dir });
      const doc = r.result.json as FleetScanDoc;
      if (doc.failed) throw new Error(`${doc.failed} host(s) failed: ${JSON.stringify(doc.hosts.find((h) => !h.ok)?.failure)}`);
      return { seconds: r.ms / 1000, rows: doc.subscriptions.length };
    };
    await scan(16); // warm-up: page cache, the simulator's database cache
    const loadBefore = loadavg()[0]!;
    const one = await scan(1);
    const sixteen = await scan(16);
    const loadAfter = loadavg()[0]!;
    const ratio = one.seconds / sixteen.seconds;
    console.log(`fleet scan, ${HOSTS} sshd hosts on loopback, mode ${MODE}, ${cpus().length} CPU(s), ${one.rows} subscriptions merged`);
    console.log(`  --concurrency 1   ${one.seconds.toFixed(1)} s  (${((one.seconds / HOSTS) * 1000).toFixed(0)} ms per host)`);
    console.log(`  --concurrency 16  ${sixteen.seconds.toFixed(1)} s`);
    console.log(`  ratio             ${ratio.toFixed(1)}x`);
    // Other work on the machine skews both numbers; say how busy it was.
    console.log(`  load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`);
  } finally {
    await stopAll(sshds);
    await server?.remove();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
