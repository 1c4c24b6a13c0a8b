// The narrow view of each source that attribution needs. The command layer
// adapts the sources' records to these shapes, so attribution stays pure and
// independent of how each source is read.

export type Series = ReadonlyMap<number, number>;   // bucket start (epoch ms) → count

export type ScriptMailLog = {                        // PHP mail.log, per script path
  path: string;
  count: number;
  first: number | null;
  last: number | null;
  hourly: Series;
};

export type ScriptPosts = {                          // access logs, per vhost + URL path
  vhost: string;
  urlPath: string;
  filePath: string | null;                           // resolved inside a docroot, if it maps to one
  posts: number;
  ips: number;
  blindPosts: number;                                // POSTs with no prior GET from that IP
  noReferrer: number;
  first: number | null;
  last: number | null;
  hourly: Series;
  minutely: Series;                                  // inside the correlation window
  bot: { score: number; reasons: string[] };
};

export type ScriptFile = {
  path: string;
  size: number;
  mode: number;
  uid: number;
  mtime: number;
  sha256: string | null;
  sends: string[];                                   // mail | mb_send_mail | phpmailer | sendmail-pipe | …
  signals: Array<{ signal: string; detail: string }>;
  library: boolean;
};

export type SenderView = {                           // one sender from the mail log
  messages: number;
  rejected: number;
  limitRejected: number;
  firstSeen: number | null;
  lastSeen: number | null;
  hourly: Series;
  clientIps: ReadonlyMap<string, number>;
  scripts: ReadonlyMap<string, number>;              // X-PHP-Originating-Script values
};

export type AttributionInput = {
  now: number;
  zone: string;
  uid: number | null;
  login: string | null;
  system: SenderView | null;                         // pickups of the subscription's UID
  minutePickups: Series;                             // same, per minute in the window
  window: { from: number; to: number };
  mailboxes: Array<{ address: string; sender: SenderView; mailboxRejected: number; mailboxPeak: boolean }>;
  phpMail: ScriptMailLog[];
  posts: ScriptPosts[];
  files: ScriptFile[];
};
