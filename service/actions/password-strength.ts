// Plesk's password strength score (Plesk support article 213912245, "Password
// strength policy in Plesk: how it works", rules of Plesk 11.5/12 [V]; that
// newer Plesk also penalises dictionary words is stated in the Obsidian docs
// [V], the exact rules are not published [I]). A random password of 20+
// characters has no dictionary word to speak of.
export const PLESK_SPECIALS = '!@#$%^&*?_~';

export type PleskStrength = 'very-weak' | 'weak' | 'medium' | 'strong' | 'very-strong';

export function scorePleskPassword(pw: string): number {
  const n = [...pw].length;
  const count = (re: RegExp) => (pw.match(re) ?? []).length;
  const lower = count(/[a-z]/g);
  const upper = count(/[A-Z]/g);
  const digits = count(/[0-9]/g);
  const specials = [...pw].filter((c) => PLESK_SPECIALS.includes(c)).length;
  let score = n <= 4 ? 3 : n <= 7 ? 6 : n <= 15 ? 12 : 18;
  if (lower) score += 1;
  if (upper) score += 5;
  if (digits) score += 5;
  if (digits >= 3) score += 5;
  if (specials) score += 5;
  if (specials >= 2) score += 5;
  if (lower && upper) score += 2;
  if ((lower || upper) && digits) score += 2;
  if ((lower || upper) && digits && specials) score += 2;
  return score;
}

export function pleskStrength(pw: string): PleskStrength {
  const s = scorePleskPassword(pw);
  // The article: <15 very weak, 15–24 weak, 25–34 medium, 35–44 strong, "more than 45" very strong (45 itself read as very strong).
  return s < 15 ? 'very-weak' : s < 25 ? 'weak' : s < 35 ? 'medium' : s < 45 ? 'strong' : 'very-strong';
}
