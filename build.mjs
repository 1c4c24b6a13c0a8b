// Builds dist/sendtrace.mjs: one self-contained file that is both the CLI and
// the sidecar (CONTRACT.md "Running it"), with the options of build/service-bundle.mjs.
import { build } from 'esbuild';
import { mkdir, stat } from 'node:fs/promises';
import { serviceBundleOptions } from './build/service-bundle.mjs';

await mkdir('dist', { recursive: true });
await build({ ...serviceBundleOptions(), outfile: 'dist/sendtrace.mjs' });
const { size } = await stat('dist/sendtrace.mjs');
console.error(`dist/sendtrace.mjs ${(size / 1024).toFixed(0)} KiB`);

// The panel (frontend/, docs/panel.md): one browser bundle, its stylesheet and,
// for the demo, the page shell. Nothing is fetched from elsewhere at run time.
const { gzipSync } = await import('node:zlib');
const { readFile, writeFile } = await import('node:fs/promises');
const PANEL_BUDGET_GZIP = 60 * 1024;
await mkdir('dist/panel', { recursive: true });
await build({
  entryPoints: { app: 'frontend/main.tsx' },
  outdir: 'dist/panel',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15', 'edge100'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
// The page shell comes from frontend/page.ts (shared with the demo server and mirrored by the shim).
const page = await build({ entryPoints: ['frontend/page.ts'], bundle: true, write: false, format: 'esm', platform: 'neutral', logLevel: 'warning' });
const { renderPanelPage } = await import(`data:text/javascript;base64,${Buffer.from(page.outputFiles[0].text).toString('base64')}`);
await writeFile('dist/panel/index.html', renderPanelPage({
  bootstrap: { locale: 'en-US', role: 'admin', baseUrl: '', timezone: Intl.DateTimeFormat().resolvedOptions().timeZone },
  assetBase: '.',
}));
const js = await readFile('dist/panel/app.js');
const css = await readFile('dist/panel/app.css');
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.error(`dist/panel/app.js ${kib(js.length)} (${kib(gzipSync(js, { level: 9 }).length)} gzipped), app.css ${kib(css.length)} (${kib(gzipSync(css, { level: 9 }).length)} gzipped)`);
if (gzipSync(js, { level: 9 }).length > PANEL_BUDGET_GZIP) {
  console.error(`dist/panel/app.js is over its budget of ${kib(PANEL_BUDGET_GZIP)} gzipped (issue 5)`);
  process.exit(1);
}

// The Plesk extension package (build/package.mjs, docs/extension.md): extension/,
// the sidecar and the panel, zipped deterministically; its size and sha256 are printed
// so a release can be checked against what was installed.
const { buildPackage } = await import('./build/package.mjs');
const extensionZip = buildPackage();
console.error(`dist/${extensionZip.path.split('/').pop()} ${(extensionZip.size / 1024).toFixed(0)} KiB (${extensionZip.size} bytes, ${extensionZip.entries} files) sha256 ${extensionZip.sha256}`);
