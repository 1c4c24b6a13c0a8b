// `plesk bin extension …` in the simulator (reference/plesk.md §4.6 [V]):
//
//   plesk bin extension --list|-l                 one "<id> - <name>" line per installed extension
//                                                 (the format third-party scripts parse [I])
//   plesk bin extension --install|-i FILE.zip     refuses an extension that is already installed
//   plesk bin extension --upgrade|-g FILE.zip     refuses one that is not installed, or not older
//
// Install and upgrade read meta.xml from the zip (a small reader on node:zlib,
// no unzip binary) and lay the package out as Plesk does (§5.1 [V]): meta.xml
// and plib/ → <root>/admin/plib/modules/<id>/, htdocs/ → <root>/admin/htdocs/modules/<id>/,
// var/ → <root>/var/modules/<id>/ (kept on upgrade), where <root> stands for
// PRODUCT_ROOT_D. State: PLESK_SIM_STATE_DIR (required): extensions.json (the
// registry) and psa/ (the product root).
// Test knob: PLESK_SIM_EXTENSION_FAIL=1 makes install/upgrade fail after reading the package.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

/** Every file of a zip: [{ name, data }]. Stored and deflated entries; no ZIP64. */
export function readZip(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw new Error('not a zip archive');
  const files = [];
  let p = buf.readUInt32LE(eocd + 16);
  for (let n = buf.readUInt16LE(eocd + 10); n > 0; n--) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt central directory');
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    if (method !== 0 && method !== 8) throw new Error(`${name}: compression method ${method}`);
    files.push({ name, data: method === 0 ? Buffer.from(raw) : inflateRawSync(raw) });
  }
  return files;
}

function metaField(xml, tag) {
  return new RegExp(`<${tag}>\\s*([^<]*?)\\s*</${tag}>`).exec(xml)?.[1];
}

function loadRegistry(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return {};
    throw err;
  }
}

function compare(a, b) {
  const pa = a.version.split('.'), pb = b.version.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = Number(pa[i] ?? 0) - Number(pb[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return Math.sign(Number(a.release) - Number(b.release));
}

function layOut(root, id, files, fail) {
  const plib = join(root, 'admin/plib/modules', id);
  const htdocs = join(root, 'admin/htdocs/modules', id);
  // Zip-slip: Plesk would refuse such an archive; so does the simulator, before touching anything.
  const unsafe = files.find((f) => f.name.startsWith('/') || f.name.includes('\\') || f.name.split('/').includes('..'));
  if (unsafe) fail(`Unable to install the extension: unsafe path '${unsafe.name}' in the archive`);
  rmSync(plib, { recursive: true, force: true });
  rmSync(htdocs, { recursive: true, force: true });
  for (const f of files) {
    if (f.name.endsWith('/')) continue;
    const [top, ...rest] = f.name.split('/');
    const target = f.name === 'meta.xml' ? join(plib, 'meta.xml')
      : top === 'plib' ? join(plib, ...rest)
        : top === 'htdocs' ? join(htdocs, ...rest)
          : top === 'var' ? join(root, 'var/modules', id, ...rest)
            : null;
    if (!target || (f.name !== 'meta.xml' && !rest.join(''))) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data, { mode: 0o644 });
  }
}

export function runExtension(args, env, fail) {
  const state = env.PLESK_SIM_STATE_DIR;
  if (!state) fail('plesk bin extension: the simulator needs PLESK_SIM_STATE_DIR (where installed extensions are kept)');
  const registryPath = join(state, 'extensions.json');
  const root = join(state, 'psa');
  const registry = loadRegistry(registryPath);
  const [op, file, ...rest] = args;
  if (op === '--list' || op === '-l') {
    for (const id of Object.keys(registry).sort()) process.stdout.write(`${id} - ${registry[id].name}\n`);
    return;
  }
  if (!['--install', '-i', '--upgrade', '-g'].includes(op)) fail(`plesk bin extension ${op ?? ''}: not implemented in the simulator (--list, --install, --upgrade are)`);
  if (!file || rest.length) fail(`Usage: plesk bin extension ${op} <file.zip>`);
  let files;
  try {
    files = readZip(readFileSync(file));
  } catch (err) {
    fail(`Unable to install the extension: cannot read ${file}: ${err.message}`);
  }
  const xml = files.find((f) => f.name === 'meta.xml')?.data.toString('utf8');
  if (!xml) fail('Unable to install the extension: meta.xml is missing from the archive');
  const meta = { id: metaField(xml, 'id'), name: metaField(xml, 'name') ?? metaField(xml, 'id'), version: metaField(xml, 'version'), release: metaField(xml, 'release') ?? '0' };
  if (!meta.id || !/^[a-z0-9-]+$/.test(meta.id) || !meta.version) fail('Unable to install the extension: meta.xml has no valid <id> or <version>');
  const current = registry[meta.id];
  const upgrade = op === '--upgrade' || op === '-g';
  if (!upgrade && current) fail(`Unable to install the extension: the extension ${meta.id} is already installed; use --upgrade`);
  if (upgrade && !current) fail(`Unable to upgrade the extension: ${meta.id} is not installed`);
  if (upgrade && compare(meta, current) <= 0) fail(`Unable to upgrade the extension: version ${meta.version}-${meta.release} is not newer than the installed ${current.version}-${current.release}`);
  if (env.PLESK_SIM_EXTENSION_FAIL === '1') fail(`Unable to install the extension: simulated failure of ${meta.id}`);
  layOut(root, meta.id, files, fail);
  registry[meta.id] = { name: meta.name, version: meta.version, release: meta.release };
  mkdirSync(state, { recursive: true });
  writeFileSync(`${registryPath}.tmp`, JSON.stringify(registry, null, 2));
  renameSync(`${registryPath}.tmp`, registryPath);
  process.stdout.write(upgrade ? 'The extension was successfully upgraded.\n' : 'The extension was successfully installed.\n');
}
