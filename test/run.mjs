// Runs every test/**/*.test.ts with node's own runner (Node 20's --test does
// not expand globs). Extra arguments are passed to node --test, e.g. a file
// filter: `node test/run.mjs test/sources`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.out') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

// Two files run at a time, in this order: the longest start first, so that the
// run does not end with one long file alone on a core (measured in a full CI
// run on 2 cores, seconds: walk 236, live e2e 186, lab 168, maillog-parallel 79;
// the rest are under 35 each). Longest-first saved ~90 s of a 700 s run.
const LONGEST_FIRST = [
  'test/panel/walk.test.ts',
  'test/live/e2e-postfix.test.ts',
  'test/lab/lab.test.ts',
  'test/sources/maillog-parallel.test.ts',
  'test/actions/quarantine.test.ts',
  'test/commands/diagnose-bad-input.test.ts',
];
const rank = (f) => {
  const i = LONGEST_FIRST.indexOf(f);
  return i === -1 ? LONGEST_FIRST.length : i;
};
const files = walk(join(root, 'test')).sort().filter((f) => !filters.length || filters.some((x) => f.startsWith(x)))
  .sort((a, b) => rank(a) - rank(b));
if (!files.length) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, [
  '--import', './test/helpers/register-ts.mjs', '--test', '--test-concurrency=2', '--test-timeout=600000', ...flags, ...files,
], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
