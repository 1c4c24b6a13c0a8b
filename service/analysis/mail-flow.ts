// Postfix events in, per-sender accounting out. Pure: no I/O, no clock.
// (Implementation lands with the maillog parser; these types are the contract
// between the parser, `senders` and `diagnose`.)

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
  hourly: Map<number, number>;      // hour start (epoch ms) → messages submitted that hour
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
  senders: Map<string, SenderStats>; // key `${kind}:${id}`
  limitRejects: LimitRejects;
  /** Per-minute pickups per UID inside options.minuteWindow, for timing correlation. */
  minuteByUid: Map<number, Map<number, number>>;
};

export type MailFlowOptions = {
  since?: number;                   // ignore events before (epoch ms)
  until?: number;                   // ignore events after (the `--now` cut)
  minuteWindow?: { from: number; to: number };
};
