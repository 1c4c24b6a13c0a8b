// diagnose writes one paragraph per language whose advice starts with
// "What to do:" / "対処:" (service/analysis/explain.ts). The banner shows the
// advice on its own; without that marker the whole text stays the body and
// the advice comes from the cause.
import type { Lang } from '../bootstrap.ts';

const MARK: Record<Lang, RegExp> = { en: /What to do:\s*/, ja: /対処[:：]\s*/ };
// The slow-leak history that explain.ts appends after the advice: it belongs to the story, not to the advice.
const LEAK: Record<Lang, RegExp> = { en: /\s*This source has been sending/, ja: /この送信元は/ };

export function splitExplanation(text: string, lang: Lang): { body: string; todo: string | null } {
  const m = MARK[lang].exec(text);
  if (!m) return { body: text.trim(), todo: null };
  const before = text.slice(0, m.index).trim();
  const rest = text.slice(m.index + m[0].length);
  const leak = LEAK[lang].exec(rest);
  const todo = (leak ? rest.slice(0, leak.index) : rest).trim();
  const after = leak ? rest.slice(leak.index).trim() : '';
  return { body: [before, after].filter(Boolean).join(lang === 'ja' ? '' : ' '), todo: todo || null };
}
