// The Plesk extension package (issue 6, docs/extension.md): extension/ + the
// sidecar bundle + the panel bundle, laid out as Plesk expects
// (reference/plesk.md §5.1 [V]), zipped deterministically to
// dist/sendtrace-<version>-<release>.zip. Nothing else goes in: no sources,
// no tests, no node_modules — only the files listed below.
//   node build/package.mjs [--out DIR]      (build.mjs runs it after the bundles)
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createZip } from './zip.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// Files of extension/ that are not part of the package (editor and OS litter).
const IGNORED = [/(^|\/)\./, /~$/, /\.swp$/, /(^|\/)Thumbs\.db$/];

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
    else throw new Error(`package: ${p} is neither a file nor a folder (symlinks are not packaged)`);
  }
  return out;
}

function metaField(xml, tag) {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (!m) throw new Error(`meta.xml has no <${tag}>`);
  return m[1].trim();
}

/** meta.xml with <version> from package.json (the one version of the product). */
export function packageMeta(root = ROOT) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const source = readFileSync(join(root, 'meta.xml'), 'utf8');
  const version = String(pkg.version);
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`package.json version '${version}' is not x.y.z`);
  const release = metaField(source, 'release');
  if (!/^[1-9]\d{0,5}$/.test(release)) throw new Error(`meta.xml <release> '${release}' is not a positive integer`);
  if (metaField(source, 'id') !== 'sendtrace') throw new Error('meta.xml <id> must be sendtrace');
  const xml = source.replace(/<version>[^<]*<\/version>/, `<version>${version}</version>`);
  return { xml, version, release };
}

/** Every entry of the package: { name, data, mode }. */
export function packageEntries(root = ROOT) {
  const { xml, version, release } = packageMeta(root);
  const entries = [];
  const add = (name, data, mode = 0o644) => entries.push({ name, data, mode });
  const ext = join(root, 'extension');
  for (const file of walk(ext)) {
    const name = relative(ext, file).split('\\').join('/');
    if (IGNORED.some((re) => re.test(name))) continue;
    // sbin/ holds the root helper: it must stay executable (the zip's unix mode).
    add(name, readFileSync(file), name.startsWith('sbin/') ? 0o755 : 0o644);
  }
  add('meta.xml', Buffer.from(xml));
  add('plib/resources/build.json', Buffer.from(`${JSON.stringify({ version, release })}\n`));
  // The sidecar (and CLI): under plib/, which Plesk does not serve over the web.
  add('plib/sidecar/sendtrace.mjs', readFileSync(join(root, 'dist/sendtrace.mjs')));
  // The panel: web-served from htdocs/ (…/modules/sendtrace/panel/app.js).
  for (const f of ['app.js', 'app.css']) add(`htdocs/panel/${f}`, readFileSync(join(root, 'dist/panel', f)));
  add('htdocs/images/sendtrace-32.png', readFileSync(join(ext, '_meta/icons/32x32.png')));
  return { entries, version, release };
}

/** Writes dist/sendtrace-<version>-<release>.zip (or into `outDir`); returns its path, size and sha256. */
export function buildPackage({ root = ROOT, outDir = join(root, 'dist') } = {}) {
  const { entries, version, release } = packageEntries(root);
  const zip = createZip(entries);
  mkdirSync(outDir, { recursive: true });
  // Only the current package in the folder: an older zip beside it is easy to install by mistake.
  for (const name of readdirSync(outDir)) {
    if (/^sendtrace-.*\.zip$/.test(name)) rmSync(join(outDir, name));
  }
  const path = join(outDir, `sendtrace-${version}-${release}.zip`);
  writeFileSync(path, zip);
  const sha256 = createHash('sha256').update(zip).digest('hex');
  return { path, size: statSync(path).size, sha256, entries: entries.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const r = buildPackage(i === -1 ? {} : { outDir: resolve(process.argv[i + 1]) });
  console.error(`${relative(process.cwd(), r.path) || r.path} ${(r.size / 1024).toFixed(0)} KiB (${r.size} bytes, ${r.entries} files) sha256 ${r.sha256}`);
}
