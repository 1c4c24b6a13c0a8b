// The machinery of the ReDoS check (redos.test.ts): regular expression
// literals found in the sources with the TypeScript compiler, adversarial
// inputs built from what each pattern accepts, and a worker that times each
// case and is terminated when one does not finish.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import { repoRoot } from '../helpers/repo-root.ts';

export const BOUND_MS = 50;
export const STOP_MS = 1_500;             // a case still running then is stopped and counted as failed
export const SIZE = 100_000;

export const FILES = [
  ...['service/sources', 'service/fleet', 'service/http/auth'].flatMap((d) => readdirSync(join(repoRoot, d)).filter((f) => f.endsWith('.ts')).map((f) => `${d}/${f}`)),
  'service/http/contract.ts', 'service/http/settings-store.ts', 'service/time.ts', 'service/actions/path-arg.ts', 'service/actions/safe-path.ts',
];

type Found = { file: string; line: number; source: string; flags: string };

/** Every regular expression literal in a file, with its line. */
export function regexLiterals(file: string): Found[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Found[] = [];
  const visit = (n: ts.Node) => {
    if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const lit = (n as ts.RegularExpressionLiteral).text;
      const slash = lit.lastIndexOf('/');
      out.push({ file, line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1, source: lit.slice(1, slash), flags: lit.slice(slash + 1) });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const POOL = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), '\t', '\n', '\r', '\0', '\x1b', '\x7f', '\x9f', 'é', 'あ', '\u202e'];

/** The atoms of a pattern that accept characters: classes, escapes, `.`, and literal characters. */
function atoms(source: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '[') {
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      for (; j < source.length && source[j] !== ']'; j++) if (source[j] === '\\') j++;
      out.push(source.slice(i, j + 1));
      i = j;
    } else if (c === '\\') {
      const n = source[i + 1]!;
      const len = n === 'x' ? 4 : n === 'u' ? 6 : 2;
      if (!/[bBk1-9]/.test(n)) out.push(source.slice(i, i + len));
      i += len - 1;
    } else if (c === '.') out.push('.');
    else if (!'^$()|?*+{},:<=!'.includes(c)) out.push(c.replace(/[-\\^$*+?.()|[\]{}/]/g, '\\$&'));
    else if (c === ',' || c === ':' || c === '<' || c === '=' || c === '!') out.push(c);
  }
  return out;
}

/** Characters each atom accepts (a few per atom), most-repeated first. */
function acceptedUnits(source: string, flags: string): string[] {
  const units = new Set<string>();
  for (const a of new Set(atoms(source))) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${a})$`, flags.replace(/[gy]/g, ''));
    } catch {
      continue;   // a fragment that is not a pattern by itself (e.g. inside a quantifier): the other atoms cover it
    }
    const ok = POOL.filter((c) => re.test(c));
    for (const c of [ok[0], ok[Math.floor(ok.length / 2)], ok[ok.length - 1]]) if (c !== undefined) units.add(c);
  }
  return [...units].slice(0, 14);
}

/** The literal text a pattern starts with after `^` (so inputs get past it). */
function literalPrefix(source: string): string {
  if (!source.startsWith('^')) return '';
  let out = '';
  for (let i = 1; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\' && /[[\]().\\/*+?{}|^$-]/.test(source[i + 1] ?? '')) { out += source[++i]; continue; }
    if (/[[\]().*+?{}|^$\\]/.test(c)) break;
    out += c;
  }
  // A quantifier after the last character applies to it alone: leave that character to the repeats.
  return /^[*+?{]/.test(source.slice(1 + out.length)) ? out.slice(0, -1) : out;
}

export type Input = { case: string; prefix: string; unit: string; times: number; suffix: string };

export function adversarialInputs(source: string, flags: string): Input[] {
  const units = acceptedUnits(source, flags);
  const prefixes = [...new Set(['', literalPrefix(source)])];
  const inputs: Input[] = [];
  const show = (s: string) => JSON.stringify(s);
  for (const prefix of prefixes) {
    units.forEach((u, k) => {
      for (const suffix of ['', '\0']) inputs.push({ case: `${show(prefix)} + ${show(u)}×${SIZE}${suffix ? ' + near miss' : ''}`, prefix, unit: u, times: SIZE, suffix });
      const v = units[(k + 1) % units.length]!;
      if (v !== u) inputs.push({ case: `${show(prefix)} + ${show(u + v)}×${SIZE / 2} + near miss`, prefix, unit: u + v, times: SIZE / 2, suffix: '\0' });
    });
  }
  return inputs;
}

export type Timing = { regex: string; where: string; case: string; ms: number; index: number };

export type Case = Input & { where: string; source: string; flags: string };

export function casesOf(patterns: Array<{ where: string; source: string; flags: string }>): Case[] {
  return patterns.flatMap((p) => adversarialInputs(p.source, p.flags).map((input) => ({ ...input, where: p.where, source: p.source, flags: p.flags })));
}

/** Every pattern's adversarial inputs, timed. */
export function timeAll(patterns: Array<{ where: string; source: string; flags: string }>): Promise<Timing[]> {
  return timeCases(casesOf(patterns));
}

/** Runs the cases in one worker; a case still running after STOP_MS is stopped, timed as Infinity, and the rest go on in a new worker. */
export async function timeCases(cases: Case[]): Promise<Timing[]> {
  const timings: Timing[] = [];
  const record = (i: number, ms: number) => {
    const c = cases[i]!;
    timings.push({ regex: `/${c.source}/${c.flags}`, where: c.where, case: c.case, ms, index: i });
  };
  let from = 0;
  while (from < cases.length) {
    from = await new Promise<number>((resolve, reject) => {
      const w = new Worker(new URL('./redos-worker.mjs', import.meta.url));
      let timer: NodeJS.Timeout | undefined;
      w.on('message', (m: { type: string; index: number; ms: number }) => {
        clearTimeout(timer);
        if (m.type === 'start') {
          timer = setTimeout(() => {
            record(m.index, Infinity);
            void w.terminate().then(() => resolve(m.index + 1));
          }, STOP_MS);
        } else if (m.type === 'done') {
          record(m.index, m.ms);
        } else {
          void w.terminate().then(() => resolve(cases.length));
        }
      });
      w.on('error', reject);
      w.postMessage({ cases, from });
    });
  }
  return timings;
}

export function slowest(timings: Timing[]): Timing[] {
  return timings.filter((t) => t.ms >= BOUND_MS);
}


/**
 * The cases that fail the check, described. A slow case is timed again, at its
 * size and at half of it: the machine is shared, and a global pattern that
 * matches on every character (an escaper) does 100 000 replacements in linear
 * time. Failing: stopped, ten times the bound, or over the bound and growing
 * faster than linearly (more than 3× for twice the input).
 */
export async function failures(cases: Case[], timings: Timing[]): Promise<Array<{ where: string; text: string }>> {
  const out: Array<{ where: string; text: string }> = [];
  for (const t of slowest(timings)) {
    const c = cases[t.index]!;
    const [full, half] = t.ms === Infinity ? [t, t] : await timeCases([c, { ...c, times: Math.floor(c.times / 2) }]);
    const superLinear = full!.ms >= BOUND_MS && full!.ms / Math.max(half!.ms, 1) > 3;
    if (full!.ms === Infinity || full!.ms >= 10 * BOUND_MS || superLinear) {
      out.push({ where: t.where, text: `${t.where} ${t.regex} on ${t.case}: ${full!.ms === Infinity ? `stopped after ${STOP_MS} ms` : `${full!.ms.toFixed(0)} ms (half the input: ${half!.ms.toFixed(0)} ms)`}` });
    }
  }
  return out;
}
