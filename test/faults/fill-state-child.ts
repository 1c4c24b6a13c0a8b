// Child of full-disk-state.test.ts, run inside a private mount namespace whose
// state directory is a tiny tmpfs: writes a live checkpoint and a settings
// document, fills the disk, tries to replace both with bigger versions, and
// prints what happened as one JSON line.
import { readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint } from '../../service/live/cursor-store.ts';
import { DEFAULT_SETTINGS, openSettingsStore } from '../../service/http/settings-store.ts';

const stateDir = process.argv[2]!;
const small = { v: 1 as const, savedAt: 1, follow: {}, counters: { note: 'old' } };
readCheckpoint(stateDir, 1);   // creates <stateDir>/live
writeCheckpoint(stateDir, small);
const settings = openSettingsStore(stateDir, 'UTC');
settings.put(7, DEFAULT_SETTINGS, { actor: 'admin', now: 1 });
const checkpointBefore = readFileSync(join(stateDir, 'live', 'checkpoint.json'), 'utf8');
const settingsBefore = readFileSync(join(stateDir, 'settings', '7.json'), 'utf8');

// Fill what is left, 4 KiB at a time, until the disk says no.
let filled = 0;
try {
  for (;;) {
    writeFileSync(join(stateDir, `filler-${filled}`), Buffer.alloc(4096, 1));
    filled++;
  }
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
}

const attempt = (f: () => void): string | null => {
  try {
    f();
    return null;
  } catch (err) {
    return String((err as Error).message);
  }
};
const big = 'x'.repeat(200_000);
const checkpointError = attempt(() => writeCheckpoint(stateDir, { ...small, savedAt: 2, counters: { note: big } }));
const settingsError = attempt(() => settings.put(7, { ...DEFAULT_SETTINGS, allowList: Array.from({ length: 100 }, (_, i) => ({ path: `/var/www/vhosts/a.example/httpdocs/${i}-${'y'.repeat(900)}.php`, sha256: 'a'.repeat(64) })) }, { actor: 'admin', now: 2 }));
const leftovers = [...readdirSync(join(stateDir, 'live')), ...readdirSync(join(stateDir, 'settings'))].filter((n) => n.endsWith('.tmp'));
const after = readCheckpoint(stateDir, 3);
console.log(JSON.stringify({
  filled, checkpointError, settingsError, leftovers,
  checkpointIntact: readFileSync(join(stateDir, 'live', 'checkpoint.json'), 'utf8') === checkpointBefore,
  checkpointReadable: after.checkpoint?.savedAt === 1 && after.warnings.length === 0,
  settingsIntact: readFileSync(join(stateDir, 'settings', '7.json'), 'utf8') === settingsBefore,
  settingsRevision: settings.get(7).revision,
}));
