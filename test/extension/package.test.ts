// The extension package (dist/sendtrace-<version>-<release>.zip, built by
// `npm run build`): its layout as Plesk expects it (reference/plesk.md §5.1),
// meta.xml, PHP that parses, nothing secret or executable on the web, and the
// same bytes from the same inputs.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { buildPackage, packageMeta } from '../../build/package.mjs';
import { repoRoot } from '../helpers/repo-root.ts';
import { readZip, type ZipFile } from './zip-reader.ts';

const run = promisify(execFile);
const meta = packageMeta(repoRoot);
const zipPath = join(repoRoot, 'dist', `sendtrace-${meta.version}-${meta.release}.zip`);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const REQUIRED = [
  'meta.xml', 'DESCRIPTION.md', 'CHANGES.md',
  '_meta/icons/32x32.png', '_meta/icons/64x64.png', '_meta/icons/128x128.png', '_meta/icons/160x160.png',
  'htdocs/index.php', 'htdocs/panel/app.js', 'htdocs/panel/app.css',
  'plib/controllers/IndexController.php', 'plib/controllers/ApiController.php',
  'plib/hooks/CustomButtons.php', 'plib/hooks/Permissions.php', 'plib/hooks/SystemServices.php',
  'plib/library/Sidecar.php', 'plib/views/scripts/index/index.phtml',
  'plib/resources/locales/en-US.php', 'plib/resources/locales/ja-JP.php',
  'plib/scripts/pre-install.php', 'plib/scripts/post-install.php', 'plib/scripts/pre-uninstall.php',
  'plib/sidecar/sendtrace.mjs', 'sbin/sendtrace-service',
];

// Documented meta.xml elements (reference/plesk.md §5.2 [V]).
const META_ELEMENTS = new Set(['id', 'name', 'description', 'category', 'version', 'release', 'vendor', 'url', 'support_url', 'help_url', 'buy_url', 'privacy_policy_url', 'plesk_min_version', 'plesk_max_version', 'os']);
// Categories seen in Plesk's own meta.xml files (§5.2 [V]; security: plesk/ext-security-advisor [V]).
const CATEGORIES = new Set(['example', 'help', 'monitoring', 'server_tool', 'security']);

function pngSize(b: Buffer): [number, number] {
  assert.equal(b.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG signature');
  assert.equal(b.subarray(12, 16).toString('latin1'), 'IHDR');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

describe('the extension package', () => {
  let zip: Buffer;
  let files: ZipFile[];
  let dir: string;
  const byName = (name: string) => files.find((f) => f.name === name);

  before(() => {
    try {
      zip = readFileSync(zipPath);
    } catch (err) {
      throw new Error(`${zipPath} is missing: run \`npm run build\` first (${(err as Error).message})`);
    }
    files = readZip(zip);
    dir = mkdtempSync(join(tmpdir(), 'st-pkg-'));
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.name)), { recursive: true });
      writeFileSync(join(dir, f.name), f.data, { mode: f.mode & 0o777 });
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('holds every part Plesk needs, at the place Plesk looks for it', () => {
    const names = new Set(files.map((f) => f.name));
    for (const name of REQUIRED) assert.ok(names.has(name), `${name} is in the zip`);
    for (const f of files) assert.match(f.name, /^(meta\.xml|DESCRIPTION\.md|CHANGES\.md|_meta\/(icons|screenshots)\/[^/]+\.png|htdocs\/.+|plib\/.+|sbin\/[^/]+)$/, `${f.name} is in a place of the extension layout`);
    assert.ok(files.some((f) => /^_meta\/screenshots\/\d+\.png$/.test(f.name)), 'at least one screenshot');
  });

  it('carries no sources, tests, dependencies or build leftovers', () => {
    for (const f of files) {
      assert.doesNotMatch(f.name, /node_modules|(^|\/)test\/|\.tsx?$|\.map$|package(-lock)?\.json$|(^|\/)\./, f.name);
    }
    const sidecar = readFileSync(join(repoRoot, 'dist/sendtrace.mjs'));
    assert.ok(byName('plib/sidecar/sendtrace.mjs')!.data.equals(sidecar), 'the sidecar is the built bundle, unchanged');
    assert.ok(byName('htdocs/panel/app.js')!.data.equals(readFileSync(join(repoRoot, 'dist/panel/app.js'))), 'the panel is the built bundle');
  });

  it('has a meta.xml with every required element, valid, version from package.json', async () => {
    // Parsed by a real XML parser (Python's ElementTree), not by a regular expression.
    const { stdout } = await run('python3', ['-c', [
      'import json, sys, xml.etree.ElementTree as ET',
      'root = ET.parse(sys.argv[1]).getroot()',
      'print(json.dumps({"tag": root.tag, "children": [[c.tag, (c.text or "").strip(), len(list(c))] for c in root]}))',
    ].join('\n'), join(dir, 'meta.xml')]);
    const doc = JSON.parse(stdout) as { tag: string; children: Array<[string, string, number]> };
    assert.equal(doc.tag, 'module');
    const values = new Map<string, string[]>();
    for (const [tag, text, kids] of doc.children) {
      assert.ok(META_ELEMENTS.has(tag), `<${tag}> is a documented meta.xml element`);
      assert.equal(kids, 0, `<${tag}> holds text only`);
      values.set(tag, [...(values.get(tag) ?? []), text]);
    }
    const one = (tag: string) => {
      const v = values.get(tag);
      assert.ok(v && v.length === 1 && v[0] !== '', `exactly one non-empty <${tag}>`);
      return v[0]!;
    };
    assert.equal(one('id'), 'sendtrace');
    assert.ok(one('name').length <= 25, 'the name fits the catalog (≤ 25 characters)');
    assert.ok(one('description').length > 20);
    assert.ok((values.get('category') ?? []).length >= 1 && values.get('category')!.every((c) => CATEGORIES.has(c)), 'categories are known ones');
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    assert.equal(one('version'), pkg.version);
    assert.match(one('release'), /^[1-9][0-9]*$/);
    assert.ok(one('vendor'));
    const min = one('plesk_min_version').split('.').map(Number);
    assert.ok(min[0] === 18 && min[1] === 0 && (min[2] ?? 0) >= 60, `plesk_min_version ${one('plesk_min_version')} is a current Obsidian (18.0.60 or later)`);
    assert.equal(one('os'), 'unix');
    assert.equal(zipPath.endsWith(`sendtrace-${one('version')}-${one('release')}.zip`), true, 'the zip is named after them');
  });

  it('has PHP that php -l accepts, every file', async () => {
    const php = files.filter((f) => /\.(php|phtml)$/.test(f.name));
    assert.ok(php.length >= 20, `${php.length} PHP files`);
    for (const f of php) {
      const { stdout } = await run('php', ['-l', join(dir, f.name)]);
      assert.match(stdout, /No syntax errors detected/, f.name);
    }
  });

  it('serves nothing from htdocs/ that is the sidecar, a script to run, or a secret', () => {
    const sidecar = byName('plib/sidecar/sendtrace.mjs')!.data;
    for (const f of files.filter((x) => x.name.startsWith('htdocs/'))) {
      assert.match(f.name, /^htdocs\/(index\.php|panel\/app\.(js|css)|images\/[a-z0-9-]+\.png)$/, `${f.name} is a page entry, the panel or an image`);
      assert.ok(!f.data.equals(sidecar), `${f.name} is not the sidecar`);
      assert.ok(!f.data.includes('#!/usr/bin/env node'), `${f.name} is not a Node program`);
      assert.doesNotMatch(f.data.toString('latin1'), /^\s*[0-9a-f]{64}\s*$/, `${f.name} is not a secret`);
      assert.doesNotMatch(f.name, /secret|\.env|\.json$|\.mjs$|\.sh$/);
      assert.equal(f.mode & 0o111, 0, `${f.name} is not executable`);
    }
    // No secret anywhere: the installer makes it on the server.
    for (const f of files) assert.doesNotMatch(f.name, /secret/i);
  });

  it('keeps the root helper executable and everything else plain, with fixed timestamps, sorted', () => {
    for (const f of files) {
      assert.equal(f.mode & 0o170000, 0o100000, `${f.name} is a regular file`);
      assert.equal(f.mode & 0o7777, f.name.startsWith('sbin/') ? 0o755 : 0o644, `${f.name} mode`);
      assert.equal(f.dosDate, (1 << 5) | 1, `${f.name}: 1980-01-01`);
      assert.equal(f.dosTime, 0);
    }
    const names = files.map((f) => f.name);
    assert.deepEqual(names, [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });

  it('is a zip that another implementation reads in full, modes included', async () => {
    const { stdout } = await run('python3', ['-c', [
      'import json, sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'print(json.dumps({"bad": z.testzip(), "modes": {i.filename: i.external_attr >> 16 for i in z.infolist()}}))',
    ].join('\n'), zipPath]);
    const r = JSON.parse(stdout) as { bad: string | null; modes: Record<string, number> };
    assert.equal(r.bad, null, 'every CRC checks');
    assert.equal(r.modes['sbin/sendtrace-service']! & 0o777, 0o755);
    assert.equal(Object.keys(r.modes).length, files.length);
  });

  it('has catalog icons of the documented sizes', () => {
    for (const size of [32, 64, 128, 160]) assert.deepEqual(pngSize(byName(`_meta/icons/${size}x${size}.png`)!.data), [size, size]);
  });

  it('ships a sidecar that runs from where it is unpacked', () => {
    const r = spawnSync(process.execPath, [join(dir, 'plib/sidecar/sendtrace.mjs'), '--help'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /sendtrace serve /);
  });

  it('is the same, byte for byte, when built again from the same inputs — wherever and whenever', () => {
    // A second copy of every input, written in another order with other timestamps.
    const other = mkdtempSync(join(tmpdir(), 'st-pkg-src-'));
    try {
      for (const p of ['package.json', 'meta.xml', 'dist/panel/app.css', 'dist/panel/app.js', 'dist/sendtrace.mjs']) {
        mkdirSync(dirname(join(other, p)), { recursive: true });
        cpSync(join(repoRoot, p), join(other, p));
        utimesSync(join(other, p), new Date('2031-05-06T07:08:09Z'), new Date('2031-05-06T07:08:09Z'));
      }
      cpSync(join(repoRoot, 'extension'), join(other, 'extension'), { recursive: true, preserveTimestamps: false });
      const a = buildPackage({ root: repoRoot, outDir: join(other, 'out-a') });
      const b = buildPackage({ root: other, outDir: join(other, 'out-b') });
      assert.equal(b.sha256, a.sha256);
      assert.equal(sha256(readFileSync(a.path)), a.sha256, 'the printed sha256 is the file\'s');
      assert.equal(a.sha256, sha256(zip), 'and the same as the zip `npm run build` made');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('says its size and sha256 when built', () => {
    const out = mkdtempSync(join(tmpdir(), 'st-pkg-out-'));
    try {
      const r = spawnSync(process.execPath, [join(repoRoot, 'build/package.mjs'), '--out', out], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const built = readFileSync(join(out, `sendtrace-${meta.version}-${meta.release}.zip`));
      assert.match(r.stderr, new RegExp(`\\(${built.length} bytes, \\d+ files\\) sha256 ${sha256(built)}`));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
