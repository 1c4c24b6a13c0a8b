// `npm run fuzz`: the property tests of test/fuzz with many more runs and a
// random seed (or FUZZ_SEED / FUZZ_RUNS from the environment), printing the
// seed first so any failure can be replayed with the same numbers.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const seed = process.env.FUZZ_SEED ?? String(randomInt(0, 2 ** 31 - 1));
const runs = process.env.FUZZ_RUNS ?? '20000';
console.log(`fuzz: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} node test/run.mjs test/fuzz)`);
const r = spawnSync(process.execPath, ['test/run.mjs', 'test/fuzz', ...process.argv.slice(2)], {
  cwd: root, stdio: 'inherit', env: { ...process.env, FUZZ_SEED: seed, FUZZ_RUNS: runs },
});
console.log(`fuzz: seed was ${seed}`);
process.exit(r.status ?? 1);
