// What one Postfix/Plesk maillog line says, as the parser hands it to the
// accumulator (service/analysis/mail-flow.ts). The parser fills ONE reused
// object per line (no allocation for the event itself on a 1 GB pass): a
// consumer reads the fields of `kind` during the call and copies what it keeps.
//
// Text fields stay bytes: `buf` and a [start, end) range per field, decoded
// only by whoever needs the text (the accumulator caches the few distinct
// values: docs/decisions/001-maillog-hot-path.md); queue IDs are QueueKeys.
// The readable names (`qid`, `from`, `sasl`…) are getters over those, for
// tests and occasional consumers; `{ ...event }` copies their values.
import { latin1, utf8 } from './bytes.ts';
import { NO_QUEUE, queueKeyText, type QueueKey } from './queue-key.ts';

export const EVENT_KINDS = ['pickup', 'client', 'queued', 'expired', 'delivery', 'removed', 'reject', 'header', 'handler'] as const;
export type MaillogEventKind = (typeof EVENT_KINDS)[number];

export const DELIVERY_STATUSES = ['sent', 'deferred', 'bounced', 'expired', 'other'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A field is capped at 512 bytes: a hostile line cannot make one huge string per message. */
export const FIELD_CAP = 512;

const EMPTY = Buffer.alloc(0);

export type MaillogEvent = MaillogEventFields & {
  readonly qid: string;        // Postfix queue ID; '' for NOQUEUE rejects and handler lines
  readonly from: string;       // pickup/queued/expired/reject: envelope sender ('' for <>)
  readonly clientIp: string;   // client: the connecting IP
  readonly sasl: string;       // client: sasl_username ('' when not authenticated)
  readonly origQid: string;    // client: orig_queue_id= (re-injection of that message), '' when absent
  readonly queuedAs: string;   // delivery: `queued as X` in the status text ('' when absent)
  readonly name: string;       // header: header name; handler: handler name (e.g. limit-out)
  readonly value: string;      // header: header value (300 characters at most); handler: verdict (REJECT, DEFER, STOP)
};

export type MaillogEventFields = {
  kind: MaillogEventKind;
  ts: number;             // epoch ms
  qkey: QueueKey;         // the queue ID; NO_QUEUE when none
  uid: number;            // pickup: submitting Unix user; -1 otherwise
  nrcpt: number;          // queued: recipients; -1 otherwise
  size: number;           // queued: bytes; -1 otherwise
  status: DeliveryStatus; // delivery
  milter: boolean;        // reject: milter-reject rather than a Postfix restriction
  commandLevel: boolean;  // reject: refused one SMTP command (RCPT, MAIL…), not the whole message
  limit: boolean;         // reject: carries OMC's "limit on the number of allowed outgoing messages" text
  origKey: QueueKey;      // client: orig_queue_id=, NO_QUEUE when absent
  queuedAsKey: QueueKey;  // delivery: `queued as X`, NO_QUEUE when absent
  buf: Buffer;            // the bytes the ranges below point into (valid during the call only)
  fromS: number; fromE: number;     // UTF-8
  ipS: number; ipE: number;         // Latin-1
  saslS: number; saslE: number;     // UTF-8
  nameS: number; nameE: number;     // Latin-1
  valueS: number; valueE: number;   // header: UTF-8; handler: the verdict, Latin-1
  // from, clientIp, sasl and a header's whole value already as strings, where the reader had them
  // (events the worker handed over: maillog-event-codec.ts); null otherwise. The ranges above are set either way.
  fromText: string | null; ipText: string | null; saslText: string | null; valueText: string | null;
};

export function createMaillogEvent(): MaillogEvent {
  const e: MaillogEventFields = {
    kind: 'removed', ts: 0, qkey: NO_QUEUE, uid: -1, nrcpt: -1, size: -1, status: 'other', milter: false, commandLevel: false, limit: false,
    origKey: NO_QUEUE, queuedAsKey: NO_QUEUE, buf: EMPTY, fromS: 0, fromE: 0, ipS: 0, ipE: 0, saslS: 0, saslE: 0, nameS: 0, nameE: 0, valueS: 0, valueE: 0,
    fromText: null, ipText: null, saslText: null, valueText: null,
  };
  const text = (get: (x: MaillogEventFields) => string) => ({ enumerable: true, get: () => get(e) });
  return Object.defineProperties(e, {
    qid: text((x) => queueKeyText(x.qkey)),
    from: text((x) => utf8(x.buf, x.fromS, x.fromE)),
    clientIp: text((x) => latin1(x.buf, x.ipS, x.ipE)),
    sasl: text((x) => utf8(x.buf, x.saslS, x.saslE)),
    origQid: text((x) => queueKeyText(x.origKey)),
    queuedAs: text((x) => queueKeyText(x.queuedAsKey)),
    name: text((x) => latin1(x.buf, x.nameS, x.nameE)),
    value: text((x) => (x.kind === 'header' ? utf8(x.buf, x.valueS, x.valueE).slice(0, 300) : latin1(x.buf, x.valueS, x.valueE))),
  }) as MaillogEvent;
}

/** Clears the fields of the previous line so a consumer never sees stale values. A new field must be cleared here. */
export function resetMaillogEvent(e: MaillogEventFields, kind: MaillogEventKind, buf: Buffer, qkey: QueueKey): void {
  e.kind = kind;
  e.ts = 0;
  e.qkey = qkey;
  e.uid = -1;
  e.nrcpt = -1;
  e.size = -1;
  e.status = 'other';
  e.milter = false;
  e.commandLevel = false;
  e.limit = false;
  e.origKey = NO_QUEUE;
  e.queuedAsKey = NO_QUEUE;
  e.buf = buf;
  e.fromS = e.fromE = e.ipS = e.ipE = e.saslS = e.saslE = e.nameS = e.nameE = e.valueS = e.valueE = 0;
  e.fromText = e.ipText = e.saslText = e.valueText = null;
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
