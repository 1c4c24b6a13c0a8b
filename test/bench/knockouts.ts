// How low could a `senders` run go? The same program with one part knocked
// out, timed against the whole program in the same run (decision 019). A
// measurement for planning issue 2's next steps, not a part of the product,
// and outside CI: each variant's results are wrong by construction (it skips
// work), only its time means something.
//
// The program is bundled unminified (build.mjs's options, minify off), each variant
// is that text with one or more exact replacements, and each is minified
// again with esbuild, so every variant runs code like the shipped file's. A
// replacement whose text is not found exactly once stops the bench: the code
// moved, and the variant must be updated here, not silently skipped.
//
//   node --import ./test/helpers/register-ts.mjs test/bench/knockouts.ts
//   BENCH_MB (default 1024), BENCH_RUNS (rounds, default 5), BENCH_FILE (an existing maillog instead
//   of a generated one), BENCH_ONLY=name,name (variants to run besides `full`)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, transform } from 'esbuild';
import { serviceBundleOptions } from '../../build/service-bundle.mjs';
import { repoRoot } from '../helpers/repo-root.ts';
import { median, timed, type Run } from './bench-runner.ts';
import { generateMaillog } from './maillog-generator.ts';

const MB = Number(process.env.BENCH_MB ?? 1024);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const only = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));

type Variant = { name: string; what: string; replace: Array<[string, string]> };

const ONE_THREAD: [string, string] = ['const worker = options.threads !== 1 &&', 'const worker = false &&'];
const NO_ACCUMULATING: [string, string] = ['  function add(e) {\n', '  function add(e) {\n    return;\n'];

const VARIANTS: Variant[] = [
  { name: 'full', what: 'the program as shipped', replace: [] },
  { name: 'no-acc', what: 'no accumulating: parse, hand-over and start only', replace: [NO_ACCUMULATING] },
  { name: 'no-tally', what: 'messages followed, never tallied (no senders, so no tail)', replace: [['function tallyMessage(t, m, options) {\n', 'function tallyMessage(t, m, options) {\n  return;\n']] },
  { name: 'no-submit', what: 'tallied, without the per-sender submissions', replace: [['      t.submits.add(s, at, recipients, m.from, m.clientIp);\n', '\n']] },
  { name: 'one-thread', what: 'the whole program on one thread', replace: [ONE_THREAD] },
  { name: 'one-thread-no-acc', what: 'one thread, no accumulating: the parse alone', replace: [ONE_THREAD, NO_ACCUMULATING] },
];

function patched(text: string, v: Variant): string {
  let out = text;
  for (const [from, to] of v.replace) {
    const at = out.indexOf(from);
    if (at < 0 || out.indexOf(from, at + 1) >= 0) {
      throw new Error(`knock-out ${v.name}: ${JSON.stringify(from)} is not in the bundle exactly once; update test/bench/knockouts.ts`);
    }
    out = out.slice(0, at) + to + out.slice(at + from.length);
  }
  return out;
}

const dir = await mkdtemp(join(tmpdir(), 'sendtrace-knockouts-'));
try {
  // The shipped file's options (build.mjs), minify off and ASCII output, so that the replacements match source-like text.
  const bundled = await build({ ...serviceBundleOptions(repoRoot), write: false, minify: false, charset: 'ascii' });
  const text = bundled.outputFiles[0]!.text;
  const variants = VARIANTS.filter((v) => v.name === 'full' || only.size === 0 || only.has(v.name));
  const files = new Map<string, string>();
  for (const v of variants) {
    const min = await transform(patched(text, v), { minify: true, format: 'esm', target: 'node20', charset: 'ascii', legalComments: 'none' });
    const file = join(dir, `${v.name}.mjs`);
    await writeFile(file, min.code);
    files.set(v.name, file);
  }

  let log = process.env.BENCH_FILE;
  if (!log) {
    log = join(dir, 'maillog');
    const g0 = performance.now();
    const gen = generateMaillog(log, MB * 1024 * 1024);
    console.log(`generated ${(gen.bytes / 1e6).toFixed(0)} MB, ${gen.lines} lines in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
  }
  const config = join(dir, 'config.json');
  const state = join(dir, 'state');
  await writeFile(config, JSON.stringify({ maillog: [log], timezone: 'UTC', passwdFile: '/etc/passwd', stateDir: state }));

  const runs = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const v of variants) {
      await rm(state, { recursive: true, force: true });     // every run a cold one: no cache entry
      const run = await timed(v.name, [process.execPath, files.get(v.name)!, 'senders', '--config', config, '--json'], dir);
      if (run.code !== 0 && run.code !== 1) throw new Error(`${v.name} exited with ${run.code}: ${run.stderr.slice(0, 500)}`);
      runs.get(v.name)!.push(run);
    }
    console.log(`round ${r + 1}/${RUNS} done`);
  }
  const wall = (n: string) => median(runs.get(n)!.map((x) => x.seconds));
  const cpu = (n: string) => median(runs.get(n)!.map((x) => x.cpuSeconds));
  const rss = (n: string) => Math.max(...runs.get(n)!.map((x) => x.maxRssMb));
  const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  // What each variant still counted (its last run's document): the knock-out did take effect.
  const counted = (n: string) => {
    const d = JSON.parse(runs.get(n)!.at(-1)!.stdout) as { lines: number; messages: number; senders: unknown[] };
    return `${d.lines} lines, ${d.messages} messages, ${d.senders.length} senders`;
  };
  console.log('variant              wall s  ÷ full   cpu s  ÷ full  max RSS MB  what (counted)');
  for (const v of variants) {
    console.log([
      v.name.padEnd(18), f(wall(v.name)).padStart(8), f(wall(v.name) / wall('full')).padStart(7), f(cpu(v.name)).padStart(7),
      f(cpu(v.name) / cpu('full')).padStart(7), f(rss(v.name), 0).padStart(11), ` ${v.what} (${counted(v.name)})`,
    ].join(' '));
  }
  console.log('medians over the rounds, variants in turn; ÷ full: this variant\'s median over the full program\'s');
} finally {
  if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
}
