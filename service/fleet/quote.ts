// The one function that turns an argv array into the command string an SSH
// "exec" request carries (the remote login shell parses it). Every remote
// command goes through here; nothing else writes shell text (STYLE.md rule 3).
//
// Threat: inventory values (paths, names) and anything else that reaches a
// remote command must arrive as single, literal words. Each word is wrapped in
// single quotes, inside which a POSIX shell (sh, bash, dash, ksh, zsh: what
// Plesk servers use for root [I]) interprets nothing; an embedded quote is
// closed, escaped and reopened ('\''). A NUL byte cannot travel in an argv at
// all, so it is refused rather than silently cut.
import { createError } from '../errors.ts';

// No "=": a first word like `A=b` would be read as an assignment.
const SAFE = /^[A-Za-z0-9_@%+:,./-]+$/;

export function quoteWord(word: string): string {
  if (word.includes('\0')) throw createError('SENDTRACE_ERR_USAGE', 'a remote command argument contains a NUL byte');
  // Plain words stay readable in logs; a leading '-' or '=' is still one word.
  if (SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function quoteArgv(argv: readonly string[]): string {
  if (!argv.length) throw createError('SENDTRACE_ERR_USAGE', 'empty remote command');
  return argv.map(quoteWord).join(' ');
}
