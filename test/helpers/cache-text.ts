// A cache entry's text, for tests that look inside one: readCacheBytes as UTF-8.
import { readCacheBytes } from '../../service/sources/state-cache.ts';

export type CacheText = { text: string } | { text: null; damaged: boolean };

export async function readCacheText(dir: string, key: string): Promise<CacheText> {
  const read = await readCacheBytes(dir, key);
  return read.bytes === null ? { text: null, damaged: read.damaged } : { text: read.bytes.toString('utf8') };
}
