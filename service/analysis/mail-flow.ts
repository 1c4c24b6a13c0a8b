// Postfix events in, per-sender accounting out. Pure: no I/O, no clock.
// These types are the contract between the parser, `senders` and `diagnose`;
// the accumulator is createMailFlow (mail-flow-accumulator.ts).

export type SenderKind = 'uid' | 'sasl' | 'client';

export type SenderStats = {
  kind: SenderKind;
  id: string;                       // uid number as text | sasl username | client IP
  messages: number;                 // distinct messages submitted by this sender
  recipients: number;               // sum of nrcpt (or delivery lines when nrcpt is missing)
  sent: number;
  deferred: number;                 // delivery attempts with status=deferred
  bounced: number;                  // status=bounced or expired
  rejected: number;                 // messages refused (milter-reject, cleanup reject)
  limitRejected: number;            // of `rejected`, those with OMC's 5.7.0 limit text
  firstSeen: number | null;         // epoch ms
  lastSeen: number | null;
  hourly: Map<number, number>;      // hour start (epoch ms) → messages submitted that hour (built when first read)
  limitRejectedHourly: Map<number, number>; // hour start → of those, refused by the OMC limit (built when first read)
  peakHour: { start: number; messages: number } | null; // the busiest hour of `hourly`
  fromAddresses: Map<string, number>; // envelope senders used (bounded to the most frequent)
  clientIps: Map<string, number>;   // for sasl/client: where it connected from (bounded)
  scripts: Map<string, number>;     // X-PHP-Originating-Script values logged by header_checks
};

export type LimitRejects = {
  total: number;                    // milter-reject / reject lines carrying the 5.7.0 limit text
  handlerRejects: number;           // `REJECT during call 'limit-out' handler` lines
  hourly: Map<number, number>;      // hour start → limit rejections (max of both counts per hour)
  byFrom: Map<string, number>;      // envelope sender of rejected messages → count
  first: number | null;
  last: number | null;
};

export type MailFlow = {
  lines: number;
  unparsed: number;                 // lines that look like Postfix but did not parse
  unparsedExamples: string[];       // up to 5, for stderr
  messages: number;
  firstTs: number | null;
  lastTs: number | null;
  senders: ReadonlyMap<string, SenderStats>; // key `${kind}:${id}`
  limitRejects: LimitRejects;
  /** Per-minute pickups per UID inside options.minuteWindow, for timing correlation. */
  minuteByUid: ReadonlyMap<number, Map<number, number>>;
  /** All messages, attributed or not (the senders' numbers are a part of these). */
  totals: { recipients: number; sent: number; deferred: number; bounced: number; rejected: number; limitRejected: number };
  unattributed: number;             // messages whose origin line is not in the data (started earlier, bounce notices)
  reinjections: number;             // content-filter copies folded into their original message
  evicted: number;                  // messages finished early because too many were open at once
  droppedSenders: number;           // messages of senders beyond options.maxSenders (counted in totals only)
};

export { createMailFlow, type MailFlowAccumulator, type LineCounts } from './mail-flow-accumulator.ts';

export type MailFlowOptions = {
  since?: number;                   // ignore events before (epoch ms)
  until?: number;                   // ignore events after (the `--now` cut)
  minuteWindow?: { from: number; to: number };
  maxOpen?: number;                 // open messages kept at once (default 200 000); the oldest are finished early
  maxSenders?: number;              // distinct senders tracked (default 200 000)
};
