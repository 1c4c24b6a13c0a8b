// diagnose over the fixture world (test/fixtures/expand: logs made from real
// Postfix and PHP captures, psa data, vhosts), through the built CLI and the
// plesk simulator on both backends. The generator's own truth is `expected`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { cachedWorld, type World } from '../fixtures/expand/world.ts';
import { makePleskSim, type PleskSim } from '../helpers/plesk-sim.ts';
import { startMariadb } from '../helpers/mariadb.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import type { Diagnosis } from '../../service/analysis/diagnosis.ts';
import { openAuditLog } from '../../service/actions/audit-log.ts';

const run = promisify(execFile);
const cli = resolve(repoRoot, 'dist/sendtrace.mjs');
const HOUR = 3_600_000;

type Ctx = { world: World; dir: string; config: string; sim: PleskSim };

async function setup(world: World, sim: PleskSim, state: string): Promise<string> {
  const raw = JSON.parse(await readFile(join(world.dir, 'config.json'), 'utf8'));
  const abs = (p: string) => resolve(world.dir, p);
  const config = join(state, 'config.json');
  await writeFile(config, JSON.stringify({
    ...raw, plesk: sim.path, maillog: raw.maillog.map(abs), phpMailLog: raw.phpMailLog.map(abs), accessLogs: raw.accessLogs.map(abs),
    vhostsRoot: abs(raw.vhostsRoot), passwdFile: abs(raw.passwdFile), stateDir: join(state, 'state'),
  }));
  return config;
}

async function diagnose(config: string, now: string, extra: string[] = []): Promise<{ doc: Diagnosis; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, 'diagnose', '--config', config, '--now', now, '--json', ...extra], { maxBuffer: 64 << 20 });
    return { doc: JSON.parse(stdout), stderr, code: 0 };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { doc: JSON.parse(e.stdout), stderr: e.stderr, code: e.code };
  }
}

describe('diagnose on the fixture world (sql.js backend)', () => {
  let ctx: Ctx;
  let doc: Diagnosis;
  let code: number;
  before(async () => {
    const world = await cachedWorld();
    const dir = await mkdtemp(join(tmpdir(), 'st-diag-'));
    const sim = await makePleskSim({ sqlite: join(world.dir, 'psa.sql') });
    ctx = { world, dir, sim, config: await setup(world, sim, dir) };
    ({ doc, code } = await diagnose(ctx.config, world.now));
  });
  after(async () => {
    await ctx?.sim.remove();
    if (ctx) await rm(ctx.dir, { recursive: true, force: true });
  });

  const local = (p: string) => p.replace(ctx.world.expected.serverVhostsRoot, resolve(ctx.world.dir, 'var/www/vhosts'));

  it('reads every input without warnings and exits 0', () => {
    assert.equal(code, 0);
    assert.deepEqual(doc.warnings, []);
    assert.equal(doc.now, ctx.world.now);
  });

  it('lists every subscription, the blocked one first', () => {
    assert.deepEqual(doc.subscriptions.map((s) => s.name).sort(), ctx.world.expected.subscriptions.map((s) => s.name).sort());
    assert.equal(doc.subscriptions[0]!.name, 'sk-seikan.jp');
    assert.equal(doc.subscriptions[0]!.status, 'not-sending');
  });

  it('gives each subscription the cause and top source the generator put there', () => {
    for (const want of ctx.world.expected.subscriptions) {
      const got = doc.subscriptions.find((s) => s.name === want.name)!;
      assert.equal(got.cause, want.cause, `${want.name} cause`);
      assert.equal(got.owner.login, want.owner.login);
      if (want.source) {
        const top = got.sources[0]!;
        assert.equal(top.kind, want.source.kind, `${want.name} top source kind`);
        if (want.source.kind === 'script') assert.equal(top.path, local(want.source.path), `${want.name} script`);
        else assert.equal(top.address, want.source.address, `${want.name} mailbox`);
        assert.ok(top.confidence >= 0.5, `${want.name} top source confidence ${top.confidence}`);
      } else {
        assert.ok(got.sources.every((s) => s.confidence < 0.5), `${want.name} has only leads`);
      }
    }
  });

  it("reads OMC's status, block start and last hour as psa holds them", () => {
    for (const want of ctx.world.expected.subscriptions) {
      const got = doc.subscriptions.find((s) => s.name === want.name)!;
      assert.equal(got.status, want.status, want.name);
      assert.equal(got.blockedSince, want.blockedSince, want.name);
      assert.deepEqual(got.lastHour, want.lastHour, want.name);
    }
  });

  it('finds the slow leaks with their start and rate, and none where there is none', () => {
    for (const want of ctx.world.expected.subscriptions) {
      const got = doc.subscriptions.find((s) => s.name === want.name)!;
      if (!want.leak) {
        assert.equal(got.leak, null, `${want.name} has no leak`);
        continue;
      }
      assert.ok(got.leak, `${want.name} leak`);
      assert.ok(Math.abs(Date.parse(got.leak.since) - Date.parse(want.leak.since)) <= HOUR, `${want.name} leak since ${got.leak.since} vs ${want.leak.since}`);
      assert.ok(Math.abs(got.leak.perHour - want.leak.perHour) <= want.leak.perHour * 0.1, `${want.name} rate ${got.leak.perHour} vs ${want.leak.perHour}`);
      assert.equal(got.leak.source, want.leak.source.startsWith('/') ? local(want.leak.source) : want.leak.source);
    }
  });

  it('explains the incident in both languages: the limit, the script, the bots, why passwords do not help', () => {
    const s = doc.subscriptions.find((x) => x.name === 'sk-seikan.jp')!;
    const { en, ja } = s.explanation;
    assert.match(en, /blocked since 15:00 today/);
    assert.match(en, /limit of 500 messages per hour/);
    assert.match(en, new RegExp(`${s.lastHour.rejected.toLocaleString('en-US')} were rejected`));
    assert.ok(en.includes(s.sources[0]!.path!));
    assert.match(en, /bots \(\d+ IP addresses POSTing/);
    assert.match(en, /changing mailbox passwords will not help/);
    assert.match(en, /about 30\d messages an hour, day and night, since Jan 20/);
    assert.match(ja, /本日 15:00 から止められています/);
    assert.match(ja, /500 通/);
    assert.match(ja, /パスワードを変えても止まりません/);
    assert.ok(ja.includes(s.sources[0]!.path!));
  });

  it('counts the messages of each sender as the generator wrote them', () => {
    for (const want of ctx.world.expected.subscriptions) {
      const got = doc.subscriptions.find((s) => s.name === want.name)!;
      for (const [key, n] of Object.entries(want.messagesBySender)) {
        if (!key.startsWith('sasl:')) continue;
        const src = got.sources.find((s) => s.kind === 'mailbox' && `sasl:${s.address}` === key);
        assert.equal(src?.messages, n, `${want.name} ${key}`);
      }
    }
  });

  it('reports after each audited action what its source did since', async () => {
    const stateDir = join(ctx.dir, 'state');
    const log = openAuditLog(stateDir, 'Asia/Tokyo');
    const now = Date.parse(ctx.world.now);
    const entry = (subscription: string, target: string, watch: string[]) =>
      ({ actor: 'test', action: 'quarantine' as const, target, subscription, dryRun: false, result: 'done' as const, reason: null, watch });
    log.append(entry('sk-seikan.jp', '/x/mail.php', ['uid:10001']), now - 60 * 60_000);
    log.append(entry('yamada-shoten.jp', '/x/send.php', ['uid:10005']), now - 60 * 60_000);
    log.append(entry('tanaka-design.jp', '/x/.cache.php', ['uid:10004']), now + 60 * 60_000);
    const { doc: d } = await diagnose(ctx.config, ctx.world.now);
    const sk = d.subscriptions.find((s) => s.name === 'sk-seikan.jp')!;
    assert.equal(sk.verification.length, 1);
    assert.equal(sk.verification[0]!.status, 'still-sending');
    assert.ok(sk.verification[0]!.lastWindow.messages > 0);
    assert.match(sk.verification[0]!.text.en, /^still sending: \d+ in the last \d+ minutes/);
    const ya = d.subscriptions.find((s) => s.name === 'yamada-shoten.jp')!;
    assert.equal(ya.verification[0]!.status, 'stopped');
    // Hourly data for that UID: the first hour counted in full after 20:30.
    assert.equal(ya.verification[0]!.text.en, '0 messages since 21:00');
    assert.deepEqual(d.subscriptions.find((s) => s.name === 'tanaka-design.jp')!.verification, [], 'an action after --now is not seen');
  });

  it('narrows to one subscription with --subscription, and refuses an unknown one', async () => {
    const one = await diagnose(ctx.config, ctx.world.now, ['--subscription', 'tanaka-design.jp']);
    assert.deepEqual(one.doc.subscriptions.map((s) => s.name), ['tanaka-design.jp']);
    const none = await diagnose(ctx.config, ctx.world.now, ['--subscription', 'nope.example']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /nope\.example/);
  });
});

describe('diagnose on the fixture world (real MariaDB)', () => {
  it('gives the same result as the sql.js backend', async () => {
    const world = await cachedWorld();
    const db = await startMariadb();
    const dir = await mkdtemp(join(tmpdir(), 'st-diag-db-'));
    const sims: PleskSim[] = [];
    try {
      await db.loadFile(join(world.dir, 'psa.sql'));
      sims.push(await makePleskSim({ socket: db.socket }), await makePleskSim({ sqlite: join(world.dir, 'psa.sql') }));
      const [a, b] = await Promise.all(sims.map(async (sim, i) => {
        const state = join(dir, String(i));
        await run('mkdir', ['-p', state]);
        return (await diagnose(await setup(world, sim, state), world.now)).doc;
      }));
      assert.ok(a!.subscriptions.length >= 5);
      assert.deepEqual(a, b);
    } finally {
      for (const s of sims) await s.remove();
      await db.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
