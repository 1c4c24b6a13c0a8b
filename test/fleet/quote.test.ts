// The one quoting function, checked against real shells: what sh (dash) and
// bash receive as argv must be exactly the words given.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { quoteArgv, quoteWord } from '../../service/fleet/quote.ts';

const HOSTILE = [
  '', ' ', 'plain', "it's", "'", "''", '"', '$(touch /tmp/st-pwned)', '`id`', '$HOME', '${IFS}', 'a;b', 'a&&b', 'a|b', '>x', '<x',
  '*', '?', '[a]', '~', '~root', '#comment', '!', '!!', '\\', 'back\\slash', 'new\nline', 'tab\there', 'cr\rhere', 'ünïcødé 日本',
  '-n', '-e', '--', 'A=b', 'x=$(id)', '%s', '{a,b}', '\x1b[2J', 'trailing\\',
];

/** Runs `printf '%s\0' <quoted words>` through a shell and splits on NUL: the argv it really built. */
function throughShell(shell: string, words: string[]): string[] {
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${quoteArgv(words)}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('quoteArgv', () => {
  for (const shell of ['/bin/sh', '/bin/bash'].filter(existsSync)) {
    it(`gives ${shell} exactly the words, however hostile`, () => {
      assert.deepEqual(throughShell(shell, HOSTILE), HOSTILE);
    });
  }

  it('does not let a first word turn into a variable assignment', () => {
    assert.notEqual(quoteWord('A=b'), 'A=b');
    const out = execFileSync('/bin/sh', ['-c', `${quoteArgv(['A=b'])} 2>&1; echo "rc=$?"`], { encoding: 'utf8' });
    assert.match(out, /rc=127/); // looked up as a command named "A=b", not an assignment
  });

  it('leaves plain words readable', () => {
    assert.equal(quoteArgv(['plesk', 'bin', 'extension', '--install', '/tmp/x-1.zip']), 'plesk bin extension --install /tmp/x-1.zip');
  });

  it('refuses a NUL byte, which no argv can carry', () => {
    assert.throws(() => quoteArgv(['a\0b']), /NUL/);
  });
});
