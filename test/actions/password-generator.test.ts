import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generatePassword, PASSWORD_ALPHABET, PASSWORD_LENGTH } from '../../service/actions/password-generator.ts';
import { pleskStrength, scorePleskPassword } from '../../service/actions/password-strength.ts';

describe('Plesk password strength', () => {
  it("scores the support article's example P@ssw0rd as medium (34)", () => {
    assert.equal(scorePleskPassword('P@ssw0rd'), 34);
    assert.equal(pleskStrength('P@ssw0rd'), 'medium');
  });

  it('needs 16+ characters and every class, with more than one digit or special, to be very strong', () => {
    assert.equal(pleskStrength('Ab1!Ab1!Ab1!Ab1'), 'strong');          // 15 characters: 44
    assert.equal(pleskStrength('Abcdefghijklmnop1!'), 'strong');       // one digit, one special: 40
    assert.equal(pleskStrength('Abcdefghijklmno1!!'), 'very-strong');  // 45
    assert.equal(pleskStrength('Abcdefghijklmn123_!'), 'very-strong');
    assert.equal(pleskStrength('abcdefghijklmnopqrstuvwxyz'), 'weak');
  });
});

describe('generatePassword', () => {
  const sample = Array.from({ length: 2000 }, () => generatePassword());

  it('makes 24 characters from the safe alphabet only, alphanumeric at both ends', () => {
    for (const pw of sample) {
      assert.equal(pw.length, PASSWORD_LENGTH);
      assert.ok([...pw].every((c) => PASSWORD_ALPHABET.includes(c)), pw);
      assert.match(pw, /^[A-Za-z0-9].*[A-Za-z0-9]$/);
    }
  });

  it('never uses characters that break shells or copy-paste, or look alike', () => {
    for (const c of ' \t\'"`\\$!#&*?~;|<>(){}[]0O1lIo') assert.ok(!PASSWORD_ALPHABET.includes(c), JSON.stringify(c));
  });

  it("is always 'very strong' by Plesk's rules", () => {
    for (const pw of sample) assert.equal(pleskStrength(pw), 'very-strong', pw);
  });

  it('draws every character of the alphabet, and never the same password twice', () => {
    assert.equal(new Set(sample).size, sample.length);
    const seen = new Set(sample.join(''));
    assert.deepEqual([...PASSWORD_ALPHABET].filter((c) => !seen.has(c)), []);
  });

  it('refuses to make a password shorter than 20 characters', () => {
    assert.throws(() => generatePassword(16), RangeError);
  });
});
