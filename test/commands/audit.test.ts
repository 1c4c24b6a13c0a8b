// The audit log and the `audit` command: one JSON line per action, appended,
// never rewritten; garbled lines are skipped and counted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_FILE, openAuditLog, readAuditLog } from '../../service/actions/audit-log.ts';
import { parseIsoInstant } from '../../service/time.ts';
import { makeWorld, ZONE, type World } from '../actions/world.ts';

let w: World;
before(async () => {
  w = await makeWorld();
});
after(() => w?.remove());

const at = (iso: string) => parseIsoInstant(iso, ZONE)!;
const entry = (target: string) => ({ actor: 'cli:test', action: 'quarantine' as const, target, subscription: 'acme.example', dryRun: false, result: 'done' as const, reason: null });

describe('audit log', () => {
  it('appends one JSON line per record, with time, actor, action, target, dry run, result and reason', () => {
    const log = openAuditLog(w.stateDir, ZONE);
    log.append(entry('/a.php'), at('2022-02-03T22:15:00+09:00'));
    log.append({ ...entry('/b.php'), result: 'refused', reason: 'it is a symbolic link', dryRun: true }, at('2022-02-03T22:20:00+09:00'));
    const lines = readFileSync(log.path, 'utf8').split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    const second = JSON.parse(lines[1]!);
    assert.deepEqual(
      { time: second.time, actor: second.actor, action: second.action, target: second.target, dryRun: second.dryRun, result: second.result, reason: second.reason },
      { time: '2022-02-03T22:20:00+09:00', actor: 'cli:test', action: 'quarantine', target: '/b.php', dryRun: true, result: 'refused', reason: 'it is a symbolic link' });
  });

  it('only ever appends: earlier bytes stay as they were, a garbled line is skipped and counted, not repaired', () => {
    const path = join(w.stateDir, AUDIT_FILE);
    appendFileSync(path, 'garbage that is not json\n{"v":1}\n');
    const before = readFileSync(path);
    openAuditLog(w.stateDir, ZONE).append(entry('/c.php\nforged line'), at('2022-02-03T22:30:00+09:00'));
    const after = readFileSync(path);
    assert.deepEqual(after.subarray(0, before.length), before);
    assert.equal(after.subarray(before.length).toString().split('\n').length, 2, 'a newline in a target cannot forge a second line');
    const read = readAuditLog(w.stateDir);
    assert.equal(read.skipped, 2);
    assert.deepEqual(read.records.map((r) => r.target), ['/a.php', '/b.php', '/c.php\nforged line']);
  });

  it('refuses an audit log that is a symlink or writable by others', () => {
    const path = join(w.stateDir, AUDIT_FILE);
    renameSync(path, `${path}.real`);
    symlinkSync('/etc/passwd', path);
    assert.throws(() => openAuditLog(w.stateDir, ZONE), /ELOOP|not a regular file/);
    renameSync(`${path}.real`, path);
    chmodSync(path, 0o666);
    assert.throws(() => openAuditLog(w.stateDir, ZONE), (e: Error) => /SENDTRACE_ERR_STATE|unusable/.test(`${(e as { code?: string }).code} ${e.message}`));
    chmodSync(path, 0o600);
  });
});

describe('audit command', () => {
  it('prints the records, since an instant if asked', async () => {
    const all = await w.run('audit', ['--json']);
    assert.equal(all.exit, 1, 'garbled lines make it partial');
    assert.equal(all.json.records.length, 3);
    const since = await w.run('audit', ['--since', '2022-02-03T22:20:00+09:00', '--json']);
    assert.deepEqual(since.json.records.map((r: { target: string }) => r.target), ['/b.php', '/c.php\nforged line']);
    const text = await w.run('audit', ['--since', '2022-02-03T22:20:00+09:00']);
    assert.match(text.text, /2022-02-03T22:20:00\+09:00 {2}quarantine \(dry run\) {2}refused {2}\/b\.php \[acme\.example\] {2}by cli:test\n {4}it is a symbolic link/);
    assert.equal((await w.run('audit', ['--since', 'yesterday'])).exit, 2);
  });
});
