// Child of full-disk-audit.test.ts, run inside a private mount namespace whose
// state directory is a tiny tmpfs: quarantines a script and has one request
// refused while there is room, fills the disk, then tries a restore, a
// password reset (dry run and real) and an unsigned request; frees the disk
// and tries again. Prints what happened as one JSON line; the test judges it.
//   node --import ./test/helpers/register-ts.mjs test/faults/fill-audit-child.ts CONFIG FILE
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { loadConfig } from '../../service/config.ts';
import { AUDIT_FILE, openAuditLog, readAuditLog } from '../../service/actions/audit-log.ts';
import { files } from '../../service/actions/manifest.ts';
import { openSecurityLog, readSecurityLog, SECURITY_FILE } from '../../service/http/security-log.ts';
import { build } from '../http/build.ts';
import { flagsOf, runAction, type RunOutcome } from '../actions/world.ts';
import type { CommandContext } from '../../service/commands/command.ts';
import { runQuarantine } from '../../service/commands/quarantine.ts';

const PAGE = 4096;   // tmpfs allocates by pages: a write inside a file's last page needs no new room
const [configPath, fileA] = process.argv.slice(2) as [string, string];
const config = loadConfig(configPath, {});
const stateDir = config.stateDir;
const auditPath = join(stateDir, AUDIT_FILE);
const outcome = (r: RunOutcome) => ({ exit: r.exit, json: r.json, notes: r.notes, error: r.error ? { code: r.error.code, message: r.error.message } : null });

/**
 * Appends records (each `base + k` bytes long, k ≤ maxK) until `path` ends
 * `slack` bytes before a page boundary: the test decides how much of the
 * next write the full disk will still take.
 */
function padTo(path: string, slack: number, maxK: number, write: (k: number) => void): void {
  const size = () => statSync(path).size;
  const s0 = size();
  write(0);
  const base = size() - s0;
  for (;;) {
    const gap = (((PAGE - slack) - (size() % PAGE)) + PAGE) % PAGE;
    if (gap === 0) return;
    if (gap < base) write(0);   // no record is that short: go on into the next page
    else write(gap - base <= maxK ? gap - base : Math.min(maxK, gap - 2 * base));
  }
}

// 1. Room enough: a quarantine, one refused request, a sidecar whose state is on this disk too.
// With the evidence given, as the sidecar gives it: the command skips its own diagnosis (seconds, and beside the point here).
const quarantine = async (path: string) => {
  const ctx: CommandContext = { config, env: process.env, args: { command: 'quarantine', flags: flagsOf(['--path', path, '--json']), positional: [] }, evidence: [{ kind: 'script', path }] };
  const r = await runQuarantine(ctx);
  return { exit: r.exit, json: r.json as { id: string }, notes: r.notes, error: null };
};
const qa = await quarantine(fileA);
const sidecarTmp = join(stateDir, 'sidecar');
mkdirSync(sidecarTmp, { mode: 0o700 });
process.env.TMPDIR = sidecarTmp;   // build() makes its state dir under os.tmpdir()
const cleanups: Array<() => unknown> = [];
const s = await build({ after: (f: () => unknown) => void cleanups.push(f) } as unknown as TestContext);
const first401 = (await s.inject({ url: '/api/subscriptions' })).statusCode;

// 2. The logs' last pages: the audit log 40 bytes short of full (the next record is cut there), security.log full.
const audit = openAuditLog(stateDir, config.timezone);
padTo(auditPath, 40, 3000, (k) => audit.append({ actor: 'test', action: 'quarantine', target: 'padding', subscription: null, dryRun: true, result: 'refused', reason: `pad${'x'.repeat(k)}` }, 1_643_891_400_000));
const sec = openSecurityLog(s.config.stateDir, config.timezone, 1_000_000);
const secPath = join(s.config.stateDir, SECURITY_FILE);
padTo(secPath, 0, 580, (k) => void sec.record({ event: 'unauthenticated', reason: `pad${'r'.repeat(Math.max(0, k - 290))}`, method: 'GET', path: `/pad/${'a'.repeat(Math.min(k, 290))}`, claimed: { user: null, role: null, clientId: null } }, 1_643_891_400_000));
const auditBefore = readFileSync(auditPath, 'utf8');
const securityBefore = readFileSync(secPath, 'utf8');
const readBefore = readAuditLog(stateDir);
const manifestBefore = readFileSync(files(config.quarantineDir, qa.json.id).manifest, 'utf8');

// 3. Fill what is left, a page at a time, until the disk says no.
const fillers: string[] = [];
try {
  for (;;) {
    const f = join(stateDir, `filler-${fillers.length}`);
    fillers.push(f);
    writeFileSync(f, Buffer.alloc(PAGE, 1));
  }
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
}

// 4. On the full disk.
const restoreFull = outcome(await runAction(config, 'restore', ['--id', qa.json.id, '--json']));
const resetDry = outcome(await runAction(config, 'reset-passwords', ['--subscription', 'acme.example', '--mailboxes', 'all', '--dry-run', '--json']));
const resetReal = outcome(await runAction(config, 'reset-passwords', ['--subscription', 'acme.example', '--mailboxes', 'all', '--json']));
const full401 = await s.inject({ url: '/api/subscriptions' });
const auditFull = readFileSync(auditPath, 'utf8');
const readFull = readAuditLog(stateDir);
const onFullDisk = {
  restore: restoreFull, resetDry, resetReal,
  unsigned: { status: full401.statusCode, code: (full401.json() as { error?: { code?: string } }).error?.code ?? null },
  sidecarLog: s.logs.filter((l) => l.includes('security.log')),
  auditKeptItsLines: auditFull.startsWith(auditBefore),
  auditEndsTorn: !auditFull.endsWith('\n'),
  auditRecords: readFull.records.length, auditSkipped: readFull.skipped, auditWarnings: readFull.warnings,
  auditRecordsUnchanged: JSON.stringify(readFull.records) === JSON.stringify(readBefore.records),
  securityUnchanged: readFileSync(secPath, 'utf8') === securityBefore,
  manifestUnchanged: readFileSync(files(config.quarantineDir, qa.json.id).manifest, 'utf8') === manifestBefore,
  originalBack: existsSync(fileA),
  quarantinedFileThere: existsSync(files(config.quarantineDir, qa.json.id).file),
  leftovers: readdirSync(stateDir).filter((n) => n.startsWith('.')),
};

// 5. Room again.
for (const f of fillers) if (existsSync(f)) unlinkSync(f);
const restoreAfter = outcome(await runAction(config, 'restore', ['--id', qa.json.id, '--json']));
const after401 = (await s.inject({ url: '/api/subscriptions' })).statusCode;
const readAfter = readAuditLog(stateDir);
const secAfter = readSecurityLog(s.config.stateDir, null);
const afterFreeing = {
  restore: restoreAfter,
  unsigned: after401,
  auditKeptItsLines: readFileSync(auditPath, 'utf8').startsWith(auditFull),
  auditRecordsBefore: readBefore.records.length,
  auditRecords: readAfter.records.map((r) => ({ action: r.action, result: r.result, dryRun: r.dryRun, target: r.target })),
  auditSkipped: readAfter.skipped, auditWarnings: readAfter.warnings,
  originalBack: existsSync(fileA),
  security: secAfter.records.filter((r) => !r.path.startsWith('/pad/')).map((r) => ({ path: r.path, reason: r.reason, unwrittenBefore: r.unwrittenBefore })),
  securitySkipped: secAfter.skipped,
};
for (const c of cleanups.reverse()) await c();
console.log(JSON.stringify({ quarantined: { exit: qa.exit, id: qa.json.id }, first401, onFullDisk, afterFreeing }));
