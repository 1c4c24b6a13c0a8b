// Types of limit-out-milter.mjs (plain JavaScript so the lab can run it with `node` alone).
export declare const LIMIT_TEXT: string;
export declare const REPLY: string;
export declare const HANDLER_PROGRAM: string;
export declare function formatSyslogTime(ms: number, timeZone: string): string;

export type LimitOutMilterOptions = {
  host?: string;
  smtpPort?: number;
  localPort?: number;
  /** Maillog to append the psa-pc-remote handler lines to; none: no lines. */
  maillog?: string;
  syslogHost?: string;
  timeZone?: string;
  /** Default messages per hour per sender domain (-1 unlimited, 0 forbids). */
  limit?: number;
  limits?: Record<string, number>;
  now?: () => number;
};

export type LimitOutMilter = {
  smtpPort: number;
  localPort: number;
  counts: Map<string, { passed: number; rejected: number }>;
  verdicts: Array<{ domain: string; verdict: 'PASS' | 'REJECT'; at: number }>;
  setLimit(domain: string, n: number): void;
  close(): Promise<void>;
};

export declare function startLimitOutMilter(options?: LimitOutMilterOptions): Promise<LimitOutMilter>;
