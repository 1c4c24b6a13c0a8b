import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, createError } from '../../service/errors.ts';
import { repoRoot } from '../helpers/repo-root.ts';

describe('error catalogue', () => {
  it('documents every code in docs/errors.md with its exit code', () => {
    const doc = readFileSync(join(repoRoot, 'docs/errors.md'), 'utf8');
    for (const code of ERROR_CODES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\``));
      assert.ok(row, `${code} is missing from docs/errors.md`);
      assert.equal(row.split('|')[2]!.trim(), String(createError(code, 'x', 'y').exit), `exit code of ${code}`);
    }
  });

  it('fills placeholders in order', () => {
    assert.equal(createError('SENDTRACE_ERR_CONFIG', "'a'", 'b').message, "Bad config 'a': b");
  });
});
