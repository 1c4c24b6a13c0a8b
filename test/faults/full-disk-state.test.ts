// A full disk while the live checkpoint or a subscription's settings are
// replaced (issue 10, Faults): on a real 256 KiB tmpfs state directory, inside
// a private mount namespace (nothing outside the test sees the mount; as in
// test/actions/full-disk.test.ts). The write fails with ENOSPC, the old file
// stays intact and readable, and no temp file is left behind. For the
// checkpoint: the message names the file, checkpoint.json and its segment
// files are the previous ones, byte for byte and file for file, and load
// with the same counts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../service/sources/run-command.ts';
import { canUseMountNamespace } from '../fixtures/capture/as-user.ts';
import { repoRoot } from '../helpers/repo-root.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-faults-disk-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('faults: a full disk under the state directory', () => {
  it('writing the live checkpoint or the settings fails with ENOSPC; the old files stay intact', async (t) => {
    if (!(await canUseMountNamespace())) return t.skip('no mount namespace here (needs root with CAP_SYS_ADMIN)');
    const script = 'mount -t tmpfs -o size=256k,mode=0700 sendtrace-test "$1" && shift && exec "$@"';
    const r = await runCommand(['/usr/bin/unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', dir,
      process.execPath, '--import', join(repoRoot, 'test/helpers/register-ts.mjs'), join(repoRoot, 'test/faults/fill-state-child.ts'), dir],
    { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.ok(out.filled > 0, 'the disk was filled');
    assert.match(out.checkpointError ?? 'no error', /^live checkpoint not saved, the previous one stays: writing \/\S+\/live\/\S+ failed: ENOSPC/);
    assert.match(out.settingsError ?? 'no error', /ENOSPC/);
    assert.deepEqual(out.leftovers, []);
    assert.equal(out.checkpointIntact, true);
    assert.equal(out.checkpointReadable, true);
    assert.equal(out.settingsIntact, true);
    assert.equal(out.settingsRevision, 1);
  });
});
