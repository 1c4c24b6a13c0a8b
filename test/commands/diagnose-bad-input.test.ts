// Bad input gets a clear error naming it, the exit codes of CONTRACT.md, and
// partial results where possible.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { cachedWorld, type World } from '../fixtures/expand/world.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';
import { repoRoot } from '../helpers/repo-root.ts';

const run = promisify(execFile);
const cli = resolve(repoRoot, 'dist/sendtrace.mjs');

async function diagnose(configObj: object, dir: string, now: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(config, JSON.stringify(configObj));
  try {
    const r = await run(process.execPath, [cli, 'diagnose', '--config', config, '--now', now, '--json'], { maxBuffer: 64 << 20 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('diagnose with bad input', () => {
  let world: World;
  let dir: string;
  let sim: PleskSim;
  let base: Record<string, unknown>;
  before(async () => {
    world = await cachedWorld();
    dir = await mkdtemp(join(tmpdir(), 'st-bad-'));
    sim = await makePleskSim({ sqlite: join(world.dir, 'psa.sql') });
    const raw = JSON.parse(await readFile(join(world.dir, 'config.json'), 'utf8'));
    const abs = (p: string) => resolve(world.dir, p);
    base = { ...raw, plesk: sim.path, maillog: raw.maillog.map(abs), phpMailLog: raw.phpMailLog.map(abs), accessLogs: raw.accessLogs.map(abs),
      vhostsRoot: abs(raw.vhostsRoot), passwdFile: abs(raw.passwdFile), stateDir: join(dir, 'state') };
  });
  after(async () => {
    await sim?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('goes on from the logs when plesk db fails, says so, and still names the culprit (exit 1)', async () => {
    const r = await diagnose({ ...base, plesk: '/bin/false' }, dir, world.now);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    assert.ok(doc.warnings.some((w: string) => /Plesk database query failed/.test(w)), doc.warnings.join('\n'));
    assert.ok(doc.warnings.some((w: string) => /inferred from .*vhosts/.test(w)));
    const sk = doc.subscriptions.find((s: { name: string }) => s.name === 'sk-seikan.jp');
    assert.ok(sk, 'the subscription is found on disk');
    assert.equal(sk.cause, 'script');
    assert.match(sk.sources[0].path, /sk-seikan\.jp\/httpdocs\/mail\.php$/);
    assert.equal(sk.status, 'not-sending', "the log's limit refusals tell without psa");
  });

  it('lists the psa warning before the mail log\'s even when psa answers last (they are read at the same time)', async () => {
    // A `plesk db` that fails only after the small mail log below has been read.
    const slowPlesk = join(dir, 'slow-plesk');
    await writeFile(slowPlesk, "#!/bin/sh\nsleep 1\necho 'ERROR 2002 (HY000): cannot connect' >&2\nexit 1\n", { mode: 0o755 });
    const missing = join(dir, 'missing.log');
    const r = await diagnose({ ...base, plesk: slowPlesk, maillog: [resolve(repoRoot, '../shared/realdata/postfix-lightmeter/sample/mail.log'), missing] }, dir, world.now);
    assert.equal(r.code, 1);
    const warnings: string[] = JSON.parse(r.stdout).warnings;
    const psa = warnings.findIndex((w) => /Plesk database query failed/.test(w) && w.includes('cannot connect'));
    const log = warnings.findIndex((w) => w.includes(missing));
    assert.ok(psa >= 0 && log >= 0, warnings.join('\n'));
    assert.ok(psa < log, `psa first:\n${warnings.join('\n')}`);
  });

  it('names a missing and a binary mail log, and reads the rest (exit 1)', async () => {
    // What a careless glob picks up: a program, a database, an image.
    const binary = join(dir, 'maillog.db');
    await copyFile('/usr/bin/true', binary);
    const r = await diagnose({ ...base, maillog: [...(base.maillog as string[]), join(dir, 'nope.log'), binary] }, dir, world.now);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    assert.ok(doc.warnings.some((w: string) => w.includes(join(dir, 'nope.log'))), doc.warnings.join('\n'));
    assert.ok(doc.warnings.some((w: string) => w.includes(binary)), doc.warnings.join('\n'));
    assert.equal(doc.subscriptions[0].name, 'sk-seikan.jp');
    assert.equal(doc.subscriptions[0].cause, 'script');
  });

  it('names a truncated rotated .gz and keeps what it could read (exit 1)', async () => {
    const gz = join(dir, 'mail.log.2.gz');
    await copyFile(join(world.dir, 'var/log/mail.log.2.gz'), gz);
    await truncate(gz, Math.floor((await stat(gz)).size / 2));
    const logs = [gz, join(world.dir, 'var/log/mail.log.1'), join(world.dir, 'var/log/mail.log')];
    const r = await diagnose({ ...base, maillog: logs }, dir, world.now);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout);
    assert.ok(doc.warnings.some((w: string) => w.includes(gz)), doc.warnings.join('\n'));
    assert.equal(doc.subscriptions.find((s: { name: string }) => s.name === 'tanaka-design.jp').cause, 'script');
  });

  it('exits 4 when nothing at all can be read, saying what it tried', async () => {
    const r = await diagnose({ plesk: '/bin/false', maillog: [join(dir, 'none*.log')], accessLogs: [join(dir, 'none/*')], passwdFile: join(dir, 'passwd'), vhostsRoot: join(dir, 'vh'), stateDir: join(dir, 'state') }, dir, world.now);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /Nothing could be read/);
    assert.match(r.stderr, /none\*\.log/);
    assert.equal(JSON.parse(r.stdout).error.code, 'SENDTRACE_ERR_NOTHING_READABLE');
  });

  it('refuses a config with an unknown key (exit 2), naming it', async () => {
    const r = await diagnose({ ...base, maillogs: ['x'] }, dir, world.now);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /'maillogs'/);
  });

  it('refuses a --now that is not an instant (exit 2)', async () => {
    const config = join(dir, 'ok.json');
    await writeFile(config, JSON.stringify(base));
    await assert.rejects(run(process.execPath, [cli, 'diagnose', '--config', config, '--now', 'yesterday']), (e: { code: number; stderr: string }) => e.code === 2 && /--now 'yesterday'/.test(e.stderr));
  });
});
