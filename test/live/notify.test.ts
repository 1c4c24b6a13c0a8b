import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNotifier, signWebhook } from '../../service/live/notify.ts';
import { openIncidentStore } from '../../service/live/incident-store.ts';
import type { Incident, Transition } from '../../service/live/incident.ts';
import { DEFAULT_SETTINGS } from '../../service/http/settings-store.ts';
import { ensurePrivateDir } from '../../service/actions/state-files.ts';
import { directory, SCRIPT, ZONE } from './live-world.ts';

let dir = '';
let server: Server;
let port = 0;
const hooks: Array<{ headers: Record<string, string | string[] | undefined>; body: string; status: number }> = [];
let failFirst = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sendtrace-notify-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const status = failFirst-- > 0 ? 503 : 200;
      hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString(), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
  await rm(dir, { recursive: true, force: true });
});

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'burst-x-1', kind: 'burst', key: 'k', subscriptionId: 10, subscription: 'easytone.example', source: { kind: 'script', id: SCRIPT, label: SCRIPT },
    state: 'open', level: 1, openedAt: Date.parse('2022-02-03T13:00:00Z'), updatedAt: 0, resolvedAt: null, lastActiveAt: 0,
    figures: { perMinute: 300, baselinePerMinute: 0.1, perHour: null, count: 600, limit: 500, reachesLimitAt: null, since: null },
    reason: { en: 'mail.php is sending 300 messages per minute', ja: 'mail.php が毎分 300 通を送信しています' }, confidence: 0.94, context: [], history: [], ...over,
  };
}

describe('notifier', () => {
  it('mails the admin in English and the owner in Japanese through sendmail (argv, message on stdin), once per transition, and posts a signed webhook that is retried', async () => {
    const out = join(dir, 'mails');
    await writeFile(join(dir, 'sendmail'), `#!/bin/sh\nn=$(date +%s%N)\nprintf '%s\\n' "$@" > "${out}.$n.argv"\ncat > "${out}.$n.eml"\n`);
    await chmod(join(dir, 'sendmail'), 0o755);
    const stateDir = join(dir, 'state');
    ensurePrivateDir(stateDir);
    ensurePrivateDir(join(stateDir, 'live'));
    const store = openIncidentStore(stateDir);
    const secret = Buffer.from('s3cret-for-tests');
    failFirst = 2;
    const logs: string[] = [];
    const n = createNotifier({ sendmail: join(dir, 'sendmail'), from: 'sendtrace@host.example', adminEmail: null, webhook: { url: `http://127.0.0.1:${port}/hook`, secret }, zone: ZONE,
      retry: { attempts: 4, firstDelayMs: 20, timeoutMs: 2000 }, log: (_l, o, m) => logs.push(`${m} ${JSON.stringify(o)}`) }, store);
    const inc = incident();
    store.replace(new Map([[inc.id, inc]]), 0);
    const t: Transition = { type: 'opened', incident: inc };
    const settings = { ...DEFAULT_SETTINGS, notify: { owner: true, emails: ['ops@easytone.example'] } };
    await n.send([t], directory(), () => settings, new Map([[inc.id, ['Restore: sendtrace restore --id q-1']]]));
    await n.send([t], directory(), () => settings, new Map());            // the same transition again: nothing
    const files = (await readdir(dir)).filter((f) => f.startsWith('mails.'));
    const emls = await Promise.all(files.filter((f) => f.endsWith('.eml')).map((f) => readFile(join(dir, f), 'utf8')));
    const argvs = await Promise.all(files.filter((f) => f.endsWith('.argv')).map((f) => readFile(join(dir, f), 'utf8')));
    assert.equal(emls.length, 3, logs.join('\n'));
    assert.deepEqual(argvs.map((a) => a.trim().split('\n').at(-1)).sort(), ['admin@host.example', 'ops@easytone.example', 'owner@easytone.example']);
    assert.ok(argvs.every((a) => a.startsWith('-i\n-f\nsendtrace@host.example\n--\n')));
    const toAdmin = emls.find((e) => e.includes('To: <admin@host.example>'))!;
    assert.match(toAdmin, /Subject: \[sendtrace\] Mail burst: easytone\.example/);
    assert.match(toAdmin, /sending 300 messages per minute/);
    assert.match(toAdmin, /Restore: sendtrace restore --id q-1/);
    const toOwner = emls.find((e) => e.includes('To: <owner@easytone.example>'))!;
    const subject = /Subject: =\?UTF-8\?B\?([^?]+)\?=/.exec(toOwner)![1]!;
    assert.match(Buffer.from(subject, 'base64').toString(), /大量送信: easytone\.example/);
    assert.match(toOwner, /毎分 300 通/);
    // Webhook: two 503s, then accepted: one delivery, correctly signed.
    assert.deepEqual(hooks.map((h) => h.status), [503, 503, 200]);
    const ok = hooks[2]!;
    const ts = String(ok.headers['x-sendtrace-timestamp']);
    assert.equal(ok.headers['x-sendtrace-signature'], signWebhook(secret, ts, ok.body));
    const doc = JSON.parse(ok.body);
    assert.equal(doc.type, 'incident.opened');
    assert.equal(doc.incident.id, inc.id);
    // Escalation: a new message to everyone, and the webhook once more.
    hooks.length = 0;
    const worse: Transition = { type: 'escalated', incident: { ...inc, level: 2 } };
    await n.send([worse, worse], directory(), () => settings, new Map());
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.eml')).length, 6);
    assert.equal(hooks.length, 1);
    // Survives a restart: the store remembers what was sent.
    const again = createNotifier({ sendmail: join(dir, 'sendmail'), from: 'sendtrace@host.example', adminEmail: null, webhook: { url: `http://127.0.0.1:${port}/hook`, secret }, zone: ZONE, log: () => {} }, openIncidentStore(stateDir));
    await again.send([worse], directory(), () => settings, new Map());
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.eml')).length, 6);
    assert.equal(hooks.length, 1);
  });

  it('refuses an address that could be read as an option, and does not tell the owner about a lead below its minimum confidence', async () => {
    const stateDir = join(dir, 'state2');
    ensurePrivateDir(stateDir);
    ensurePrivateDir(join(stateDir, 'live'));
    const store = openIncidentStore(stateDir);
    const sent: string[] = [];
    await writeFile(join(dir, 'sendmail2'), `#!/bin/sh\nprintf '%s\\n' "$@" >> "${dir}/argv2"\ncat > /dev/null\n`);
    await chmod(join(dir, 'sendmail2'), 0o755);
    const n = createNotifier({ sendmail: join(dir, 'sendmail2'), from: 'sendtrace@host.example', adminEmail: '-oQ/tmp/x@evil.example', webhook: null, zone: ZONE, log: (_l, o, m) => sent.push(m) }, store);
    const inc = incident({ id: 'lead-1', confidence: 0.45 });
    await n.send([{ type: 'opened', incident: inc }], directory(), () => DEFAULT_SETTINGS, new Map());
    await assert.rejects(readFile(join(dir, 'argv2'), 'utf8'), /ENOENT/);
  });
});
