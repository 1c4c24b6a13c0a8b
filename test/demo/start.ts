// `npm start`: the demo. Generates the fixture world (the DESIGN.md §1 incident
// and four other subscriptions, from real Postfix/PHP captures), binds the
// plesk simulator to its psa data on sql.js (no Plesk, no MariaDB), and runs
// the product exactly as on a server: dist/sendtrace.mjs diagnose.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cachedWorld } from '../fixtures/expand/world.ts';
import { makePleskSim } from '../helpers/plesk-sim.ts';
import { repoRoot } from '../helpers/repo-root.ts';

const started = Date.now();
process.stderr.write('demo: preparing the incident world (first run takes a minute; cached after)…\n');
const world = await cachedWorld();
const sim = await makePleskSim({ sqlite: join(world.dir, 'psa.sql') });
try {
  const raw = JSON.parse(readFileSync(join(world.dir, 'config.json'), 'utf8'));
  const abs = (p: string) => resolve(world.dir, p);
  const stateDir = resolve(repoRoot, 'test/.out/demo-state');
  mkdirSync(stateDir, { recursive: true });
  const config = join(stateDir, 'config.json');
  writeFileSync(config, JSON.stringify({
    ...raw, plesk: sim.path, maillog: raw.maillog.map(abs), phpMailLog: raw.phpMailLog.map(abs), accessLogs: raw.accessLogs.map(abs),
    vhostsRoot: abs(raw.vhostsRoot), passwdFile: abs(raw.passwdFile), stateDir,
  }, null, 2));
  process.stderr.write(`demo: world ready in ${((Date.now() - started) / 1000).toFixed(1)} s — ${world.dir}\n`);
  process.stderr.write(`demo: node dist/sendtrace.mjs diagnose --config ${config} --now ${world.now}\n\n`);
  const cli = resolve(repoRoot, 'dist/sendtrace.mjs');
  const text = execFileSync(process.execPath, [cli, 'diagnose', '--config', config, '--now', world.now], { encoding: 'utf8', maxBuffer: 64 << 20 });
  process.stdout.write(text);
  const doc = JSON.parse(execFileSync(process.execPath, [cli, 'diagnose', '--config', config, '--now', world.now, '--json', '--subscription', 'sk-seikan.jp'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  process.stdout.write(`\n日本語（sk-seikan.jp）:\n${doc.subscriptions[0].explanation.ja}\n`);
  process.stderr.write(`\ndemo: try it yourself — node dist/sendtrace.mjs diagnose --config ${config} --now ${world.now} --json\n`);
} finally {
  await sim.remove();
}
