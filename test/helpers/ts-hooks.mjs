// Strips the types of the TypeScript sources for node's test runner (esbuild,
// already a build dependency). Every test file runs in its own process, and
// most import the same modules: each transform is kept in a cache folder
// (node_modules/.cache/sendtrace-ts, keyed by esbuild's version, the options,
// the path and the source), so a process whose modules are all there never
// starts esbuild's service. A run of the whole suite reads ~130 files' imports.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemblyScriptModule, writeCacheFile } from '../../build/assemblyscript.mjs';

const CACHE = fileURLToPath(new URL('../../node_modules/.cache/sendtrace-ts/', import.meta.url));
let esbuild = null;
let version = null;

async function esbuildVersion() {
  // The version from its package.json: loading esbuild itself is what a cache hit avoids.
  version ??= JSON.parse(await readFile(fileURLToPath(new URL('../../node_modules/esbuild/package.json', import.meta.url)), 'utf8')).version;
  return version;
}

export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  // An AssemblyScript source: its compiled module's bytes (build/assemblyscript.mjs keeps them cached).
  if (url.startsWith('file:') && url.endsWith('.as')) {
    return { format: 'module', source: await assemblyScriptModule(fileURLToPath(url)), shortCircuit: true };
  }
  if (!url.startsWith('file:') || !/\.(ts|tsx)$/.test(url)) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const options = {
    loader: path.endsWith('x') ? 'tsx' : 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: path,
    jsx: 'automatic',
    jsxImportSource: 'preact',
  };
  const key = createHash('sha256').update(JSON.stringify([await esbuildVersion(), options])).update('\0').update(source).digest('hex');
  const file = join(CACHE, `${key}.js`);
  try {
    return { format: 'module', source: await readFile(file, 'utf8'), shortCircuit: true };
  } catch {
    // Not cached yet (or the cache folder cannot be read): transform.
  }
  esbuild ??= await import('esbuild');
  const { code } = await esbuild.transform(source, options);
  // Another test process may write the same entry (writeCacheFile: its own file, renamed into place).
  await writeCacheFile(file, code);
  return { format: 'module', source: code, shortCircuit: true };
}
