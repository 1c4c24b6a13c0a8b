// Builds dist/sendtrace.mjs: one self-contained file that is both the CLI and
// the sidecar (CONTRACT.md "Running it"). Facts used: ../shared/reference/build-notes.md.
import { build } from 'esbuild';
import { mkdir, stat } from 'node:fs/promises';

const banner = [
  '#!/usr/bin/env node',
  "import { createRequire as __stCreateRequire } from 'node:module';",
  "import { fileURLToPath as __stFileURLToPath } from 'node:url';",
  "import { dirname as __stDirname } from 'node:path';",
  'const require = __stCreateRequire(import.meta.url);',
  'const __filename = __stFileURLToPath(import.meta.url);',
  'const __dirname = __stDirname(__filename);',
].join('\n');

await mkdir('dist', { recursive: true });
await build({
  entryPoints: ['service/main.ts'],
  outfile: 'dist/sendtrace.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  // ssh2's optional native parts: loaded in try/catch, pure JS fallback.
  external: ['cpu-features', '*.node'],
  banner: { js: banner },
  logLevel: 'warning',
});
const { size } = await stat('dist/sendtrace.mjs');
console.error(`dist/sendtrace.mjs ${(size / 1024).toFixed(0)} KiB`);
