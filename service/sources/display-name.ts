// File names are bytes chosen by whoever uploaded the file: they may hold
// newlines, terminal escapes or invalid UTF-8. They are shown escaped, with the
// exact bytes kept beside (base64) for any action that must find the file again.

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const hex = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`;

export type DisplayName = { text: string; escaped: boolean };

/** Printable text for a name: C0/C1 controls, DEL and backslash as \xHH; invalid UTF-8 bytewise. */
export function displayName(bytes: Buffer): DisplayName {
  let decoded: string | null;
  try {
    decoded = strictUtf8.decode(bytes);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    decoded = null;
  }
  if (decoded !== null) {
    const text = decoded.replace(/[\u0000-\u001f\u007f-\u009f\\]/g, (c) => hex(c.charCodeAt(0)));
    return { text, escaped: text !== decoded };
  }
  let text = '';
  for (const b of bytes) text += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : hex(b);
  return { text, escaped: true };
}

/** Whether `path` is `dir` or inside it (byte-wise, no normalisation: both must already be real paths). */
export function isInsideBytes(path: Buffer, dir: Buffer): boolean {
  if (path.equals(dir)) return true;
  const prefix = dir[dir.length - 1] === 0x2f ? dir : Buffer.concat([dir, Buffer.from('/')]);
  return path.length > prefix.length && path.subarray(0, prefix.length).equals(prefix);
}
