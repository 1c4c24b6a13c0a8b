// One message's life in the mail log (a queue ID from its first line to
// `removed`), and how a finished message is tallied into its sender.
// Pure: the accumulator (mail-flow.ts) decides when a message is finished.
import type { QueueKey } from '../sources/queue-key.ts';
import type { SenderKind } from './mail-flow.ts';

export type FlowMessage = {
  qkey: QueueKey;                 // the queue ID (sources/queue-key.ts)
  firstTs: number;                // first line of this life
  originTs: number;               // pickup / smtpd client line; -1 when not seen
  kind: SenderKind | null;        // null: origin unknown (started before the log, a bounce notice, …)
  id: string;                     // kind sasl: the user; kind client: the IP ('' for uid: see `uid`)
  uid: number;                    // kind uid: the number (-1 otherwise)
  clientIp: string;
  from: string | null;
  nrcpt: number;                  // -1 until qmgr says
  queued: boolean;                // qmgr took it (a refused message never gets there)
  sent: number;
  deferred: number;
  bounced: number;
  finals: number;                 // sent + bounced lines, the recipient count when nrcpt is missing
  rejected: boolean;              // refused as a whole (milter-reject, cleanup/DATA reject)
  commandRejects: number;         // RCPT/MAIL… refusals: the message is refused only if it never got queued
  limit: boolean;                 // a refusal carried OMC's limit text
  script: string | null;          // X-PHP-Originating-Script value
  parent: FlowMessage | null;     // set on a content filter's re-injection: outcomes count for the root
  rejectCounted: boolean;         // on a root: its refusal was already charged
  copyRecipients: boolean;        // on a root without nrcpt: a copy's recipients were counted instead
  closed: boolean;                // `removed` seen
  pendingHandoffs: number;        // its unknown `queued as` lines still in RecentHandoffs (tally waits for them)
  finalized: boolean;
  openAt: number;                 // its place in the open messages' insertion order (open-messages.ts); -1 when not open
};

export function createFlowMessage(qkey: QueueKey, ts: number): FlowMessage {
  return {
    qkey, firstTs: ts, originTs: -1, kind: null, id: '', uid: -1, clientIp: '', from: null, nrcpt: -1, queued: false,
    sent: 0, deferred: 0, bounced: 0, finals: 0, rejected: false, commandRejects: 0, limit: false, script: null,
    parent: null, rejectCounted: false, copyRecipients: false, closed: false, pendingHandoffs: 0, finalized: false, openAt: -1,
  };
}

/** The message a re-injected copy stands for (bounded walk: a hostile log cannot make it loop). */
export function rootOf(m: FlowMessage): FlowMessage {
  let r = m;
  for (let i = 0; i < 8 && r.parent; i++) r = r.parent;
  return r;
}

export const submittedAt = (m: FlowMessage) => (m.originTs >= 0 ? m.originTs : m.firstTs);

export function bumpCount<K>(map: Map<K, number>, key: K, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}
