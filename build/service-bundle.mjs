// esbuild's options for dist/sendtrace.mjs, the CLI and sidecar in one file
// (CONTRACT.md "Running it"): build.mjs writes it with them; the knock-out
// bench (test/bench/knockouts.ts) bundles the same program with them, minify off.
// Facts used: ../shared/reference/build-notes.md.
import { assemblyScriptModule } from './assemblyscript.mjs';

/** The lines before the bundle: a #! line, and the CommonJS names some dependencies use. */
const banner = [
  '#!/usr/bin/env node',
  "import { createRequire as __stCreateRequire } from 'node:module';",
  "import { fileURLToPath as __stFileURLToPath } from 'node:url';",
  "import { dirname as __stDirname } from 'node:path';",
  'const require = __stCreateRequire(import.meta.url);',
  'const __filename = __stFileURLToPath(import.meta.url);',
  'const __dirname = __stDirname(__filename);',
].join('\n');

// zod's `z.locales` (every language's error messages, ~15 % of the bundle) is never used: zod
// configures English from its own module (locales/en.js, kept). Every run parses what the file
// holds, so the namespace is left empty: a CLI start is ~30 ms shorter (decision 012).
const zodLocalesUnused = {
  name: 'zod-locales-unused',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

// An AssemblyScript source (`.as`) is bundled as its compiled module's bytes (build/assemblyscript.mjs).
const assemblyScript = {
  name: 'assemblyscript',
  setup(b) {
    b.onLoad({ filter: /\.as$/ }, async (args) => ({ contents: await assemblyScriptModule(args.path), loader: 'js' }));
  },
};

/** `root`: the repository (entry point relative to it). Without `outfile`/`write`: the caller says where. */
export function serviceBundleOptions(root = '.') {
  return {
    entryPoints: [`${root}/service/main.ts`],
    plugins: [zodLocalesUnused, assemblyScript],
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
  };
}
