// The readable `diagnose` report: riskiest subscription first, the explanation
// in full, then the sources with their evidence.
import type { Diagnosis, SubscriptionDiagnosis } from '../analysis/diagnosis.ts';

const num = (v: number) => v.toLocaleString('en-US');

// Names, addresses, paths and evidence come from logs, psa and file names that
// strangers write: on the admin's terminal an escape sequence could rewrite
// the screen, a newline fake a line, a bidi override reverse a path. Each line
// is made inert here, so the lines the report writes are the only ones.
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const inert = (line: string) => line.replace(TERMINAL_CONTROL, (c) => (c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

function statusLine(s: SubscriptionDiagnosis): string {
  if (s.status === 'not-sending') return `NOT SENDING since ${s.blockedSince ?? 'unknown'}`;
  if (s.blockedLevel) return `sending (a ${s.blockedLevel} is blocked)`;
  return 'sending';
}

export function formatDiagnosis(doc: Diagnosis, zone: string): string {
  const out: string[] = [`sendtrace diagnose — as of ${doc.now} (${zone})`, ''];
  if (!doc.subscriptions.length) out.push('No subscriptions could be read.', '');
  doc.subscriptions.forEach((s, i) => {
    out.push(`${i + 1}. ${s.name}  [${statusLine(s)}]  risk ${s.risk}  cause: ${s.cause}`);
    out.push(`   owner ${s.owner.login} (${s.owner.type}) · last hour ${num(s.lastHour.passed)} passed / ${num(s.lastHour.rejected)} rejected / limit ${s.lastHour.limit === null ? 'none' : num(s.lastHour.limit)}`);
    out.push(`   ${s.explanation.en}`);
    for (const src of s.sources.slice(0, 5)) {
      const name = src.path ?? src.address ?? `${src.login ?? ''} uid ${src.uid ?? '?'}`;
      const lead = src.confidence < 0.5 ? ' (lead)' : '';
      out.push(`   - ${src.kind} ${name}: ${num(src.messages)} messages, confidence ${src.confidence.toFixed(2)}${lead}`);
      for (const e of src.evidence.slice(0, 6)) out.push(`       · ${e.signal}: ${e.detail}`);
    }
    if (s.leak) out.push(`   slow leak: ~${num(s.leak.perHour)}/hour since ${s.leak.since} from ${s.leak.source}`);
    for (const v of s.verification) out.push(`   after ${v.action} of ${v.target} at ${v.at}: ${v.text.en}`);
    out.push('');
  });
  if (doc.warnings.length) {
    out.push('Warnings:');
    for (const w of doc.warnings) out.push(`  - ${w}`);
  }
  return out.map(inert).join('\n');
}
