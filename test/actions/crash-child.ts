// Child process for the crash and race tests: runs a quarantine or a restore
// through the action functions with a step hook that records each step and
//  - KILL_AT=<step>: kills this process with SIGKILL there (no cleanup, no finally);
//  - KILL_AT=barrier:<dir>: after the check and hash, writes <dir>/ready-<pid> and
//    waits for <dir>/go (two children then race from the same point);
//  - KILL_AT=none: runs to the end.
//   … crash-child.ts CONFIG quarantine PATH KILL_AT COPY(0|1) STEPS_FILE [PLACES_JSON]
//   … crash-child.ts CONFIG restore ID KILL_AT COPY(0|1) STEPS_FILE
// PLACES_JSON: the subscriptions' places, read once by the test (saves a psa read per child).
// Prints {"ok": true, "id"} or {"ok": false, "code", "message"}; exits with the error's exit code.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../service/config.ts';
import { SendtraceError } from '../../service/errors.ts';
import { readPanelNow } from '../../service/actions/action-context.ts';
import { quarantineFile } from '../../service/actions/quarantine.ts';
import { restoreFile } from '../../service/actions/restore.ts';
import { checkFileInSubscription, subscriptionPlaces, type SubscriptionPlace } from '../../service/actions/safe-path.ts';

const [configPath, op, target, killAt, copy, stepsFile, placesFile] = process.argv.slice(2) as [string, string, string, string, string, string, string | undefined];
const config = loadConfig(configPath, {});
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const step = (name: string) => {
  appendFileSync(stepsFile, `${name}\n`);
  if (name === killAt) process.kill(process.pid, 'SIGKILL');
  if (killAt.startsWith('barrier:') && name === 'hashed') {
    const dir = killAt.slice('barrier:'.length);
    writeFileSync(join(dir, `ready-${process.pid}`), '');
    const deadline = Date.now() + 60_000;
    while (!existsSync(join(dir, 'go')) && Date.now() < deadline) sleep(10);
  }
};
const now = Date.now();
try {
  if (op === 'quarantine') {
    const places: SubscriptionPlace[] = placesFile ? JSON.parse(readFileSync(placesFile, 'utf8')) : subscriptionPlaces(await readPanelNow(config, now), config.vhostsRoot);
    const checked = checkFileInSubscription(Buffer.from(target), places, config);
    const r = quarantineFile({ checked, reason: 'crash test', actor: 'test', evidence: [], now, zone: config.timezone, quarantineDir: config.quarantineDir, stateDir: config.stateDir },
      { step, forceCopy: copy === '1' });
    checked.close();
    process.stdout.write(`${JSON.stringify({ ok: true, id: r.manifest.id })}\n`);
  } else {
    restoreFile({ id: target, quarantineDir: config.quarantineDir, stateDir: config.stateDir, actor: 'test', now, zone: config.timezone }, { step, forceCopy: copy === '1' });
    process.stdout.write(`${JSON.stringify({ ok: true, id: target })}\n`);
  }
} catch (err) {
  if (!(err instanceof SendtraceError)) throw err;
  process.stdout.write(`${JSON.stringify({ ok: false, code: err.code, message: err.message })}\n`);
  process.exitCode = err.exit;
}
