// The development signer (the demo's way to use the panel without Plesk):
// it signs unsigned requests as a chosen owner, only when asked for and never
// on a Plesk server — checked with a fake filesystem root and through the CLI.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../service/cli.ts';
import { parseConfig } from '../../service/config.ts';
import { SendtraceError } from '../../service/errors.ts';
import { assertDevSignerAllowed, DEV_AS_COOKIE, DEV_AS_HEADER } from '../../service/http/auth/dev-signer.ts';
import { startServer } from '../../service/server.ts';
import { build, recordingActions } from './build.ts';
import { fakeSnapshot, NOW, ZONE } from './fake-world.ts';

function tempRoot(t: TestContext, markers: string[] = []): string {
  const root = mkdtempSync(join(tmpdir(), 'st-root-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const m of markers) mkdirSync(join(root, m), { recursive: true });
  return root;
}

const simulated = { plesk: '/tmp/sendtrace-plesk-sim-x/plesk' };

describe('development signer', () => {
  it('cannot be enabled where Plesk is installed (/usr/local/psa or /opt/psa) or the config uses the real plesk', (t) => {
    for (const marker of ['usr/local/psa', 'opt/psa']) {
      assert.throws(() => assertDevSignerAllowed(simulated, tempRoot(t, [marker])), (e: unknown) => e instanceof SendtraceError && e.exit === 3 && e.message.includes(`/${marker} exists`));
    }
    for (const plesk of ['plesk', '/usr/sbin/plesk', '/opt/psa/bin/plesk', '/usr/local/psa/bin/plesk']) {
      assert.throws(() => assertDevSignerAllowed({ plesk }, tempRoot(t)), /cannot be enabled on a Plesk server/, plesk);
    }
    assert.doesNotThrow(() => assertDevSignerAllowed(simulated, tempRoot(t)));
  });

  it('refuses to start a server with it on a Plesk root, before listening anywhere', async (t) => {
    const dir = tempRoot(t);
    writeFileSync(join(dir, 'group'), 'psaadm:x:4242:\n');
    const config = parseConfig({ stateDir: 'state', timezone: ZONE, plesk: simulated.plesk }, 'test', dir);
    await assert.rejects(startServer(config, { env: {}, socketPath: null, devPort: 0, groupFile: join(dir, 'group'), root: tempRoot(t, ['opt/psa']), key: randomBytes(32) }), /cannot be enabled on a Plesk server \(\/opt\/psa exists\)/);
  });

  it('is refused by `sendtrace serve --dev-signer` with Plesk\'s default config (exit 3)', async () => {
    const out: string[] = [];
    const code = await runCli(['serve', '--dev-signer', '--port', '0'], { stdout: (s) => void out.push(s), stderr: (s) => void out.push(s), env: {} });
    assert.equal(code, 3);
    assert.match(out.join(''), /development signer cannot be enabled on a Plesk server/);
    assert.equal(await runCli(['serve', '--port', '8080'], { stdout: () => undefined, stderr: () => undefined, env: {} }), 2, '--port without --dev-signer is bad usage');
  });

  it('signs unsigned requests as the owner named by header or cookie, the admin by default', async (t) => {
    const s = await build(t, { deps: { devSigner: { root: tempRoot(t) }, plugins: [] } });
    s.config.plesk = simulated.plesk;
    const me = async (headers: Record<string, string>) => s.app.inject({ url: '/api/me', headers });
    assert.deepEqual((await me({ [DEV_AS_HEADER]: 'c1' })).json(), { login: 'c1', role: 'client', clientId: 4, via: 'dev-signer' });
    assert.deepEqual((await me({ cookie: `x=1; ${DEV_AS_COOKIE}=r2` })).json().login, 'r2');
    assert.deepEqual((await me({})).json().role, 'admin');
    const unknown = await me({ [DEV_AS_HEADER]: 'nobody' });
    assert.equal(unknown.statusCode, 401);
    // A signed-as customer still sees only its own subscriptions.
    const list = (await s.app.inject({ url: '/api/subscriptions', headers: { [DEV_AS_HEADER]: 'c1' } })).json() as { items: Array<{ id: number }> };
    assert.deepEqual(list.items.map((i) => i.id), [10]);
  });

  it('does nothing without the flag: a development header is an unsigned request', async (t) => {
    const s = await build(t);
    const r = await s.app.inject({ url: '/api/me', headers: { [DEV_AS_HEADER]: 'admin' } });
    assert.equal(r.statusCode, 401);
  });

  it('listens on 127.0.0.1 only, with the actions of the chosen owner', async (t) => {
    const dir = tempRoot(t);
    writeFileSync(join(dir, 'group'), `psaadm:x:${process.getgid?.() ?? 0}:\n`);
    const config = parseConfig({ stateDir: 'state', timezone: ZONE, plesk: simulated.plesk }, 'test', dir);
    const actions = recordingActions();
    const server = await startServer(config, {
      env: {}, socketPath: null, devPort: 0, groupFile: join(dir, 'group'), root: tempRoot(t), key: randomBytes(32), logStream: { write: () => undefined },
      collect: async () => fakeSnapshot(), fingerprint: async () => ({ files: 'f', ownership: 'o', activity: 'a' }), loadOwnership: async () => fakeSnapshot().ownership, analysisNow: () => NOW, actions,
    });
    t.after(() => server.close());
    assert.equal(server.tcp?.address, '127.0.0.1');
    const base = `http://127.0.0.1:${server.tcp!.port}`;
    const r = await fetch(`${base}/api/subscriptions/10/actions/purge-queue`, { method: 'POST', headers: { [DEV_AS_HEADER]: 'c1', 'content-type': 'application/json' }, body: JSON.stringify({ dryRun: true }) });
    assert.equal(r.status, 200, await r.clone().text());
    assert.deepEqual(actions.calls[0]?.args.actor, { login: 'c1', role: 'client', clientId: 4, via: 'dev-signer' });
  });
});
