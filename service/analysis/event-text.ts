// Comparing a maillog event's text fields without decoding them: the
// accumulator (mail-flow-accumulator.ts) only needs a string when it keeps one.

const bytesOf = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
export const SCRIPT_HEADER = bytesOf('x-php-originating-script');
export const LIMIT_OUT = bytesOf('limit-out');
export const REJECT = bytesOf('REJECT');

/** Whether buf[s, e) is `text` (ASCII), upper-case letters folded when `fold`: as toLowerCase() would compare a Latin-1 name, without the string. */
export function isText(buf: Uint8Array, s: number, e: number, text: Uint8Array, fold: boolean): boolean {
  if (e - s !== text.length) return false;
  for (let i = 0; i < text.length; i++) {
    let c = buf[s + i]!;
    if (fold && c >= 65 && c <= 90) c += 32;
    if (c !== text[i]) return false;
  }
  return true;
}

/** Whether buf[s, e), decoded as UTF-8, is `str`: exact for ASCII; any other byte answers no (the caller decodes). */
export function sameText(str: string, buf: Uint8Array, s: number, e: number): boolean {
  if (str.length !== e - s) return false;
  for (let i = 0; i < str.length; i++) {
    const c = buf[s + i]!;
    if (c >= 0x80 || str.charCodeAt(i) !== c) return false;
  }
  return true;
}
