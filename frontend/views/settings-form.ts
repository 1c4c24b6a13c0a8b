// The settings form as text fields (what a person types) and back to the
// API's Settings; the API validates the rest and its issues are shown next to
// the field they name (`body.settings.notify.emails.2` → the emails field).
import type { Settings } from '../../service/http/contract.ts';
import type { MessageKey } from '../i18n/index.ts';

export type SettingsForm = {
  scriptPerHour: string;
  leakPerHour: string;
  minConfidence: string;
  onDetection: Settings['onDetection'];
  allowList: Array<{ path: string; sha256: string }>;
  notifyOwner: boolean;
  emails: string;
};

export type Field = 'scriptPerHour' | 'leakPerHour' | 'minConfidence' | 'onDetection' | 'allowList' | 'notifyOwner' | 'emails';

export function toForm(s: Settings): SettingsForm {
  return {
    scriptPerHour: s.thresholds.scriptPerHour === null ? '' : String(s.thresholds.scriptPerHour),
    leakPerHour: s.thresholds.leakPerHour === null ? '' : String(s.thresholds.leakPerHour),
    minConfidence: String(s.thresholds.minConfidence),
    onDetection: s.onDetection,
    allowList: s.allowList.map((e) => ({ ...e })),
    notifyOwner: s.notify.owner,
    emails: s.notify.emails.join('\n'),
  };
}

/** Whole numbers typed with spaces or thousands separators are read as meant ("1,000" → 1000). */
function wholeNumber(text: string): number | null | 'bad' {
  const t = text.trim().replace(/[\s,_]/g, '');
  if (t === '') return null;
  return /^[0-9]{1,9}$/.test(t) ? Number(t) : 'bad';
}

export function fromForm(f: SettingsForm): { settings: Settings | null; errors: Partial<Record<Field, MessageKey>> } {
  const errors: Partial<Record<Field, MessageKey>> = {};
  const script = wholeNumber(f.scriptPerHour);
  const leak = wholeNumber(f.leakPerHour);
  if (script === 'bad') errors.scriptPerHour = 'settings.notNumber';
  if (leak === 'bad') errors.leakPerHour = 'settings.notNumber';
  const conf = Number(f.minConfidence.trim().replace(',', '.'));
  if (f.minConfidence.trim() === '' || !Number.isFinite(conf)) errors.minConfidence = 'settings.notDecimal';
  if (Object.keys(errors).length) return { settings: null, errors };
  return {
    errors,
    settings: {
      thresholds: { scriptPerHour: script as number | null, leakPerHour: leak as number | null, minConfidence: conf },
      onDetection: f.onDetection,
      allowList: f.allowList.map((e) => ({ path: e.path.trim(), sha256: e.sha256.trim().toLowerCase() })).filter((e) => e.path !== '' || e.sha256 !== ''),
      notify: { owner: f.notifyOwner, emails: f.emails.split(/[\n,;]+/).map((e) => e.trim()).filter((e) => e !== '') },
    },
  };
}

const FIELD_OF: Record<string, Field> = {
  'thresholds.scriptPerHour': 'scriptPerHour', 'thresholds.leakPerHour': 'leakPerHour', 'thresholds.minConfidence': 'minConfidence',
  onDetection: 'onDetection', allowList: 'allowList', 'notify.owner': 'notifyOwner', 'notify.emails': 'emails',
};

/** The form field an API issue is about, or null (shown with the form's general message). */
export function fieldOfIssue(where: string): Field | null {
  const path = where.replace(/^body\.(settings\.)?/, '').split('.').filter((p) => !/^\d+$/.test(p));
  for (let n = path.length; n > 0; n--) {
    const f = FIELD_OF[path.slice(0, n).join('.')];
    if (f) return f;
  }
  return null;
}
