// Text from an inventory or from a remote host, made safe to print on a
// terminal: a hostile host could otherwise send escape sequences (retitle the
// window, rewrite earlier lines, fake a "0 failed"). Control characters become
// visible escapes; long text is cut.

// C0 controls, DEL, C1 controls, and the bidi overrides that reorder a line.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string, max = 300): string {
  const clean = text.replace(CONTROL, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** The last non-empty lines of a remote stderr, for a failure reason. */
export function tailOf(text: string, lines = 3): string {
  const kept = text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-lines);
  return printable(kept.join(' | '));
}
