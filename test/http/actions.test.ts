// The action routes with a recording ActionsPort: what reaches the actions
// module (and what never does), dry runs, rate limits, and how failures
// inside an action are answered.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createError } from '../../service/errors.ts';
import { unavailableActions } from '../../service/http/actions/actions-port.ts';
import { ActionResponseSchema } from '../../service/http/contract.ts';
import { build, recordingActions } from './build.ts';
import { ID, LEAKING_SCRIPT } from './fake-world.ts';

const quarantine = (body: unknown) => ({ method: 'POST', url: '/api/subscriptions/10/actions/quarantine', as: ID.c1, body });

describe('action routes', () => {
  it('hands a dry-run quarantine of the caller\'s script to the actions module and reports its answer', async (t) => {
    const actions = recordingActions();
    const s = await build(t, { actions });
    const r = await s.inject(quarantine({ path: LEAKING_SCRIPT, dryRun: true }));
    assert.equal(r.statusCode, 200, r.body);
    const body = ActionResponseSchema.parse(JSON.parse(r.body));
    assert.deepEqual([body.action, body.subscriptionId, body.dryRun, body.exit, body.result.originalPath], ['quarantine', 10, true, 0, LEAKING_SCRIPT]);
    const { evidence, ...args } = actions.calls[0]!.args as { evidence?: Array<{ kind: string; path: string; confidence: number }> };
    assert.deepEqual([actions.calls.length, args], [1, { subscription: 'c1.example', path: LEAKING_SCRIPT, reason: 'quarantined from the panel by c1', dryRun: true, actor: { ...ID.c1, via: 'panel' } }]);
    // The served diagnosis names this script: its evidence goes with the action (no fresh diagnosis in the worker).
    assert.deepEqual(evidence?.map((e) => [e.kind, e.path, e.confidence]), [['script', LEAKING_SCRIPT, 0.97]]);
    assert.equal(s.cache.refreshes, 0, 'a dry run changes nothing, so nothing is recomputed');
    await s.inject(quarantine({ path: LEAKING_SCRIPT, reason: 'bots', dryRun: false }));
    assert.equal(actions.calls[1]!.args.reason, 'bots');
    assert.equal(s.cache.refreshes, 1, 'a real quarantine asks for a fresh diagnosis');
  });

  it('passes no evidence for a file the diagnosis does not name: the command then diagnoses itself', async (t) => {
    const actions = recordingActions();
    const s = await build(t, { actions });
    const other = LEAKING_SCRIPT.replace(/[^/]+$/, 'other.php');
    assert.equal((await s.inject(quarantine({ path: other, dryRun: true }))).statusCode, 200);
    assert.equal(actions.calls[0]!.args.path, other);
    assert.equal('evidence' in actions.calls[0]!.args, false);
  });

  it('refuses a path outside the subscription, or not written plainly, before the actions module sees it', async (t) => {
    const actions = recordingActions();
    const s = await build(t, { actions });
    const paths = [
      '/var/www/vhosts/c2.example/httpdocs/mail.php', '/var/www/vhosts/c1.example/../c2.example/mail.php', '/var/www/vhosts/c1.example',
      '/var/www/vhosts/c1.example.evil/x.php', '/etc/passwd', '/var/www/vhosts/c1.example//x.php', '/var/www/vhosts/c1.example/./x.php',
      'httpdocs/mail.php', '/var/www/vhosts/c1.example/x\\x00.php',
    ];
    for (const path of paths) {
      const r = await s.inject(quarantine({ path, dryRun: true }));
      assert.equal(r.statusCode, 403, `${path}: ${r.body}`);
      assert.equal(JSON.parse(r.body).error.code, 'SENDTRACE_ERR_PATH_NOT_ALLOWED');
    }
    const purge = await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/purge-queue', as: ID.c1, body: { source: { kind: 'script', path: '/var/www/vhosts/c2.example/httpdocs/mail.php' }, dryRun: true } });
    assert.equal(purge.statusCode, 403);
    assert.equal(actions.calls.length, 0);
  });

  it('needs dryRun said explicitly and refuses fields it does not know, naming them', async (t) => {
    const s = await build(t);
    const missing = JSON.parse((await s.inject(quarantine({ path: LEAKING_SCRIPT }))).body).error;
    assert.deepEqual(missing.issues.map((i: { where: string }) => i.where), ['body.dryRun']);
    const extra = JSON.parse((await s.inject(quarantine({ path: LEAKING_SCRIPT, dryRun: true, force: true }))).body).error;
    assert.match(extra.message, /force/);
    const nothing = await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/reset-passwords', as: ID.c1, body: { dryRun: true } });
    assert.equal(nothing.statusCode, 400);
    assert.match(JSON.parse(nothing.body).error.message, /say what to reset/);
    const comma = await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/reset-passwords', as: ID.c1, body: { mailboxes: ['a@c1.example,b@c1.example'], dryRun: true } });
    assert.equal(comma.statusCode, 400);
  });

  it('returns new passwords once, never cacheable', async (t) => {
    const s = await build(t);
    const r = await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/reset-passwords', as: ID.c1, body: { mailboxes: 'all', dryRun: false } });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(JSON.parse(r.body).result.accounts[0].password, 'Xq7-secret-Pw-41z');
  });

  it('limits changes per user: the 11th in a row is 429 with Retry-After; another user is not affected', async (t) => {
    const s = await build(t);
    for (let i = 0; i < 10; i++) assert.equal((await s.inject(quarantine({ path: LEAKING_SCRIPT, dryRun: true }))).statusCode, 200);
    const r = await s.inject(quarantine({ path: LEAKING_SCRIPT, dryRun: true }));
    assert.equal(r.statusCode, 429);
    assert.equal(JSON.parse(r.body).error.code, 'SENDTRACE_ERR_RATE_LIMITED');
    assert.ok(Number(r.headers['retry-after']) >= 1);
    assert.equal((await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/purge-queue', as: ID.admin, body: { dryRun: true } })).statusCode, 200);
    s.clock.now += 6_000;
    assert.equal((await s.inject(quarantine({ path: LEAKING_SCRIPT, dryRun: true }))).statusCode, 200, 'a token comes back after six seconds');
  });

  it('answers 501 when the actions module is not in this build', async (t) => {
    const s = await build(t, { actions: unavailableActions('the actions module is not installed') });
    const r = await s.inject(quarantine({ path: LEAKING_SCRIPT, dryRun: true }));
    assert.equal(r.statusCode, 501);
    assert.deepEqual(JSON.parse(r.body).error, { code: 'SENDTRACE_ERR_NOT_AVAILABLE', message: 'Not available: the actions module is not installed' });
  });

  it('keeps the message of a refusal by the actions module (4xx)', async (t) => {
    const s = await build(t, { actions: recordingActions({ fail: createError('SENDTRACE_ERR_REFUSED', 'the file belongs to root') }) });
    const r = await s.inject(quarantine({ path: LEAKING_SCRIPT, dryRun: false }));
    assert.equal(r.statusCode, 409);
    assert.equal(JSON.parse(r.body).error.message, 'Refused: the file belongs to root');
  });

  it('answers an internal failure with a reference only; the details go to the log under that reference', async (t) => {
    const s = await build(t, { actions: recordingActions({ fail: new Error('ENOSPC writing /var/lib/sendtrace-private/x') }) });
    const r = await s.inject(quarantine({ path: LEAKING_SCRIPT, dryRun: false }));
    assert.equal(r.statusCode, 500);
    const e = JSON.parse(r.body).error;
    assert.equal(e.code, 'SENDTRACE_ERR_INTERNAL');
    assert.ok(!r.body.includes('ENOSPC') && !r.body.includes('/var/lib'), r.body);
    const ref = /reference ([0-9a-f]+)/.exec(e.message)?.[1];
    assert.ok(ref);
    const line = s.logs.map((l) => JSON.parse(l)).find((l) => l.reference === ref);
    assert.match(line?.err?.message ?? '', /ENOSPC/);
    const coded = await build(t, { actions: recordingActions({ fail: createError('SENDTRACE_ERR_ACTION_FAILED', 'quarantine', 'ENOSPC on /var/lib/x') }) });
    const r2 = await coded.inject(quarantine({ path: LEAKING_SCRIPT, dryRun: false }));
    assert.equal(r2.statusCode, 500);
    assert.equal(JSON.parse(r2.body).error.code, 'SENDTRACE_ERR_ACTION_FAILED', 'the code stays, the details do not');
    assert.ok(!r2.body.includes('ENOSPC'));
  });

  it('never sends an answer that breaks the contract: a 500 instead', async (t) => {
    const broken = { ...recordingActions(), purgeQueue: async () => ({ result: null as unknown as Record<string, unknown>, exit: 0, notes: [] }) };
    const s = await build(t, { actions: broken });
    const r = await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/purge-queue', as: ID.c1, body: { dryRun: true } });
    assert.equal(r.statusCode, 500);
    assert.equal(JSON.parse(r.body).error.code, 'SENDTRACE_ERR_INTERNAL');
    assert.match(s.logs.join(''), /breaks the contract: result/);
  });

  it('restores only a quarantine id of the same subscription', async (t) => {
    const item = { id: 'q-20220203-221500-0a1b2c3d', status: 'quarantined' as const, originalPath: LEAKING_SCRIPT, subscription: 'c1.example', subscriptionId: 10, quarantinedAt: '2022-02-03T22:15:00+09:00', actor: 'x', reason: 'y', size: 1, sha256: 'c'.repeat(64), restoredAt: null, restoredBy: null };
    const actions = recordingActions({ quarantine: [item] });
    const s = await build(t, { actions });
    assert.equal((await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/restore', as: ID.c1, body: { quarantineId: item.id, dryRun: true } })).statusCode, 200);
    assert.equal((await s.inject({ method: 'POST', url: '/api/subscriptions/11/actions/restore', as: ID.c2, body: { quarantineId: item.id, dryRun: true } })).statusCode, 404);
    assert.equal((await s.inject({ method: 'POST', url: '/api/subscriptions/10/actions/restore', as: ID.c1, body: { quarantineId: '../../etc/passwd', dryRun: true } })).statusCode, 400);
    assert.deepEqual(actions.calls.map((c) => c.args.quarantineId), [item.id]);
  });
});
