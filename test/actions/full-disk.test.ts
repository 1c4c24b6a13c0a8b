// A full disk during the cross-filesystem copy leaves the original in place
// and nothing behind: on a real, tiny tmpfs quarantine (inside a private mount
// namespace, so nothing outside the test sees the mount), and with an injected
// ENOSPC where a mount is not possible.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAuditLog } from '../../service/actions/audit-log.ts';
import { quarantineFile } from '../../service/actions/quarantine.ts';
import { SendtraceError } from '../../service/errors.ts';
import { runCommand } from '../../service/sources/run-command.ts';
import { canUseMountNamespace } from '../fixtures/capture/as-user.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { checkAt, makeWorld, sha256Of, ZONE, type World } from './world.ts';

const BIG = `<?php\n${'// padding to fill a tiny disk\n'.repeat(10_000)}`;   // ~300 KB

let w: World;
before(async () => {
  w = await makeWorld();
});
after(() => w?.remove());

describe('a full disk during the copy', () => {
  it('on a 64 KiB tmpfs quarantine: fails, says why, and leaves the original in place', async (t) => {
    if (!(await canUseMountNamespace())) return t.skip('no mount namespace here (needs root with CAP_SYS_ADMIN); the injected-error test covers it');
    const path = join(w.acmeDocroot, 'big.php');
    await w.put(path, BIG);
    const before = lstatSync(path);
    await mkdir(w.quarantineDir, { recursive: true, mode: 0o700 });
    // The tmpfs exists only inside the child's mount namespace; quarantineDir is
    // then on another filesystem than the vhosts, so the copy path is taken.
    const script = 'mount -t tmpfs -o size=64k,mode=0700 sendtrace-test "$1" && shift && exec "$@"';
    const r = await runCommand(['/usr/bin/unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', w.quarantineDir,
      process.execPath, '--import', join(repoRoot, 'test/helpers/register-ts.mjs'), join(repoRoot, 'test/actions/run-action.ts'), w.configPath, 'quarantine', '--path', path, '--json'],
    { timeoutMs: 120_000 });
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.equal(out.error.code, 'SENDTRACE_ERR_ACTION_FAILED');
    assert.match(out.error.message, /ENOSPC.*still in place/);
    assert.equal(sha256Of(await readFile(path)), sha256Of(BIG));
    assert.equal(lstatSync(path).ino, before.ino, 'the very same file, not a copy');
    const last = readAuditLog(w.stateDir).records.at(-1);
    assert.equal(last?.result, 'failed');
    assert.match(last?.reason ?? '', /ENOSPC/);
  });

  it('with an injected ENOSPC on a write: fails, removes its partial copy, and leaves the original in place', async () => {
    const path = join(w.acmeDocroot, 'big2.php');
    await w.put(path, BIG);
    const checked = await checkAt(w, path);
    let writes = 0;
    try {
      assert.throws(() => quarantineFile({ checked, reason: 't', actor: 't', evidence: [], now: Date.now(), zone: ZONE, quarantineDir: w.quarantineDir, stateDir: w.stateDir }, {
        forceCopy: true,
        step: (s) => {
          if (s === 'copy-write' && ++writes === 1) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
        },
      }), (err: unknown) => err instanceof SendtraceError && err.code === 'SENDTRACE_ERR_ACTION_FAILED' && /ENOSPC/.test(err.message) && /still in place/.test(err.message));
    } finally {
      checked.close();
    }
    assert.equal(sha256Of(await readFile(path)), sha256Of(BIG));
    assert.deepEqual(existsSync(w.quarantineDir) ? readdirSync(w.quarantineDir) : [], [], 'no partial copy, intent or folder left');
  });
});
