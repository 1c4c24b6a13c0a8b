// A full disk while appending the audit log, outside the quarantine path
// (issue 10, Faults): a restore, a password reset (dry run and real) and the
// sidecar's record of a refused (401) request, on a real 256 KiB tmpfs state
// directory inside a private mount namespace (as in
// test/faults/full-disk-state.test.ts; the work runs in fill-audit-child.ts,
// which reports what happened).
//
// The rule (docs/actions.md): an action that changes something is never done
// unrecorded — without room for its record it is refused before anything
// changes; a dry run changes nothing, goes ahead and says it was not recorded.
// A refused request stays refused (401) whether or not security.log takes
// the line. A record cut short by the full disk stays a fragment on a line of
// its own: the lines before it are intact, the reader counts and skips it,
// and the next record is whole.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../../service/sources/run-command.ts';
import { audited, exitAfterAudit, type ActionStart } from '../../service/actions/action-context.ts';
import { createError } from '../../service/errors.ts';
import { canUseMountNamespace } from '../fixtures/capture/as-user.ts';
import { makePleskSim } from '../helpers/plesk-sim.ts';
import { repoRoot } from '../helpers/repo-root.ts';
import { makeWorld, type World } from '../actions/world.ts';

type Outcome = { exit: number; json: any; notes: string[]; error: { code: string; message: string } | null };
type Report = {
  quarantined: { exit: number; id: string };
  first401: number;
  onFullDisk: {
    restore: Outcome; resetDry: Outcome; resetReal: Outcome;
    unsigned: { status: number; code: string | null };
    sidecarLog: string[];
    auditKeptItsLines: boolean; auditEndsTorn: boolean; auditRecords: number; auditSkipped: number; auditWarnings: string[]; auditRecordsUnchanged: boolean;
    securityUnchanged: boolean; manifestUnchanged: boolean; originalBack: boolean; quarantinedFileThere: boolean; leftovers: string[];
  };
  afterFreeing: {
    restore: Outcome; unsigned: number; auditKeptItsLines: boolean; auditRecordsBefore: number;
    auditRecords: Array<{ action: string; result: string; dryRun: boolean; target: string }>; auditSkipped: number; auditWarnings: string[];
    originalBack: boolean; security: Array<{ path: string; reason: string; unwrittenBefore: number }>; securitySkipped: number;
  };
};

describe('faults: a full disk under the audit log', () => {
  let w: World;
  let report: Report | null = null;
  let skipped = '';
  let calls = '';
  let fileA = '';

  before(async () => {
    if (!(await canUseMountNamespace())) {
      skipped = 'no mount namespace here (needs root with CAP_SYS_ADMIN)';
      return;
    }
    let record = '';
    w = await makeWorld({ makePlesk: async ({ root, dataPath }) => makePleskSim({ sqlite: dataPath, record: (record = join(root, 'plesk-calls.jsonl')) }) });
    fileA = await w.put(join(w.acmeDocroot, 'mailer.php'), '<?php mail($_POST["to"], "hi", $_POST["body"]);\n') as string;
    await mkdir(w.stateDir, { mode: 0o700 });
    // The tmpfs exists only inside the child's mount namespace, over the state directory
    // (the quarantine folder is inside it, as by default).
    const script = 'mount -t tmpfs -o size=256k,mode=0700 sendtrace-test "$1" && shift && exec "$@"';
    const r = await runCommand(['/usr/bin/unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', w.stateDir,
      process.execPath, '--import', join(repoRoot, 'test/helpers/register-ts.mjs'), join(repoRoot, 'test/faults/fill-audit-child.ts'), w.configPath, fileA],
    { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Report;
    calls = existsSync(record) ? await readFile(record, 'utf8') : '';
  });
  after(() => w?.remove());

  it('sets up: a script quarantined and one refused request logged while there is room', (t) => {
    if (skipped) return t.skip(skipped);
    assert.equal(report!.quarantined.exit, 0);
    assert.equal(report!.first401, 401);
  });

  it('a restore on the full disk is refused before anything changes: exit 3, the audit log and ENOSPC named', (t) => {
    if (skipped) return t.skip(skipped);
    const { restore, manifestUnchanged, originalBack, quarantinedFileThere, leftovers } = report!.onFullDisk;
    assert.equal(restore.exit, 3);
    assert.equal(restore.error?.code, 'SENDTRACE_ERR_ACTION_FAILED');
    assert.match(restore.error!.message, /^restore of q-\S+ failed, nothing was changed: the audit log \S+\/state\/audit\.log has no room for its record \(ENOSPC: no space left on device/);
    assert.equal(originalBack, false, 'the file was not put back');
    assert.equal(quarantinedFileThere, true);
    assert.equal(manifestUnchanged, true, 'the manifest still says quarantined, byte for byte');
    assert.deepEqual(leftovers, [], 'no room holder or temp file left');
  });

  it('a real password reset is refused and never reaches Plesk; its dry run answers, saying it was not recorded (exit 1)', (t) => {
    if (skipped) return t.skip(skipped);
    const { resetDry, resetReal } = report!.onFullDisk;
    assert.equal(resetReal.exit, 3);
    assert.equal(resetReal.error?.code, 'SENDTRACE_ERR_ACTION_FAILED');
    assert.match(resetReal.error!.message, /audit\.log has no room for its record \(ENOSPC/);
    assert.ok(!calls.split('\n').some((l) => l.startsWith('{"argv":["bin"')), `no plesk bin call: ${calls}`);
    assert.ok(calls.includes('"db"'), 'plesk db was used (by the dry run), so the record file works');
    assert.equal(resetDry.exit, 1);
    assert.deepEqual(resetDry.json.accounts.map((a: { name: string }) => a.name).sort(), ['info@acme.example', 'sales@acme.example', 'shop@acme-shop.example']);
    assert.ok(resetDry.notes.some((n) => /^the audit log \S+audit\.log could not be written \(ENOSPC: no space left on device.*\): this reset-passwords \(dry run\) is NOT recorded there; its record: \{/.test(n)), resetDry.notes.join('\n'));
  });

  it('the audit log keeps every line it had; the record cut short is a fragment the reader counts and skips', (t) => {
    if (skipped) return t.skip(skipped);
    const f = report!.onFullDisk;
    assert.equal(f.auditKeptItsLines, true);
    assert.equal(f.auditEndsTorn, true, 'the dry run\'s record was cut by the full disk (the test left 40 bytes)');
    assert.equal(f.auditRecordsUnchanged, true);
    assert.equal(f.auditSkipped, 1);
    assert.match(f.auditWarnings[0] ?? '', /audit\.log: 1 line\(s\) are not audit records and were skipped/);
  });

  it('with room again the restore is done and recorded whole, after the fragment', (t) => {
    if (skipped) return t.skip(skipped);
    const a = report!.afterFreeing;
    assert.equal(a.restore.exit, 0, JSON.stringify(a.restore));
    assert.equal(a.originalBack, true);
    assert.equal(a.auditKeptItsLines, true);
    assert.equal(a.auditSkipped, 1, 'still just the one fragment');
    assert.equal(a.auditRecords.length, a.auditRecordsBefore + 1);
    assert.deepEqual(a.auditRecords.at(-1), { action: 'restore', result: 'done', dryRun: false, target: a.auditRecords.at(-1)!.target });
    assert.match(a.auditRecords.at(-1)!.target, /^q-\S+ → .*mailer\.php$/);
    // The quarantine's record is still the first, before the padding.
    assert.deepEqual([a.auditRecords[0]!.action, a.auditRecords[0]!.result, a.auditRecords[0]!.dryRun], ['quarantine', 'done', false]);
    assert.match(a.auditRecords[0]!.target, /mailer\.php$/);
  });

  it('the sidecar still refuses an unsigned request with 401 on the full disk, logs why the line is missing, and counts it later', (t) => {
    if (skipped) return t.skip(skipped);
    const f = report!.onFullDisk;
    assert.deepEqual(f.unsigned, { status: 401, code: 'SENDTRACE_ERR_UNAUTHENTICATED' });
    assert.equal(f.securityUnchanged, true, 'security.log is as it was: no partial line');
    assert.equal(f.sidecarLog.length, 1, f.sidecarLog.join('\n'));
    assert.match(f.sidecarLog[0]!, /security\.log: ENOSPC: no space left on device.*could not be written to security\.log; it is refused all the same/);
    const a = report!.afterFreeing;
    assert.equal(a.unsigned, 401);
    assert.deepEqual(a.security.map((r) => r.unwrittenBefore), [0, 1], 'the first refusal, then the next written line counts the one lost');
    assert.equal(a.securitySkipped, 0);
  });
});

describe('faults: the audit record failing after the action (an injected EIO)', () => {
  const failingStart = (): ActionStart & { released: number } => {
    const start = {
      released: 0,
      audit: {
        path: '/state/audit.log',
        append: () => {
          throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO', syscall: 'write' });
        },
        reserve: () => ({ release: () => void start.released++ }),
      },
      actor: 'test', now: 0, notes: [] as string[], unrecorded: false,
    };
    return start;
  };
  const base = { action: 'reset-passwords' as const, target: 'acme.example', subscription: 'acme.example', dryRun: false };

  it('a done action still answers (its new passwords are not lost), with a note carrying the record, and exits 1', async () => {
    const start = failingStart();
    const value = await audited(start, base, async () => ({ value: 'the new passwords', entry: { details: { accounts: 1 } } }));
    assert.equal(value, 'the new passwords');
    assert.equal(start.released, 1, 'the room was given back before the write');
    assert.equal(start.notes.length, 1);
    assert.match(start.notes[0]!, /^the audit log \/state\/audit\.log could not be written \(EIO: i\/o error, write\): this reset-passwords is NOT recorded there; its record: \{.*"result":"done"/);
    assert.equal(exitAfterAudit(start, 0), 1);
    assert.equal(exitAfterAudit(start, 3), 3, 'a worse exit stays');
  });

  it('a refused action stays refused, and its message says the refusal is not recorded', async () => {
    const start = failingStart();
    await assert.rejects(audited(start, base, async () => {
      throw createError('SENDTRACE_ERR_REFUSED', 'not today');
    }), (err: unknown) => {
      assert.ok(err instanceof Error && 'code' in err && err.code === 'SENDTRACE_ERR_REFUSED');
      assert.match(err.message, /^Refused: not today\nthe audit log \/state\/audit\.log could not be written \(EIO.*"result":"refused"/s);
      return true;
    });
    assert.equal(start.released, 1);
  });
});
