// Crash safety: a quarantine or a restore killed (SIGKILL, no cleanup) at
// every one of its steps, on one filesystem (rename/link) and across
// filesystems (copy), is afterwards — once recovery has run, as it does at
// the start of every action command — either fully done or fully undone,
// never half; and a file that ended up quarantined restores to identical bytes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { files, listIds, readManifest } from '../../service/actions/manifest.ts';
import { quarantineFile } from '../../service/actions/quarantine.ts';
import { checkFileInSubscription, subscriptionPlaces, type SubscriptionPlace } from '../../service/actions/safe-path.ts';
import { readPanelNow } from '../../service/actions/action-context.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { ACME, makeWorld, sha256Of, ZONE, type World } from './world.ts';

let w: World;
let places: SubscriptionPlace[];
let placesFile: string;
before(async () => {
  w = await makeWorld();
  places = subscriptionPlaces(await readPanelNow(w.config, Date.now()), w.vhostsRoot);
  placesFile = join(w.root, 'places.json');
  writeFileSync(placesFile, JSON.stringify(places));
});
after(() => w?.remove());

function runChild(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', join(repoRoot, 'test/helpers/register-ts.mjs'), join(repoRoot, 'test/actions/crash-child.ts'), w.configPath, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (out += b));
    p.on('close', (code, signal) => resolve({ code, signal, out }));
  });
}

let serial = 0;
async function freshFile(content: string): Promise<{ path: string; mtimeNs: bigint }> {
  const path = join(w.acmeDocroot, `crash-${serial++}.php`);
  await w.put(path, content, { mode: 0o640 });
  const t = new Date('2021-03-04T05:06:07.891Z');
  await utimes(path, t, t);
  return { path, mtimeNs: lstatSync(path, { bigint: true }).mtimeNs };
}

function quarantineNow(path: string): string {
  const checked = checkFileInSubscription(Buffer.from(path), places, w.config);
  try {
    return quarantineFile({ checked, reason: 'setup', actor: 'test', evidence: [], now: Date.now(), zone: ZONE, quarantineDir: w.quarantineDir, stateDir: w.stateDir }).manifest.id;
  } finally {
    checked.close();
  }
}

const manifestsFor = (path: string) => listIds(w.quarantineDir).map((id) => readManifest(w.quarantineDir, id)).filter((m) => m?.originalPath === path);

function assertNoLeftovers(path: string) {
  for (const id of listIds(w.quarantineDir)) {
    const f = files(w.quarantineDir, id);
    assert.equal(existsSync(f.intent), false, `intent of ${id} left behind`);
    assert.equal(existsSync(f.restoreIntent), false, `restore intent of ${id} left behind`);
    assert.equal(existsSync(f.partial), false, `partial copy of ${id} left behind`);
  }
  assert.deepEqual(readdirSync(w.quarantineDir).filter((n) => n.startsWith('.')), [], 'staging folders left behind');
  assert.deepEqual(readdirSync(w.acmeDocroot).filter((n) => n.includes('sendtrace')), [], `temporary names in the docroot next to ${path}`);
}

/** The file is at `path` exactly as it was: bytes, owner, mode, mtime (to the µs). */
async function assertOriginal(path: string, content: string, mtimeNs: bigint) {
  const st = lstatSync(path, { bigint: true });
  assert.equal(await readFile(path, 'utf8'), content);
  assert.equal(Number(st.uid), ACME.uid);
  assert.equal(Number(st.mode & 0o7777n), 0o640);
  assert.equal(st.mtimeNs / 1000n, mtimeNs / 1000n);
}

async function recover() {
  const r = await w.run('quarantine-list', ['--json']);
  assert.ok(r.exit === 0 || r.exit === 1, r.text);
  assert.deepEqual(r.json.inProgress, [], 'nothing is left in progress after recovery');
}

async function stepsOf(op: 'quarantine' | 'restore', copy: boolean): Promise<string[]> {
  const content = `<?php // steps ${op} ${copy}\n`;
  const { path } = await freshFile(content);
  const target = op === 'quarantine' ? path : quarantineNow(path);
  const stepsFile = join(w.root, `steps-${serial++}`);
  const r = await runChild([op, target, 'none', copy ? '1' : '0', stepsFile, placesFile]);
  assert.equal(r.code, 0, r.out);
  return [...new Set(readFileSync(stepsFile, 'utf8').trim().split('\n'))];
}

for (const copy of [false, true]) {
  describe(`a quarantine killed at every step (${copy ? 'copy across filesystems' : 'rename on one filesystem'})`, () => {
    it('is either done or undone after recovery, and a done one restores identically', async () => {
      const steps = await stepsOf('quarantine', copy);
      assert.ok(steps.length >= 6, steps.join(','));
      const outcomes = new Map<string, string>();
      for (const step of steps) {
        const content = `<?php // killed at ${step}\n`;
        const { path, mtimeNs } = await freshFile(content);
        const r = await runChild(['quarantine', path, step, copy ? '1' : '0', join(w.root, `steps-${serial++}`), placesFile]);
        assert.equal(r.signal, 'SIGKILL', `${step}: ${r.out}`);
        await recover();
        assertNoLeftovers(path);
        const held = manifestsFor(path).filter((m) => m?.status === 'quarantined');
        if (existsSync(path)) {
          outcomes.set(step, 'undone');
          assert.equal(held.length, 0, `${step}: in place AND quarantined`);
          await assertOriginal(path, content, mtimeNs);
        } else {
          outcomes.set(step, 'done');
          assert.equal(held.length, 1, `${step}: neither in place nor quarantined`);
          const m = held[0]!;
          assert.equal(sha256Of(readFileSync(files(w.quarantineDir, m.id).file)), sha256Of(content));
          assert.equal(lstatSync(files(w.quarantineDir, m.id).file).mode & 0o777, 0o400, `${step}: the quarantined copy is root-only`);
          const back = await w.run('restore', ['--id', m.id, '--json']);
          assert.equal(back.exit, 0, `${step}: ${back.text}`);
          await assertOriginal(path, content, mtimeNs);
        }
      }
      const values = [...outcomes.values()];
      assert.ok(values.includes('done') && values.includes('undone'), `both recoveries exercised: ${JSON.stringify([...outcomes])}`);
    });
  });

  describe(`a restore killed at every step (${copy ? 'copy across filesystems' : 'link on one filesystem'})`, () => {
    it('is either done or undone after recovery, and an undone one can be restored again', async () => {
      const steps = await stepsOf('restore', copy);
      assert.ok(steps.length >= 5, steps.join(','));
      const outcomes = new Map<string, string>();
      for (const step of steps) {
        const content = `<?php // restore killed at ${step}\n`;
        const { path, mtimeNs } = await freshFile(content);
        const id = quarantineNow(path);
        const r = await runChild(['restore', id, step, copy ? '1' : '0', join(w.root, `steps-${serial++}`)]);
        assert.equal(r.signal, 'SIGKILL', `${step}: ${r.out}`);
        await recover();
        assertNoLeftovers(path);
        const m = readManifest(w.quarantineDir, id)!;
        if (m.status === 'restored') {
          outcomes.set(step, 'done');
          assert.equal(existsSync(files(w.quarantineDir, id).file), false, `${step}: restored but still held`);
        } else {
          outcomes.set(step, 'undone');
          assert.equal(existsSync(path), false, `${step}: back in place but recorded as quarantined`);
          assert.equal(sha256Of(readFileSync(files(w.quarantineDir, id).file)), sha256Of(content));
          const again = await w.run('restore', ['--id', id, '--json']);
          assert.equal(again.exit, 0, `${step}: ${again.text}`);
        }
        await assertOriginal(path, content, mtimeNs);
      }
      const values = [...outcomes.values()];
      assert.ok(values.includes('done') && values.includes('undone'), `both recoveries exercised: ${JSON.stringify([...outcomes])}`);
    });
  });
}

describe('recovery of an interrupted restore whose folder is gone', () => {
  it('undoes it (the file cannot have been put back) and keeps the file quarantined', async () => {
    const { mkdir, rm } = await import('node:fs/promises');
    const folder = join(w.acmeDocroot, 'gone');
    await mkdir(folder);
    const content = '<?php // in a folder deleted later\n';
    await w.put(join(folder, 'x.php'), content);
    const id = quarantineNow(join(folder, 'x.php'));
    writeFileSync(files(w.quarantineDir, id).restoreIntent, JSON.stringify({
      op: 'restore', phase: 'prepared', owner: { pid: 2 ** 22 + 1, start: null, boot: null }, method: 'link', tmpNameBase64: null, newcomer: null, actor: 'test', at: Date.now(),
    }));
    await rm(folder, { recursive: true });
    await recover();
    const m = readManifest(w.quarantineDir, id)!;
    assert.equal(m.status, 'quarantined');
    assert.equal(existsSync(files(w.quarantineDir, id).restoreIntent), false);
    assert.equal(sha256Of(readFileSync(files(w.quarantineDir, id).file)), sha256Of(content));
  });
});
