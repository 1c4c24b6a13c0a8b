// `npm start` must stay true (README): the demo starts, serves the panel's
// page and assets, switches user by cookie, answers the API with the
// incident, and stops on SIGINT leaving nothing running.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { repoRoot } from '../helpers/repo-root.ts';

let child: ChildProcess | null = null;
after(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

async function poll<T>(what: string, ms: number, f: () => Promise<T | null>): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

describe('npm start (the demo)', () => {
  it('serves the panel on the incident, as any owner, and stops cleanly', async () => {
    child = spawn(process.execPath, ['--import', './test/helpers/register-ts.mjs', 'test/demo/start.ts', '--port', '0'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const base = await poll('the demo printing its URL', 180_000, async () => {
      if (child!.exitCode !== null) throw new Error(`the demo exited with ${child!.exitCode}: ${err}`);
      return /demo: open (http:\/\/127\.0\.0\.1:\d+)\//.exec(err)?.[1] ?? null;
    });

    const page = await fetch(`${base}/panel`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /"role":"admin"/, 'the admin by default');
    assert.match(html, /<script src="\/assets\/app\.js"/);
    assert.ok(html.includes("default-src 'self'"), 'the page says nothing is loaded from elsewhere');
    const js = await fetch(`${base}/assets/app.js`);
    assert.equal(js.status, 200);
    assert.ok((await js.arrayBuffer()).byteLength > 10_000, 'the built panel');
    assert.equal((await fetch(`${base}/assets/..%2Fsendtrace.mjs`)).status, 404, 'only the two assets are served');

    const as = await fetch(`${base}/as/skseikan`, { redirect: 'manual' });
    assert.equal(as.status, 302);
    const cookie = as.headers.get('set-cookie')!.split(';')[0]!;
    assert.equal(cookie, 'sendtrace_dev_as=skseikan');
    assert.match(await (await fetch(`${base}/panel`, { headers: { cookie } })).text(), /"role":"client"/);
    assert.equal((await fetch(`${base}/as/..%2F..%2Fetc`, { redirect: 'manual' })).status, 400);

    // The customer sees its own subscription only, blocked, with the script named.
    const list = await poll('the first diagnosis', 180_000, async () => {
      const r = await fetch(`${base}/api/subscriptions`, { headers: { cookie } });
      const body = (await r.json()) as { items?: Array<{ name: string; status: string; cause: string; topSource: { label: string } | null }> };
      return body.items && body.items.length ? body : null;
    });
    assert.deepEqual(list.items!.map((i) => i.name), ['sk-seikan.jp']);
    assert.equal(list.items![0]!.status, 'not-sending');
    assert.equal(list.items![0]!.cause, 'script');
    assert.match(list.items![0]!.topSource!.label, /sk-seikan\.jp\/httpdocs\/mail\.php$/);

    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, err.slice(-2000));
  });
});
