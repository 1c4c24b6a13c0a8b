// What `quarantine --path` refuses (exit 3, saying why) before anything is
// touched: every path that is not a regular file of a subscription, reached
// without a symlink.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chown, link, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAuditLog } from '../../service/actions/audit-log.ts';
import { decodePathArgument, showPath } from '../../service/actions/path-arg.ts';
import { hashTree } from './tree-hash.ts';
import { ACME, makeWorld, type World } from './world.ts';

let w: World;
let shadowBefore: Buffer;

before(async () => {
  w = await makeWorld();
  shadowBefore = await readFile('/etc/shadow');
  await w.put(join(w.acmeDocroot, 'mail.php'), '<?php mail($_POST["to"], "x", "y");\n');
  await w.put(join(w.otherDocroot, 'x.php'), '<?php echo 1;\n', { uid: 10002 });
});
after(() => w?.remove());

async function refused(path: string, why: RegExp, exit = 3) {
  const before = hashTree(w.vhostsRoot);
  const r = await w.run('quarantine', ['--path', path, '--json']);
  assert.equal(r.exit, exit, `${path}: ${r.text}`);
  assert.match(r.error?.message ?? '', why);
  assert.equal(hashTree(w.vhostsRoot), before, 'nothing under the vhosts changed');
  assert.equal(hashTree(w.quarantineDir), 'absent', 'nothing was quarantined');
  return r;
}

describe('quarantine refuses unsafe paths', () => {
  it('refuses a symlink in the docroot pointing at /etc/shadow, and leaves /etc/shadow alone', async () => {
    await symlink('/etc/shadow', join(w.acmeDocroot, 'shadow.php'));
    await refused(join(w.acmeDocroot, 'shadow.php'), /symbolic link \(to \/etc\/shadow\)/);
    assert.deepEqual(await readFile('/etc/shadow'), shadowBefore);
  });

  it('refuses a path through a folder that is a symlink to a system folder', async () => {
    await symlink('/etc', join(w.acmeDocroot, 'inc'));
    await refused(join(w.acmeDocroot, 'inc', 'shadow'), /folder on the way is a symbolic link/);
  });

  it("refuses '../' paths, even ones that lead back into a subscription", async () => {
    await refused(`${w.acmeDocroot}/../../other.example/httpdocs/x.php`, /'\.' or '\.\.'/);
    await refused(`${w.acmeDocroot}/../httpdocs/mail.php`, /'\.' or '\.\.'/);
    await refused(`${w.acmeDocroot}/../../../../../../etc/shadow`, /'\.' or '\.\.'/);
    await refused(`${w.acmeDocroot}//mail.php`, /canonical/);
  });

  it('refuses system paths and files outside every subscription', async () => {
    await refused('/etc/shadow', /system path \(under \/etc\)/);
    await refused('/usr/bin/php', /system path/);
    await writeFile(join(w.root, 'outside.php'), 'x');
    await chown(join(w.root, 'outside.php'), ACME.uid, ACME.gid);
    await refused(join(w.root, 'outside.php'), /outside every subscription's home/);
    await refused('mail.php', /absolute path/);
  });

  it('refuses a file of a subscription whose home psa says is /etc', async () => {
    await refused('/etc/passwd', /protected place|system path/);
  });

  it("refuses the subscription's home and docroot themselves, and folders", async () => {
    await refused(w.acmeHome, /home of subscription acme\.example itself/);
    await refused(w.acmeDocroot, /docroot \(web root\) of subscription acme\.example itself/);
    await mkdir(join(w.acmeDocroot, 'dir.php'));
    await refused(join(w.acmeDocroot, 'dir.php'), /folder, not a file/);
  });

  it('refuses root-owned files, hard-linked files and FIFOs', async () => {
    await w.put(join(w.acmeDocroot, 'root.php'), 'x', { uid: 0, gid: 0 });
    await refused(join(w.acmeDocroot, 'root.php'), /belongs to root/);
    await w.put(join(w.acmeDocroot, 'a.php'), 'x');
    await link(join(w.acmeDocroot, 'a.php'), join(w.acmeHome, 'b.php'));
    await refused(join(w.acmeDocroot, 'a.php'), /2 hard links/);
    execFileSync('mkfifo', [join(w.acmeDocroot, 'fifo.php')]);
    await refused(join(w.acmeDocroot, 'fifo.php'), /not a regular file/);
  });

  it('says a missing file is not found (exit 2)', async () => {
    await refused(join(w.acmeDocroot, 'nope.php'), /not found/, 2);
  });

  it('records every refusal in the audit log with its reason', () => {
    const { records } = readAuditLog(w.stateDir);
    const refusals = records.filter((r) => r.action === 'quarantine' && r.result === 'refused');
    assert.ok(refusals.length >= 10, `${refusals.length} refusals recorded`);
    const shadow = refusals.find((r) => r.target === join(w.acmeDocroot, 'shadow.php'));
    assert.match(shadow?.reason ?? '', /symbolic link/);
    assert.equal(shadow?.dryRun, false);
  });
});

describe('path arguments', () => {
  it('takes back the escaped form diagnose shows for names with control characters, backslashes and non-UTF-8 bytes', () => {
    const bytes = Buffer.concat([Buffer.from('/v/a b\n'), Buffer.from([0xff, 0xfe]), Buffer.from('\\x.php')]);
    const shown = showPath(bytes);
    assert.equal(shown, '/v/a b\\x0a\\xff\\xfe\\x5cx.php');
    assert.deepEqual(decodePathArgument(shown), bytes);
    assert.deepEqual(decodePathArgument('/v/日本語.php'), Buffer.from('/v/日本語.php'));
  });
});
