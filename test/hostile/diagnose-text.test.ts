// Hostile content through diagnose's text output: whatever a log line, a file
// name or psa put into the diagnosis (ANSI escapes, NUL, carriage returns,
// bidi overrides), the text printed on the admin's terminal carries no control
// character but the line breaks it makes itself.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { check, fc } from '../fuzz/fuzz-config.ts';
import { DiagnosisSchema, type Diagnosis } from '../../service/analysis/diagnosis.ts';
import { formatDiagnosis } from '../../service/commands/diagnose-report.ts';

// Any C0 control but the newline the formatter writes, DEL, C1 controls, and the bidi overrides that reorder a line.
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const hostile = fc.string({ unit: fc.constantFrom('a', ' ', '\x1b', '[', '2', 'J', ']', '0', ';', '\x07', '\x00', '\r', '\n', '\t', '\x9b', '\u202e', '<', '>', 'é', '\x7f'), maxLength: 24 });

const source = fc.record({
  kind: fc.constantFrom('script' as const, 'mailbox' as const, 'system-user' as const),
  path: hostile, address: hostile, login: hostile, uid: fc.nat(),
  messages: fc.nat(), firstSeen: fc.constant(null), lastSeen: fc.constant(null), confidence: fc.double({ min: 0, max: 1, noNaN: true }),
  evidence: fc.array(fc.record({ signal: hostile, detail: hostile }), { maxLength: 3 }),
}, { requiredKeys: ['kind', 'messages', 'firstSeen', 'lastSeen', 'confidence', 'evidence'] });

const subscription = fc.record({
  id: fc.nat(), name: hostile, owner: fc.record({ login: hostile, type: fc.constantFrom('admin' as const, 'reseller' as const, 'client' as const) }),
  status: fc.constantFrom('sending' as const, 'not-sending' as const), blockedSince: fc.option(hostile, { nil: null }),
  lastHour: fc.record({ passed: fc.nat(), rejected: fc.nat(), limit: fc.option(fc.nat(), { nil: null }) }),
  cause: fc.constantFrom('script' as const, 'mailbox' as const, 'unknown' as const), explanation: fc.record({ en: hostile, ja: hostile }),
  sources: fc.array(source, { maxLength: 3 }), leak: fc.option(fc.record({ since: hostile, perHour: fc.nat(), source: hostile }), { nil: null }),
  risk: fc.integer({ min: 0, max: 100 }), blockedLevel: fc.constant(null), rejectedTotal: fc.nat(),
  limits: fc.record({ subscription: fc.constant(null), domain: fc.constant(null), mailbox: fc.constant(null) }),
  verification: fc.array(fc.record({
    action: hostile, target: hostile, at: hostile, watched: fc.constant(null), status: fc.constant('unknown' as const), since: hostile,
    messagesSince: fc.nat(), lastWindow: fc.record({ minutes: fc.nat(), messages: fc.nat() }), text: fc.record({ en: hostile, ja: hostile }),
  }), { maxLength: 2 }),
});
const diagnosis = fc.record({ now: hostile, warnings: fc.array(hostile, { maxLength: 3 }), subscriptions: fc.array(subscription, { maxLength: 3 }) });

describe('hostile content in diagnose\'s text output', () => {
  it('prints no terminal control character, whatever the diagnosis holds', () => {
    check(fc.property(diagnosis, (d) => {
      const doc: Diagnosis = DiagnosisSchema.parse(d);
      const text = formatDiagnosis(doc, 'Asia/Tokyo');
      const bad = TERMINAL_CONTROL.exec(text);
      assert.equal(bad, null, `printed ${JSON.stringify(bad?.[0])} in ${JSON.stringify(text.slice(Math.max(0, (bad?.index ?? 0) - 30), (bad?.index ?? 0) + 10))}`);
    }), 300);
  });

  it('keeps the one-line-per-item layout: a newline inside a name is shown, not obeyed', () => {
    const d = DiagnosisSchema.parse({ now: 'now', warnings: ['a\nFAKE: all clear'], subscriptions: [] });
    const text = formatDiagnosis(d, 'UTC');
    assert.ok(!text.split('\n').some((l) => l.startsWith('FAKE')), text);
    assert.match(text, /a\\nFAKE: all clear/);
  });
});
