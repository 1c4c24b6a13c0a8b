// Child of checkpoint.test.ts: saves a checkpoint, writes the digest of what
// it saved, counts more (the current hour and an old one), writes that
// digest, and is killed (SIGKILL, no cleanup of any kind) once the second
// checkpoint's segment files are durable and before its checkpoint.json.
// The digests go to a file, synchronously: written to stdout (a pipe), a
// long line could still be in flight when the kill came (CI saw one torn).
import { appendFileSync } from 'node:fs';
import { openCheckpointStore } from '../../service/live/cursor-store.ts';
import { HOUR, MINUTE } from '../../service/time.ts';
import { busyCounters, digest, NOW, phpMail } from './checkpoint-world.ts';

const stateDir = process.argv[2]!;
const out = process.argv[3]!;
const follow = { maillog: { cursors: [], retired: [] } };
let crash = false;
const store = openCheckpointStore(stateDir, NOW, { beforeCommit: () => void (crash && process.kill(process.pid, 'SIGKILL')) });
const c = busyCounters({ scripts: 60, seed: 11 });
await store.save(NOW, follow, c);
appendFileSync(out, `${JSON.stringify(digest(c))}\n`);
c.addPhpMail(phpMail('/var/www/vhosts/site1.example/httpdocs/s1.php', NOW + MINUTE), NOW + MINUTE);
c.addPhpMail(phpMail('/var/www/vhosts/site2.example/httpdocs/s2.php', NOW - 20 * HOUR), NOW + MINUTE);
appendFileSync(out, `${JSON.stringify(digest(c))}\n`);
crash = true;
await store.save(NOW + MINUTE, follow, c);
console.log('not killed');
