// A small deterministic zip writer (PKWARE APPNOTE 6.3, the subset every
// unzipper reads): entries sorted by name, DOS time fixed at 1980-01-01 00:00,
// no extra fields, unix modes in the external attributes (so sbin/ helpers stay
// executable after `plesk bin extension --install`), deflate when it saves
// space. The same inputs always give the same bytes (docs/decisions/009).
import { deflateRawSync } from 'node:zlib';
import { crc32 } from './crc32.mjs';

const DOS_TIME = 0;                          // 00:00:00
const DOS_DATE = (0 << 9) | (1 << 5) | 1;    // 1980-01-01 (year offset 0, month 1, day 1)
const VERSION_MADE_BY = (3 << 8) | 20;       // host 3 = UNIX (external attributes hold st_mode), spec 2.0
const VERSION_NEEDED = 20;
const FLAG_UTF8 = 1 << 11;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/**
 * @typedef {{ name: string, data?: Buffer, mode?: number, dir?: boolean }} ZipEntry
 * name: forward slashes, no leading slash, no `..`; a folder ends with `/` (or dir: true).
 */

function checkName(name) {
  if (!name || name.startsWith('/') || name.includes('\\') || name.split('/').some((p) => p === '..' || p === '.')) {
    throw new Error(`zip: bad entry name '${name}'`);
  }
}

/** The zip archive of `entries`, as one Buffer. Throws on duplicate names. */
export function createZip(entries) {
  const list = entries.map((e) => {
    const dir = e.dir === true || e.name.endsWith('/');
    const name = dir && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    checkName(name.replace(/\/$/, ''));
    return { name, dir, data: dir ? Buffer.alloc(0) : e.data ?? Buffer.alloc(0), mode: e.mode ?? (dir ? 0o755 : 0o644) };
  });
  // Byte order, not locale order: the same on every machine.
  list.sort((a, b) => Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8')));
  for (let i = 1; i < list.length; i++) if (list[i].name === list[i - 1].name) throw new Error(`zip: duplicate entry '${list[i].name}'`);

  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const e of list) {
    const nameBytes = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    let method = 0;
    let payload = e.data;
    if (!e.dir && e.data.length > 0) {
      const deflated = deflateRawSync(e.data, { level: 9 });
      if (deflated.length < e.data.length) {
        method = 8;
        payload = deflated;
      }
    }
    if (payload.length >= 0xffffffff || offset >= 0xffffffff) throw new Error('zip: archive too large (no zip64 here)');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(FLAG_UTF8, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(payload.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBytes, payload);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(VERSION_MADE_BY, 4);
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(FLAG_UTF8, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(payload.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt16LE(0, 30);   // extra
    central.writeUInt16LE(0, 32);   // comment
    central.writeUInt16LE(0, 34);   // disk
    central.writeUInt16LE(0, 36);   // internal attributes
    const unixMode = ((e.dir ? S_IFDIR : S_IFREG) | (e.mode & 0o7777)) >>> 0;
    central.writeUInt32LE(((unixMode << 16) | (e.dir ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + payload.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  if (list.length > 0xffff) throw new Error('zip: too many entries (no zip64 here)');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(list.length, 8);
  end.writeUInt16LE(list.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, ...centrals, end]);
}
