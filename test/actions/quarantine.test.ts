// quarantine / restore / quarantine-list end to end through the commands, and
// the races the check cannot close alone (swap between check and move, two
// quarantines at once), through the action functions with a step hook.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, readdirSync, renameSync, statSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAuditLog } from '../../service/actions/audit-log.ts';
import { files, readManifest } from '../../service/actions/manifest.ts';
import { showPath } from '../../service/actions/path-arg.ts';
import { quarantineFile } from '../../service/actions/quarantine.ts';
import { restoreFile } from '../../service/actions/restore.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { waitFor } from '../fixtures/capture/wait-for.ts';
import { hashTree } from './tree-hash.ts';
import { ACME, checkAt, filesWithContent, flagsOf, makeWorld, sha256Of, ZONE, type World } from './world.ts';
import { runQuarantine } from '../../service/commands/quarantine.ts';

const SCRIPT = '<?php\n// contact form helper, abandoned\nmail($_POST["mailto"], $_POST["subject"], $_POST["message"]);\n';

let w: World;
before(async () => {
  w = await makeWorld();
});
after(() => w?.remove());

const input = (checked: Awaited<ReturnType<typeof checkAt>>) => ({
  checked, reason: 'test', actor: 'test', evidence: [], now: Date.now(), zone: ZONE, quarantineDir: w.quarantineDir, stateDir: w.stateDir,
});

describe('quarantine and restore', () => {
  it('moves the file out of the web root into a root-only quarantine, with a full manifest', async () => {
    const path = join(w.acmeDocroot, 'mail.php');
    await w.put(path, SCRIPT, { mode: 0o640 });
    const mtime = new Date('2021-06-01T10:00:00Z');
    await utimes(path, mtime, mtime);
    const r = await w.run('quarantine', ['--path', path, '--reason', 'bots send spam through it', '--json']);
    assert.equal(r.exit, 0, r.text);
    assert.equal(r.json.originalPath, path);
    assert.equal(r.json.sha256, sha256Of(SCRIPT));
    assert.match(r.json.id, /^q-\d{8}-\d{6}-[0-9a-f]{8}$/);
    assert.match(r.json.quarantinedAt, /\+09:00$/);
    assert.equal(existsSync(path), false, 'gone from the docroot');
    assert.deepEqual(filesWithContent(w.vhostsRoot, sha256Of(SCRIPT)), [], 'no copy (renamed or not) left in the web space');
    const f = files(w.quarantineDir, r.json.id);
    const held = statSync(f.file);
    assert.equal(held.uid, 0);
    assert.equal(held.mode & 0o7777, 0o400);
    assert.equal(statSync(f.dir).mode & 0o777, 0o700);
    assert.equal(statSync(w.quarantineDir).mode & 0o777, 0o700);
    assert.equal(await readFile(f.file, 'utf8'), SCRIPT);
    const m = readManifest(w.quarantineDir, r.json.id)!;
    assert.equal(m.owner.uid, ACME.uid);
    assert.equal(m.owner.gid, ACME.gid);
    assert.equal(m.mode, 0o640);
    assert.equal(m.mtimeMs, mtime.getTime());
    assert.equal(m.size, Buffer.byteLength(SCRIPT));
    assert.equal(m.reason, 'bots send spam through it');
    assert.match(m.actor, /^cli:/);
    assert.equal(m.subscription.name, 'acme.example');
    assert.ok(Array.isArray(m.evidence));
    assert.equal(existsSync(f.intent), false, 'the intent is gone once complete');
    const audit = readAuditLog(w.stateDir).records.filter((x) => x.action === 'quarantine' && x.result === 'done');
    assert.equal(audit.at(-1)?.target, path);
    assert.deepEqual(audit.at(-1)?.watch, [`script:${path}`, `uid:${ACME.uid}`]);
  });

  it('restores the identical bytes, owner, mode and modification time', async () => {
    const path = join(w.acmeDocroot, 'form.php');
    await w.put(path, SCRIPT + '// form\n', { mode: 0o604 });
    const mtime = new Date('2020-01-02T03:04:05.678Z');
    await utimes(path, mtime, mtime);
    const original = lstatSync(path, { bigint: true });
    const q = await w.run('quarantine', ['--path', path, '--json']);
    assert.equal(q.exit, 0, q.text);
    const r = await w.run('restore', ['--id', q.json.id, '--json']);
    assert.equal(r.exit, 0, r.text);
    assert.equal(r.json.restoredPath, path);
    assert.equal(r.json.sha256, q.json.sha256);
    const st = lstatSync(path);
    assert.equal(await readFile(path, 'utf8'), SCRIPT + '// form\n');
    assert.equal(st.uid, ACME.uid);
    assert.equal(st.gid, ACME.gid);
    assert.equal(st.mode & 0o7777, 0o604);
    // Restored to the microsecond (what futimes carries).
    assert.equal(lstatSync(path, { bigint: true }).mtimeNs / 1000n, original.mtimeNs / 1000n);
    assert.equal(Math.round(st.mtimeMs), mtime.getTime());
    const m = readManifest(w.quarantineDir, q.json.id)!;
    assert.equal(m.status, 'restored');
    assert.equal(existsSync(files(w.quarantineDir, q.json.id).file), false);
    const again = await w.run('restore', ['--id', q.json.id]);
    assert.equal(again.exit, 3);
    assert.match(again.text, /already restored/);
  });

  it('refuses to restore over a file that appeared since; --force keeps the newcomer beside it', async () => {
    const path = join(w.acmeDocroot, 'contact.php');
    await w.put(path, SCRIPT);
    const q = await w.run('quarantine', ['--path', path, '--json']);
    await w.put(path, '<?php // the customer uploaded a new one\n');
    const r = await w.run('restore', ['--id', q.json.id, '--json']);
    assert.equal(r.exit, 3);
    assert.match(r.text, /new file appeared at .*contact\.php.*not overwritten/);
    assert.equal(await readFile(path, 'utf8'), '<?php // the customer uploaded a new one\n');
    const forced = await w.run('restore', ['--id', q.json.id, '--force', '--json']);
    assert.equal(forced.exit, 0, forced.text);
    assert.equal(await readFile(path, 'utf8'), SCRIPT);
    const kept = forced.json.newcomerKeptAs as string;
    assert.match(kept, /contact\.sendtrace-newcomer-[0-9a-f]{8}\.php$/, 'the newcomer keeps its .php extension: never served as source');
    assert.equal(await readFile(kept, 'utf8'), '<?php // the customer uploaded a new one\n');
  });

  it('handles names with spaces, newlines and non-UTF-8 bytes, by the escaped name diagnose shows', async () => {
    const name = Buffer.concat([Buffer.from('con tact\nform-'), Buffer.from([0xff, 0x80]), Buffer.from('.php')]);
    const path = Buffer.concat([Buffer.from(w.acmeDocroot + '/'), name]);
    await w.put(path, SCRIPT);
    const q = await w.run('quarantine', ['--path', showPath(path), '--json']);
    assert.equal(q.exit, 0, q.text);
    assert.equal(q.json.originalPath, showPath(path));
    assert.equal(existsSync(path), false);
    const m = readManifest(w.quarantineDir, q.json.id)!;
    assert.deepEqual(Buffer.from(m.originalPathBase64, 'base64'), path);
    const r = await w.run('restore', ['--id', q.json.id, '--json']);
    assert.equal(r.exit, 0, r.text);
    assert.equal(await readFile(path, 'utf8'), SCRIPT);
    assert.ok(readdirSync(w.acmeDocroot, { encoding: 'buffer' }).some((n) => n.equals(name)), 'the exact name bytes are back');
  });

  it('copies, verifies and unlinks across filesystems, and restores from there', async () => {
    const path = join(w.acmeDocroot, 'cross.php');
    await w.put(path, SCRIPT.repeat(1000), { mode: 0o600 });
    const checked = await checkAt(w, path);
    const q = (() => {
      try {
        return quarantineFile(input(checked), { forceCopy: true });
      } finally {
        checked.close();
      }
    })();
    assert.equal(q.manifest.method, 'copy');
    assert.equal(existsSync(path), false);
    assert.equal(sha256Of(await readFile(files(w.quarantineDir, q.manifest.id).file)), sha256Of(SCRIPT.repeat(1000)));
    restoreFile({ id: q.manifest.id, quarantineDir: w.quarantineDir, stateDir: w.stateDir, actor: 'test', now: Date.now(), zone: ZONE }, { forceCopy: true });
    assert.equal(await readFile(path, 'utf8'), SCRIPT.repeat(1000));
    assert.equal(lstatSync(path).mode & 0o7777, 0o600);
    assert.deepEqual(readdirSync(w.acmeDocroot).filter((n) => n.includes('sendtrace-restore')), [], 'no temporary file left');
  });

  it('keeps the evidence the sidecar passes instead of diagnosing again', async () => {
    const path = join(w.acmeDocroot, 'known.php');
    await w.put(path, SCRIPT);
    const given = [{ kind: 'script', path, confidence: 0.97, evidence: [{ signal: 'access-log-post', detail: '812 POSTs from 301 addresses' }] }];
    // A fresh diagnosis would not name this new file: its evidence would be empty, with a note saying so.
    const r = await runQuarantine({ config: w.config, env: process.env, args: { command: 'quarantine', flags: flagsOf(['--path', path, '--reason', 'bots']), positional: [] }, evidence: given });
    assert.equal(r.exit, 0, r.text);
    const m = readManifest(w.quarantineDir, (r.json as { id: string }).id)!;
    assert.deepEqual(m.evidence, given);
    assert.deepEqual(m.notes ?? [], []);
  });

  it('restores by copy when the web space is another mount of the same filesystem (link says EXDEV)', async (t) => {
    // The hardened unit's ProtectSystem=strict makes the writable paths bind
    // mounts: same st_dev as the quarantine, yet link(2) across them fails.
    const path = join(w.acmeDocroot, 'bound.php');
    await w.put(path, SCRIPT, { mode: 0o640 });
    const checked = await checkAt(w, path);
    const q = (() => {
      try {
        return quarantineFile(input(checked), {});
      } finally {
        checked.close();
      }
    })();
    assert.equal(q.manifest.method, 'rename');
    const mounted = spawnSync('mount', ['--bind', w.acmeDocroot, w.acmeDocroot], { encoding: 'utf8' });
    if (mounted.status !== 0) return t.skip(`cannot bind-mount here (${mounted.stderr.trim() || mounted.error?.message}); needs root`);
    try {
      const r = restoreFile({ id: q.manifest.id, quarantineDir: w.quarantineDir, stateDir: w.stateDir, actor: 'test', now: Date.now(), zone: ZONE });
      assert.equal(r.dryRun, false);
      assert.equal(await readFile(path, 'utf8'), SCRIPT);
      assert.equal(lstatSync(path).mode & 0o7777, 0o640);
      assert.equal(lstatSync(path).uid, ACME.uid);
      assert.deepEqual(readdirSync(w.acmeDocroot).filter((n) => n.includes('sendtrace-restore')), [], 'no temporary file left');
      assert.equal(existsSync(files(w.quarantineDir, q.manifest.id).file), false, 'the quarantined copy is gone once restored');
    } finally {
      spawnSync('umount', [w.acmeDocroot]);
    }
  });

  it('refuses and moves nothing when the file is swapped for a symlink to /etc/shadow between check and move', async () => {
    const path = join(w.acmeDocroot, 'swap.php');
    await w.put(path, SCRIPT);
    const shadow = await readFile('/etc/shadow');
    const checked = await checkAt(w, path);
    const before = readdirSync(w.quarantineDir).length;
    try {
      assert.throws(() => quarantineFile(input(checked), {
        step: (s) => {
          if (s !== 'intent-written') return;
          renameSync(path, `${path}.aside`);
          symlinkSync('/etc/shadow', path);
        },
      }), /replaced between the check and the move/);
    } finally {
      checked.close();
    }
    assert.equal(lstatSync(path).isSymbolicLink(), true, 'the symlink is back where it was');
    assert.deepEqual(await readFile('/etc/shadow'), shadow);
    assert.equal(await readFile(`${path}.aside`, 'utf8'), SCRIPT);
    assert.equal(readdirSync(w.quarantineDir).length, before, 'nothing was quarantined');
  });

  it('describes the bytes it holds when the site writes to the file between the check and the move', async () => {
    const path = join(w.acmeDocroot, 'growing.php');
    await w.put(path, SCRIPT);
    const checked = await checkAt(w, path);
    let id: string;
    try {
      id = quarantineFile(input(checked), { step: (s) => s === 'intent-written' && appendFileSync(path, '// appended by the site\n') }).manifest.id;
    } finally {
      checked.close();
    }
    const m = readManifest(w.quarantineDir, id)!;
    assert.equal(m.sha256, sha256Of(SCRIPT + '// appended by the site\n'));
    assert.match(m.notes.join(' '), /changed between the check and the move/);
    const r = await w.run('restore', ['--id', id, '--json']);
    assert.equal(r.exit, 0, r.text);
    assert.equal(await readFile(path, 'utf8'), SCRIPT + '// appended by the site\n');
  });

  it('acts on the folder it checked when a folder on the way is swapped for a symlink after the check', async () => {
    const sub = join(w.acmeDocroot, 'forms');
    await mkdir(sub);
    await w.put(join(sub, 'send.php'), SCRIPT);
    const decoy = await mkdtemp(join(w.root, 'decoy-'));
    await writeFile(join(decoy, 'send.php'), 'decoy');
    const checked = await checkAt(w, join(sub, 'send.php'));
    let id: string;
    try {
      id = quarantineFile(input(checked), {
        step: (s) => {
          if (s !== 'intent-written') return;
          renameSync(sub, `${sub}.real`);
          symlinkSync(decoy, sub);
        },
      }).manifest.id;
    } finally {
      checked.close();
    }
    assert.equal(await readFile(join(decoy, 'send.php'), 'utf8'), 'decoy', 'the symlink target is untouched');
    assert.equal(existsSync(join(`${sub}.real`, 'send.php')), false, 'the checked file was moved');
    assert.equal(await readFile(files(w.quarantineDir, id).file, 'utf8'), SCRIPT);
  });

  it('lets exactly one of two concurrent quarantines of one file win, and loses nothing', async () => {
    const path = join(w.acmeDocroot, 'race.php');
    await w.put(path, SCRIPT + '// race\n');
    const barrier = await mkdtemp(join(w.root, 'barrier-'));
    const child = () => new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(process.execPath, ['--import', join(repoRoot, 'test/helpers/register-ts.mjs'), join(repoRoot, 'test/actions/crash-child.ts'),
        w.configPath, 'quarantine', path, `barrier:${barrier}`, '0', join(barrier, 'steps')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (b) => (out += b));
      p.on('close', (code) => resolve({ code, out }));
    });
    const both = Promise.all([child(), child()]);
    // Both have checked and hashed the file before either moves it.
    await waitFor(() => readdirSync(barrier).filter((n) => n.startsWith('ready-')).length === 2, { timeoutMs: 60_000, what: 'both children at the barrier' });
    await writeFile(join(barrier, 'go'), '');
    const results = await both;
    const won = results.filter((r) => r.code === 0);
    assert.equal(won.length, 1, JSON.stringify(results));
    const lost = results.find((r) => r.code !== 0)!;
    assert.equal(lost.code, 3, lost.out);
    assert.match(lost.out, /another sendtrace action is working on|moved away while being quarantined/);
    const id = JSON.parse(won[0]!.out).id as string;
    assert.equal(existsSync(path), false);
    assert.equal(await readFile(files(w.quarantineDir, id).file, 'utf8'), SCRIPT + '// race\n');
    assert.equal(readdirSync(w.quarantineDir).filter((n) => n.startsWith('.new-')).length, 0, 'the loser left nothing behind');
  });

  it('lists what is quarantined, since when and why', async () => {
    const r = await w.run('quarantine-list', ['--json']);
    assert.equal(r.exit, 0, r.text);
    const mail = (r.json.quarantine as Array<Record<string, unknown>>).find((i) => i.originalPath === join(w.acmeDocroot, 'mail.php'));
    assert.equal(mail?.status, 'quarantined');
    assert.equal(mail?.reason, 'bots send spam through it');
    assert.match(String(mail?.quarantinedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$/);
    const form = (r.json.quarantine as Array<Record<string, unknown>>).find((i) => i.originalPath === join(w.acmeDocroot, 'form.php'));
    assert.equal(form?.status, 'restored');
    assert.match(r.text, /mail\.php\n {4}why: bots send spam through it/);
  });

  it('changes nothing on --dry-run, for quarantine and for restore', async () => {
    const path = join(w.acmeDocroot, 'dry.php');
    await w.put(path, SCRIPT);
    const q = await w.run('quarantine', ['--path', path, '--json']);
    assert.equal(q.exit, 0);
    await w.put(path, 'newer');
    await w.put(join(w.acmeDocroot, 'dry2.php'), SCRIPT);
    const trees = () => [hashTree(w.vhostsRoot), hashTree(w.quarantineDir)];
    const before = trees();
    const auditBefore = readAuditLog(w.stateDir).records.length;
    const dq = await w.run('quarantine', ['--path', join(w.acmeDocroot, 'dry2.php'), '--dry-run', '--json']);
    assert.equal(dq.exit, 0, dq.text);
    assert.equal(dq.json.id, null);
    assert.equal(dq.json.sha256, sha256Of(SCRIPT));
    const dr = await w.run('restore', ['--id', q.json.id, '--force', '--dry-run', '--json']);
    assert.equal(dr.exit, 0, dr.text);
    assert.match(dr.json.newcomerKeptAs, /dry\.sendtrace-newcomer-/);
    assert.deepEqual(trees(), before, 'vhosts and quarantine are unchanged');
    const dry = readAuditLog(w.stateDir).records.slice(auditBefore);
    assert.deepEqual(dry.map((x) => [x.action, x.dryRun, x.result]), [['quarantine', true, 'done'], ['restore', true, 'done']], 'dry runs are audited as such');
  });

  it('refuses a quarantine id that is not one, before touching the filesystem', async () => {
    for (const id of ['../../etc', 'q-20220203-221500-0000000/../../x', '']) {
      const r = await w.run('restore', ['--id', id]);
      assert.equal(r.exit, 2, id);
    }
    const r = await w.run('restore', ['--id', 'q-20220203-221500-00000000']);
    assert.equal(r.exit, 2);
    assert.match(r.text, /not found/);
  });

  it('refuses to restore bytes that no longer match their manifest', async () => {
    const path = join(w.acmeDocroot, 'tamper.php');
    await w.put(path, SCRIPT);
    const q = await w.run('quarantine', ['--path', path, '--json']);
    await writeFile(files(w.quarantineDir, q.json.id).file, 'tampered');
    const r = await w.run('restore', ['--id', q.json.id]);
    assert.equal(r.exit, 4);
    assert.match(r.text, /do not match their manifest/);
    assert.equal(existsSync(path), false);
  });
});

describe('quarantine placement', () => {
  it('refuses a quarantine folder inside the web space', async () => {
    const bad = await makeWorld({ quarantineDir: (p) => join(p.acmeDocroot, '.quarantine') });
    try {
      await bad.put(join(bad.acmeDocroot, 'x.php'), SCRIPT);
      const r = await bad.run('quarantine', ['--path', join(bad.acmeDocroot, 'x.php')]);
      assert.equal(r.exit, 2);
      assert.match(r.text, /inside the web space/);
      assert.equal(existsSync(join(bad.acmeDocroot, 'x.php')), true);
      assert.equal(existsSync(join(bad.acmeDocroot, '.quarantine')), false);
    } finally {
      await bad.remove();
    }
  });
});
