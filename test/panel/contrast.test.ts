// WCAG 2.1 contrast of the panel's text colours on the backgrounds they are
// used on, read from styles.css itself (a colour change that breaks
// readability fails here, not in a user's eyes).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/repo-root.ts';

const css = readFileSync(join(repoRoot, 'frontend/styles.css'), 'utf8');
const vars = new Map([...css.matchAll(/--st-([a-z-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1]!, m[2]!]));
const color = (name: string) => {
  const v = name.startsWith('#') ? name : vars.get(name);
  assert.ok(v, `colour ${name} is defined in styles.css`);
  return v!;
};

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

// [text, background]: every pair the stylesheet puts together for normal-size text.
const PAIRS: Array<[string, string]> = [
  ['text', '#ffffff'], ['muted', '#ffffff'], ['muted', 'bg-soft'], ['primary-strong', '#ffffff'], ['#ffffff', 'primary-strong'],
  ['danger', '#ffffff'], ['danger', 'danger-bg'], ['#ffffff', 'danger'], ['ok', 'ok-bg'], ['ok', '#ffffff'],
  ['warning', 'warning-bg'], ['warning', '#ffffff'], ['text', 'danger-bg'], ['text', 'warning-bg'], ['text', 'ok-bg'], ['text', 'info-bg'],
];

describe('colour contrast', () => {
  for (const [fg, bg] of PAIRS) {
    it(`keeps ${fg} on ${bg} at 4.5:1 or more`, () => {
      const r = contrast(color(fg), color(bg));
      assert.ok(r >= 4.5, `${fg} on ${bg}: ${r.toFixed(2)}:1`);
    });
  }

  it("uses Plesk's own blue only where no text depends on it (it is 2.6:1 on white)", () => {
    assert.ok(contrast(color('primary'), '#ffffff') < 4.5);
    assert.ok(!/(^|[\s;{])color:\s*var\(--st-primary\)/m.test(css), 'no text is coloured --st-primary');
  });
});
