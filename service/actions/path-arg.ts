// Paths are bytes. diagnose shows a file name that is not clean UTF-8 (or holds
// control characters or a backslash) with those bytes as \xHH
// (sources/display-name.ts); `--path` takes that same text back, so any file
// diagnose names can be acted on, whatever bytes its name holds.
import { displayName } from '../sources/display-name.ts';

/** The bytes a `--path` argument names: `\xHH` is one byte, everything else is UTF-8. */
export function decodePathArgument(text: string): Buffer {
  const parts: Buffer[] = [];
  let plain = '';
  for (let i = 0; i < text.length; i++) {
    const m = text[i] === '\\' ? /^\\x([0-9a-fA-F]{2})/.exec(text.slice(i, i + 4)) : null;
    if (!m) {
      plain += text[i];
      continue;
    }
    parts.push(Buffer.from(plain, 'utf8'), Buffer.from([parseInt(m[1]!, 16)]));
    plain = '';
    i += 3;
  }
  parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

/** The text form of path bytes, for messages, manifests and JSON (reversible with decodePathArgument). */
export function showPath(bytes: Buffer): string {
  return displayName(bytes).text;
}
