// What one Postfix/Plesk maillog line says, as the parser hands it to the
// accumulator (service/analysis/mail-flow.ts). The parser fills ONE reused
// object per line (no allocation for the event itself on a 1 GB pass): a
// consumer reads the fields of `kind` during the call and copies what it keeps.

export const EVENT_KINDS = ['pickup', 'client', 'queued', 'expired', 'delivery', 'removed', 'reject', 'header', 'handler'] as const;
export type MaillogEventKind = (typeof EVENT_KINDS)[number];

export type DeliveryStatus = 'sent' | 'deferred' | 'bounced' | 'expired' | 'other';

export type MaillogEvent = {
  kind: MaillogEventKind;
  ts: number;             // epoch ms
  qid: string;            // Postfix queue ID; '' for NOQUEUE rejects and handler lines
  uid: number;            // pickup: submitting Unix user; -1 otherwise
  from: string;           // pickup/queued/expired/reject: envelope sender ('' for <>)
  clientIp: string;       // client: the connecting IP
  sasl: string;           // client: sasl_username ('' when not authenticated)
  origQid: string;        // client: orig_queue_id= (re-injection of that message), '' when absent
  nrcpt: number;          // queued: recipients; -1 otherwise
  size: number;           // queued: bytes; -1 otherwise
  status: DeliveryStatus; // delivery
  queuedAs: string;       // delivery: `queued as X` in the status text ('' when absent)
  milter: boolean;        // reject: milter-reject rather than a Postfix restriction
  commandLevel: boolean;  // reject: refused one SMTP command (RCPT, MAIL…), not the whole message
  limit: boolean;         // reject: carries OMC's "limit on the number of allowed outgoing messages" text
  name: string;           // header: header name; handler: handler name (e.g. limit-out)
  value: string;          // header: header value; handler: verdict (REJECT, DEFER, STOP)
};

export function createMaillogEvent(): MaillogEvent {
  return {
    kind: 'removed', ts: 0, qid: '', uid: -1, from: '', clientIp: '', sasl: '', origQid: '', nrcpt: -1, size: -1,
    status: 'other', queuedAs: '', milter: false, commandLevel: false, limit: false, name: '', value: '',
  };
}

/** Clears the fields of the previous line so a consumer never sees stale values. */
export function resetMaillogEvent(e: MaillogEvent, kind: MaillogEventKind, ts: number, qid: string): void {
  e.kind = kind;
  e.ts = ts;
  e.qid = qid;
  e.uid = -1;
  e.from = '';
  e.clientIp = '';
  e.sasl = '';
  e.origQid = '';
  e.nrcpt = -1;
  e.size = -1;
  e.status = 'other';
  e.queuedAs = '';
  e.milter = false;
  e.commandLevel = false;
  e.limit = false;
  e.name = '';
  e.value = '';
}

/** What the parser made of a line. */
export const LINE = {
  other: 0,       // not a mail line (dovecot, amavis, kernel…): counted, nothing else
  info: 1,        // a Postfix/Plesk line that carries no event (connect, TLS, statistics…)
  event: 2,       // the event object holds what the line says
  unparsed: 3,    // looks like Postfix (or has no readable syslog header) but did not parse
} as const;
export type LineResult = (typeof LINE)[keyof typeof LINE];

/** OMC's refusal text [V] (reference/plesk.md §1.7: KB 213389069, the milter-reject line). */
export const OMC_LIMIT_TEXT = 'The limit on the number of allowed outgoing messages was exceeded';
