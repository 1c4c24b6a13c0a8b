// Compiles an AssemblyScript source (a `.as` file: service/sources/maillog-line.as)
// to WebAssembly, for the bundle (service-bundle.mjs) and for the tests' module
// hook (test/helpers/ts-hooks.mjs): importing a `.as` file gives its module's
// bytes as a base64 string (service/sources/wasm-modules.d.ts). The compiler is
// a development dependency only: the bundle carries the bytes. Each result is
// kept in node_modules/.cache/sendtrace-as, keyed by the compiler's version, the
// flags and the source, so a test process rarely starts the compiler (~1 s).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, 'node_modules/.cache/sendtrace-as');

// Fixed memory (never grows: docs/decisions/021), SIMD for the newline search, no runtime
// (the module allocates nothing), no assertions (every index is checked by the code itself).
// Node 20's V8 runs wasm SIMD without flags.
export const ASC_FLAGS = ['-O3', '--runtime', 'stub', '--noAssert', '--enable', 'simd', '--initialMemory', '160', '--maximumMemory', '160'];

/** The module compiled from the AssemblyScript file at `path`, as bytes. */
export async function compileAssemblyScript(path) {
  const source = await readFile(path, 'utf8');
  const version = JSON.parse(await readFile(join(ROOT, 'node_modules/assemblyscript/package.json'), 'utf8')).version;
  const key = createHash('sha256').update(JSON.stringify([version, ASC_FLAGS])).update('\0').update(source).digest('hex');
  const file = join(CACHE, `${key}.wasm`);
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    // Not compiled yet.
  }
  const { default: asc } = await import('assemblyscript/asc');
  let binary = null;
  const { error, stderr } = await asc.main(['module.ts', ...ASC_FLAGS, '-o', 'module.wasm'], {
    readFile: (name) => (name === 'module.ts' ? source : null),
    writeFile: (name, data) => {
      if (name === 'module.wasm') binary = data;
    },
    listFiles: () => [],
  });
  if (error || !binary) throw new Error(`AssemblyScript could not compile ${path}:\n${stderr.toString()}${error?.message ?? ''}`);
  await writeCacheFile(file, binary);
  return binary;
}

/**
 * Writes one file of a cache folder shared by concurrent processes (test runs): each writes its own
 * temporary file and renames it into place. A cache that cannot be written only costs the next
 * process the work again: no error. Also used by test/helpers/ts-hooks.mjs.
 */
export async function writeCacheFile(file, data) {
  try {
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch {
    // Not cached.
  }
}

/** The module text of a `.as` import: its bytes, base64. */
export async function assemblyScriptModule(path) {
  return `export default ${JSON.stringify(Buffer.from(await compileAssemblyScript(path)).toString('base64'))};\n`;
}
