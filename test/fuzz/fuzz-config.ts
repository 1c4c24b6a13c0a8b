// How many cases the property tests try, and from which seed. CI runs a fixed
// seed and a modest count (the whole folder in well under a minute on two
// cores); `npm run fuzz` (test/fuzz/long.mjs) sets FUZZ_RUNS high and a random
// FUZZ_SEED, and prints the seed so a failure can be replayed:
//   FUZZ_SEED=123 FUZZ_RUNS=20000 node test/run.mjs test/fuzz
// Tests read the environment here only (the product reads it in config.ts).
import fc from 'fast-check';

const DEFAULT_SEED = 20220203;
const seedText = process.env.FUZZ_SEED;
const runsText = process.env.FUZZ_RUNS;

export const FUZZ_SEED = seedText !== undefined && /^-?\d+$/.test(seedText) ? Number(seedText) : DEFAULT_SEED;
/** The run count for a property; `weight` scales it for properties that are costlier per case. */
export function fuzzRuns(ciRuns: number): number {
  const wanted = runsText !== undefined && /^\d+$/.test(runsText) ? Number(runsText) : null;
  return wanted === null ? ciRuns : Math.max(ciRuns, wanted);
}

/** fc.assert with the shared seed and run count; a failure message carries the seed and the path to replay it. */
export function check<T>(property: fc.IProperty<T> | fc.IAsyncProperty<T>, ciRuns = 300): void | Promise<void> {
  return fc.assert(property as fc.IProperty<T>, { seed: FUZZ_SEED, numRuns: fuzzRuns(ciRuns), verbose: 1, includeErrorInReport: true });
}

export { fc };
