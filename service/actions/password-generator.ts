// New passwords: from the OS CSPRNG (crypto.randomInt: uniform, no modulo
// bias), 24 characters, "very strong" for Plesk (password-strength.ts), and
// safe to copy and paste and to type into a shell unquoted:
// - no look-alikes (0 O o, 1 l I) that get misread when copied by hand;
// - no space, quote, backslash, $, `, !, #, &, *, ?, ~, ;, |, <, >, (, ), {, },
//   [, ] (shell expansion, history, globbing, comments, HTML);
// - specials only '_' '%' '@' (in Plesk's list of specials), and never first
//   or last, where a selection by double-click or a tilde/at expansion could
//   cut or change them.
import { randomInt } from 'node:crypto';
import { pleskStrength } from './password-strength.ts';

export const PASSWORD_LENGTH = 24;
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnpqrstuvwxyz';
const DIGITS = '23456789';
const SPECIALS = '_%@';
const ALNUM = UPPER + LOWER + DIGITS;
const ALL = ALNUM + SPECIALS;

function pick(set: string): string {
  return set[randomInt(set.length)]!;
}

/** A fresh password; candidates that miss a class are drawn again (rejection keeps the choice uniform among valid ones). */
export function generatePassword(length = PASSWORD_LENGTH): string {
  if (length < 20) throw new RangeError('passwords are at least 20 characters');
  for (;;) {
    let pw = pick(ALNUM);
    for (let i = 1; i < length - 1; i++) pw += pick(ALL);
    pw += pick(ALNUM);
    const specials = [...pw].filter((c) => SPECIALS.includes(c)).length;
    const digits = [...pw].filter((c) => DIGITS.includes(c)).length;
    if (specials >= 2 && digits >= 3 && /[A-Z]/.test(pw) && /[a-z]/.test(pw) && pleskStrength(pw) === 'very-strong') return pw;
  }
}

/** The characters a generated password may hold (tests check every one). */
export const PASSWORD_ALPHABET = ALL;
