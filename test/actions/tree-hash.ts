// A fingerprint of a folder tree: every entry's name bytes, type, owner, mode,
// size, mtime and content (or link target). Equal before and after = nothing
// changed (the dry-run tests).
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export function hashTree(root: string | Buffer): string {
  const h = createHash('sha256');
  const walk = (dir: Buffer) => {
    const names = readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare);
    for (const name of names) {
      const p = Buffer.concat([dir, Buffer.from('/'), name]);
      const st = lstatSync(p, { bigint: true });
      h.update(name).update(`\0${st.mode}:${st.uid}:${st.gid}:${st.size}:${st.mtimeNs}:${st.nlink}\0`);
      if (st.isSymbolicLink()) h.update(readlinkSync(p, { encoding: 'buffer' }));
      else if (st.isFile()) h.update(readFileSync(p));
      else if (st.isDirectory()) walk(p);
      h.update('\0/');
    }
  };
  try {
    walk(Buffer.isBuffer(root) ? root : Buffer.from(root));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  return h.digest('hex');
}
