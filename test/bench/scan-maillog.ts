// Speed bench of the maillog pass (issues 2 and 11): generates a Plesk-style
// maillog (BENCH_MB, default 1024) and times, on the same file, in the same run:
//   LC_ALL=C grep -c -E 'uid=[0-9]+ from='   the floor: one regex, no state
//   sendtrace senders --json                 the mail-log pass + the report
//   sendtrace diagnose --json                the full diagnosis (that maillog, the sample psa through
//                                            the plesk simulator on MariaDB, no access logs, no PHP mail.log)
//   … each again over the unchanged log      answered from the cache
//   senders rotated                          the same lines as a server keeps them: three older
//                                            quarters gzipped (maillog.3.gz … .1.gz), the newest
//                                            plain; its senders must equal the plain file's
//   pflogsumm                                the classic Postfix log summariser (Perl)
// BENCH_RUNS rounds (default 3), interleaved; medians of wall and CPU time,
// MB/s, ratios to grep and to pflogsumm, peak RSS (GNU time).
//   npm run bench         BENCH_MB=100 BENCH_RUNS=5 npm run bench
//   BENCH_KEEP=1 keeps the generated files; BENCH_SKIP=pflogsumm,diagnose,rotated skips tools.
// The psa is the sample (test/fixtures/psa/sample-panel.sql) in a private MariaDB (temp dir, unix
// socket, stopped at the end, as in the tests), so the simulator's `plesk db` runs the mariadb client
// as on a server (reference/plesk.md §4.3). Its sql.js binding would add a second node and a database
// built per call (~0.4 s), which a server does not pay: decision 012.
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../service/sources/run-command.ts';
import { startMariadb } from '../helpers/mariadb.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';
import { samplePanelSql } from '../helpers/psa-data.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { formatTable, timed, type Row, type Run } from './bench-runner.ts';
import { generateMaillog } from './maillog-generator.ts';

const MB = Number(process.env.BENCH_MB ?? 1024);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const skip = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const PFLOGSUMM = '/usr/sbin/pflogsumm';

const dir = await mkdtemp(join(tmpdir(), 'sendtrace-bench-'));
const db = await startMariadb();
let sim: PleskSim | null = null;
try {
  await db.loadFile(samplePanelSql);
  sim = await makePleskSim({ socket: db.socket });
  const file = join(dir, 'maillog');
  const g0 = performance.now();
  const gen = generateMaillog(file, MB * 1024 * 1024);
  const bytes = gen.bytes;
  console.log(`generated ${(bytes / 1e6).toFixed(0)} MB, ${gen.lines} lines, ${gen.messages} messages, ${gen.pickups} pickups, ${gen.limitRejects} limit rejects in ${((performance.now() - g0) / 1000).toFixed(1)} s`);

  // The sample psa's two system users are two of the generator's UIDs (10007 is the one leaking); their homes are empty.
  const vhosts = join(dir, 'vhosts');
  for (const root of ['easytone.example/httpdocs', 'easytone.example/easytone-shop.example', 'b-site.example/httpdocs', 'b-site.example/b-second.example']) {
    await mkdir(join(vhosts, root), { recursive: true });
  }
  await writeFile(join(dir, 'passwd'), `root:x:0:0:root:/root:/bin/bash\neasytone:x:10007:1004::/var/www/vhosts/easytone.example:/bin/false\nbsite:x:10001:1004::/var/www/vhosts/b-site.example:/bin/false\n`);
  const state = join(dir, 'state');
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({
    maillog: [file], phpMailLog: [], accessLogs: [], timezone: 'UTC', passwdFile: join(dir, 'passwd'), vhostsRoot: vhosts, plesk: sim.path, stateDir: state,
  }));
  const now = new Date(gen.lastMs + 60_000).toISOString();

  // The rotated set: the file cut in quarters at line ends, the three older ones gzipped.
  const rotDir = join(dir, 'rotated');
  if (!skip.has('rotated')) {
    await mkdir(rotDir);
    const cuts = [0];
    const fh = await open(file, 'r');
    try {
      const probe = Buffer.alloc(64 * 1024);
      for (let q = 1; q < 4; q++) {
        const at = Math.floor((bytes * q) / 4);
        const { bytesRead } = await fh.read(probe, 0, probe.length, at);
        const nl = probe.subarray(0, bytesRead).indexOf(10);
        if (nl < 0) throw new Error(`no line end within 64 KiB of byte ${at}`);
        cuts.push(at + nl + 1);
      }
    } finally {
      await fh.close();
    }
    cuts.push(bytes);
    const names = ['maillog.3.gz', 'maillog.2.gz', 'maillog.1.gz', 'maillog'];
    const r0 = performance.now();
    await Promise.all(names.map((name, q) => {
      const part = createReadStream(file, { start: cuts[q]!, end: cuts[q + 1]! - 1 });
      const out = createWriteStream(join(rotDir, name));
      return name.endsWith('.gz') ? pipeline(part, createGzip({ level: 1 }), out) : pipeline(part, out);
    }));
    console.log(`rotated set written in ${((performance.now() - r0) / 1000).toFixed(1)} s`);
  }

  // Measure the sources as shipped: one bundled file.
  const dist = join(repoRoot, 'dist/sendtrace.mjs');
  const b = await runCommand([process.execPath, 'build.mjs'], { cwd: repoRoot, timeoutMs: 300_000 });
  if (b.code !== 0) throw new Error(`build failed: ${b.stderr}`);
  const cEnv = { ...process.env, LC_ALL: 'C' };
  const grepArgv = ['grep', '-c', '-E', 'uid=[0-9]+ from=', file];
  await runCommand(grepArgv, { env: cEnv, timeoutMs: 3_600_000 });            // warm the page cache
  // The generated files (~2 GB with the rotated set) are still being written back to disk: wait for it,
  // or the first rounds share the machine with the kernel's writeback (seen: +0.2 s on a 1.7 s run).
  const synced = await runCommand(['sync'], { timeoutMs: 600_000 });
  if (synced.code !== 0) throw new Error(`sync failed: ${synced.stderr}`);

  const rows = new Map<string, Row>();
  const record = (r: Run) => {
    // The sample psa has warnings on purpose (an unknown limit value, an orphan domain): diagnose exits 1.
    if (r.code !== 0 && !(r.name.startsWith('diagnose') && r.code === 1)) throw new Error(`${r.name} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
    const row = rows.get(r.name) ?? { name: r.name, runs: [] };
    row.runs.push(r);
    rows.set(r.name, row);
    return r;
  };
  const cached = /answered from the cache/;
  const senders = [process.execPath, dist, 'senders', '--config', config, '--maillog', file, '--json'];
  const rotated = [process.execPath, dist, 'senders', '--config', config, '--maillog', join(rotDir, 'maillog*'), '--json'];
  const diagnose = [process.execPath, dist, 'diagnose', '--config', config, '--now', now, '--json'];
  let first: { senders: string; diagnose: string } | null = null;
  for (let round = 0; round < RUNS; round++) {
    record(await timed('grep', grepArgv, dir, cEnv));
    await rm(join(state, 'cache'), { recursive: true, force: true });
    const s = record(await timed('senders', senders, dir));
    const sc = record(await timed('senders cached', senders, dir));
    if (!cached.test(sc.stderr) || sc.stdout !== s.stdout) throw new Error(`senders was not answered from the cache, or differently: ${sc.stderr}`);
    let d = s;
    if (!skip.has('diagnose')) {
      d = record(await timed('diagnose', diagnose, dir));
      const dc = record(await timed('diagnose cached', diagnose, dir));
      if (!cached.test(dc.stderr) || dc.stdout !== d.stdout) throw new Error(`diagnose was not answered from the cache, or differently: ${dc.stderr}`);
    }
    if (!skip.has('rotated')) {
      const r = record(await timed('senders rotated', rotated, dir));
      const sendersOf = (text: string) => JSON.stringify((JSON.parse(text) as { senders: unknown }).senders);
      if (sendersOf(r.stdout) !== sendersOf(s.stdout)) throw new Error('the rotated set gave other senders than the plain file');
    }
    if (first && (first.senders !== s.stdout || first.diagnose !== d.stdout)) throw new Error('two rounds gave different documents');
    first ??= { senders: s.stdout, diagnose: d.stdout };
    console.log(`round ${round + 1}/${RUNS} done`);
  }
  let pflog: Row | null = null;
  if (!skip.has('pflogsumm') && existsSync(PFLOGSUMM)) {
    record(await timed('pflogsumm', [PFLOGSUMM, file], dir));
    pflog = rows.get('pflogsumm')!;
  }

  // The counts must agree: every pickup line is one message of a uid sender.
  const grep = rows.get('grep')!;
  const doc = JSON.parse(first!.senders) as { messages: number; senders: Array<{ kind: string; messages: number }>; limitRejects: { total: number } };
  const uidMessages = doc.senders.filter((s) => s.kind === 'uid').reduce((n, s) => n + s.messages, 0);
  console.log(`check: grep counted ${grep.runs[0]!.stdout.trim()} pickup lines; senders counted ${uidMessages} uid messages (generator: ${gen.pickups}); messages ${doc.messages} (generator: ${gen.messages}); limit rejects ${doc.limitRejects.total} (generator: ${gen.limitRejects})`);
  console.log(`\n${formatTable([...rows.values()], bytes, grep, pflog)}`);
  console.log('\nwall: median over the rounds (a shared machine: see cpu s); × grep: wall ÷ grep\'s; pflogsumm ÷: pflogsumm\'s wall ÷ this wall');
} finally {
  await Promise.all([db.stop(), sim?.remove()]);
  if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
