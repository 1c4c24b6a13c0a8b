// Child of full-disk-state.test.ts, run inside a private mount namespace whose
// state directory is a tiny tmpfs: saves a live checkpoint (checkpoint.json
// and its segment files) and a settings document, fills the disk, tries to
// save a checkpoint with new counts and bigger settings, and prints what
// happened as one JSON line.
import { readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpointStore } from '../../service/live/cursor-store.ts';
import { LiveCounters } from '../../service/live/counters.ts';
import { DEFAULT_SETTINGS, openSettingsStore } from '../../service/http/settings-store.ts';
import { HOUR, MINUTE } from '../../service/time.ts';
import { digest, phpMail } from '../live/checkpoint-world.ts';

const stateDir = process.argv[2]!;
const live = join(stateDir, 'live');
const now = Date.UTC(2026, 10, 28, 10, 30);
const follow = { maillog: { cursors: [], retired: [] } };
const counters = new LiveCounters();
for (let i = 0; i < 20; i++) counters.addPhpMail(phpMail(`/var/www/vhosts/a.example/httpdocs/${i}.php`, now - i * HOUR), now);
const store = openCheckpointStore(stateDir, 1);
await store.save(now, follow, counters);
const saved = JSON.stringify(digest(counters, now));
const settings = openSettingsStore(stateDir, 'UTC');
settings.put(7, DEFAULT_SETTINGS, { actor: 'admin', now: 1 });
const checkpointBefore = readFileSync(join(live, 'checkpoint.json'), 'utf8');
const filesBefore = readdirSync(live).sort();
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

const attempt = async (f: () => unknown): Promise<string | null> => {
  try {
    await f();
    return null;
  } catch (err) {
    return String((err as Error).message);
  }
};
// New counts in the current hour and in an old one, from 200 scripts: two segments of several pages.
for (let i = 0; i < 200; i++) {
  counters.addPhpMail(phpMail(`/var/www/vhosts/b.example/httpdocs/${i}.php`, now + MINUTE), now + MINUTE);
  counters.addPhpMail(phpMail(`/var/www/vhosts/b.example/httpdocs/${i}.php`, now - 5 * HOUR), now + MINUTE);
}
const checkpointError = await attempt(() => store.save(now + MINUTE, follow, counters));
const settingsError = await attempt(() => settings.put(7, { ...DEFAULT_SETTINGS, allowList: Array.from({ length: 100 }, (_, i) => ({ path: `/var/www/vhosts/a.example/httpdocs/${i}-${'y'.repeat(900)}.php`, sha256: 'a'.repeat(64) })) }, { actor: 'admin', now: 2 }));
const leftovers = [...readdirSync(live), ...readdirSync(join(stateDir, 'settings'))].filter((n) => n.endsWith('.tmp'));
const after = openCheckpointStore(stateDir, 3);
console.log(JSON.stringify({
  filled, checkpointError, settingsError, leftovers,
  checkpointIntact: readFileSync(join(live, 'checkpoint.json'), 'utf8') === checkpointBefore && readdirSync(live).sort().join() === filesBefore.join(),
  checkpointReadable: after.loaded?.savedAt === now && after.warnings.length === 0 && JSON.stringify(digest(after.loaded.counters, now)) === saved,
  settingsIntact: readFileSync(join(stateDir, 'settings', '7.json'), 'utf8') === settingsBefore,
  settingsRevision: settings.get(7).revision,
}));
