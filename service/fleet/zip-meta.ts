// The extension package's identity: meta.xml read out of the zip (a small
// reader on node:zlib; no unzip binary, no package), and the same fields read
// from an installed meta.xml. plesk.md §5.2 [V]: <id>, <version>, <release>.
import { inflateRawSync } from 'node:zlib';
import { z } from 'zod';

const MAX_META = 1 << 20;

/** One file of a zip, or null if absent; throws a plain message on a broken or ZIP64 archive. */
export function readZipEntry(zip: Buffer, wanted: string): Buffer | null {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || p === 0xffffffff) throw new Error('ZIP64 archives are not supported');
  for (let n = 0; n < count; n++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt central directory');
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const skip = nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + skip;
    if (name !== wanted) continue;
    if (local + 30 > zip.length || zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`corrupt local header of ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    if (data.length !== size) throw new Error(`${name} is truncated`);
    if (method === 0) return Buffer.from(data);
    if (method === 8) return inflateRawSync(data, { maxOutputLength: MAX_META });
    throw new Error(`${name} uses compression method ${method}`);
  }
  return null;
}

export const ExtensionMetaSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'is not an extension id'),
  version: z.string().regex(/^[0-9][0-9A-Za-z.+~-]{0,39}$/, 'is not a version'),
  release: z.string().regex(/^[0-9]{1,9}$/, 'is not a release number').default('0'),
});
export type ExtensionMeta = z.infer<typeof ExtensionMetaSchema>;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** <id>, <version>, <release> of a meta.xml; null (with the reason) when they are missing or malformed. */
export function parseExtensionMeta(xml: string): { meta: ExtensionMeta } | { error: string } {
  const field = (tag: string) => {
    const m = new RegExp(`<${tag}>\\s*([^<]*?)\\s*</${tag}>`).exec(xml);
    return m ? m[1]!.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e]!) : undefined;
  };
  const parsed = ExtensionMetaSchema.safeParse({ id: field('id'), version: field('version'), release: field('release') });
  if (parsed.success) return { meta: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { error: `meta.xml <${String(issue.path[0])}> ${issue.message}` };
}

export const versionText = (m: { version: string; release: string }) => `${m.version}-${m.release}`;

/** <0, 0, >0 like a comparator: dotted numeric parts, then the release. */
export function compareVersions(a: { version: string; release: string }, b: { version: string; release: string }): number {
  const pa = a.version.split(/[.+~-]/);
  const pb = b.version.split(/[.+~-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const d = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
    if (d) return Math.sign(d);
  }
  return Math.sign(Number(a.release) - Number(b.release));
}
