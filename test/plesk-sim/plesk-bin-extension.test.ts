// The simulator's `plesk bin extension`: the registry, the package laid out
// where Plesk puts it, and the refusals fleet install must cope with.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { makeZip, metaXml } from '../fleet/zip-writer.ts';
import { repoRoot } from '../helpers/repo-root.ts';

const execFileP = promisify(execFile);
const sim = resolve(repoRoot, 'test/plesk-sim/plesk.mjs');

describe('plesk bin extension (simulator)', () => {
  let dir: string;
  let state: string;
  const plesk = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await execFileP(process.execPath, [sim, 'bin', 'extension', ...args], { env: { ...process.env, PLESK_SIM_STATE_DIR: state } });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const pkg = async (name: string, version: string, extra: Array<{ name: string; data: string }> = []) => {
    const path = join(dir, name);
    await writeFile(path, makeZip([{ name: 'meta.xml', data: metaXml({ version }), deflate: true }, { name: 'plib/sidecar/sendtrace.mjs', data: `// ${version}\n` }, ...extra]));
    return path;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'st-sim-ext-'));
    state = join(dir, 'state');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('lists nothing on a fresh server', async () => {
    assert.deepEqual(await plesk('--list'), { code: 0, stdout: '', stderr: '' });
  });

  it('installs a package where Plesk puts it and lists it', async () => {
    const r = await plesk('--install', await pkg('v1.zip', '1.0.0'));
    assert.equal(r.code, 0, r.stderr);
    const plib = join(state, 'psa/admin/plib/modules/sendtrace');
    assert.match(await readFile(join(plib, 'meta.xml'), 'utf8'), /<version>1\.0\.0<\/version>/);
    assert.equal(await readFile(join(plib, 'sidecar/sendtrace.mjs'), 'utf8'), '// 1.0.0\n');
    assert.equal((await plesk('--list')).stdout, 'sendtrace - sendtrace\n');
  });

  it('refuses to install what is installed, and to upgrade to the same version', async () => {
    assert.match((await plesk('--install', await pkg('again.zip', '1.0.0'))).stderr, /already installed; use --upgrade/);
    assert.match((await plesk('--upgrade', await pkg('same.zip', '1.0.0'))).stderr, /not newer/);
  });

  it('upgrades to a newer version, replacing the files', async () => {
    const r = await plesk('-g', await pkg('v2.zip', '1.1.0'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(state, 'psa/admin/plib/modules/sendtrace/sidecar/sendtrace.mjs'), 'utf8'), '// 1.1.0\n');
  });

  it('refuses an archive with a path that climbs out (zip slip)', async () => {
    const r = await plesk('--upgrade', await pkg('evil.zip', '9.0.0', [{ name: 'plib/../../../../escaped.txt', data: 'x' }]));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unsafe path/);
    assert.ok(!existsSync(join(state, 'escaped.txt')) && !existsSync(join(dir, 'escaped.txt')));
    // …and before touching the installed version.
    assert.equal(await readFile(join(state, 'psa/admin/plib/modules/sendtrace/sidecar/sendtrace.mjs'), 'utf8'), '// 1.1.0\n');
  });

  it('refuses a file that is not a zip', async () => {
    const path = join(dir, 'not.zip');
    await writeFile(path, 'hello');
    assert.match((await plesk('--install', path)).stderr, /cannot read .*not a zip archive/);
  });
});
