// What sendtrace reads from Plesk's psa database, after validation
// (reference/plesk.md §1.3, §1.4, §3). Instants are epoch milliseconds,
// converted from psa's zone-less DATETIME with the configured time zone.
import { z } from 'zod';

export const OwnerSchema = z.object({
  id: z.number().int(),
  login: z.string(),
  type: z.enum(['admin', 'reseller', 'client']),
  parentId: z.number().int().nullable(),
  email: z.string().nullable(),
  locale: z.string().nullable(),
});
export type Owner = z.infer<typeof OwnerSchema>;

/** An OMC limit in messages per hour: -1 unlimited, null unknown. */
export const LimitSchema = z.number().int().nullable();

export const SubscriptionSchema = z.object({
  id: z.number().int(),                 // Subscriptions.id
  domainId: z.number().int(),           // main domain: domains.id (Subscriptions.object_id)
  name: z.string(),                     // main domain name
  ownerId: z.number().int(),            // clients.id (domains.cl_id)
  status: z.number().int(),             // domains.status (0 active)
  sysUser: z.object({ login: z.string(), home: z.string() }).nullable(),
  wwwRoot: z.string().nullable(),       // hosting.www_root
  phpHandler: z.string().nullable(),    // hosting.php_handler_id
  limits: z.object({
    subscription: LimitSchema,          // effective, after server → plan → subscription inheritance
    domain: LimitSchema,
    mailbox: LimitSchema,
    enableSendmail: z.boolean().nullable(),
  }),
});
export type Subscription = z.infer<typeof SubscriptionSchema>;

export const DomainSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  subscriptionId: z.number().int(),
  wwwRoot: z.string().nullable(),
});
export type Domain = z.infer<typeof DomainSchema>;

export const MailboxSchema = z.object({
  id: z.number().int(),
  address: z.string(),                  // mail_name@domain
  domainId: z.number().int(),
  subscriptionId: z.number().int(),
});
export type Mailbox = z.infer<typeof MailboxSchema>;

export const StatRowSchema = z.object({
  objectId: z.number().int(),           // mailId | domainId | subscriptionId
  hour: z.number(),                     // collectDate as instant
  limit: z.number().int(),              // limitValue (-1 unlimited)
  passed: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
});
export type StatRow = z.infer<typeof StatRowSchema>;

/**
 * One object's hourly rows in the read window, summed in SQL (psa keeps ~720
 * rows an object a month [V]; 10,000 subscriptions are 7 million rows, which
 * the diagnosis only ever adds up), with what it reads of single rows: the
 * newest hour, the newest hour with rejects, and the newest row when recent.
 */
export const StatTotalSchema = z.object({
  objectId: z.number().int(),
  rows: z.number().int().nonnegative(),  // hourly rows in the window
  passed: z.number().int().nonnegative(),
  rejected: z.number().int().nonnegative(),
  last: z.number(),                      // the newest hour of the window
  lastRejected: z.number().nullable(),   // the newest hour with rejected > 0, null: none in the window
  newest: StatRowSchema.nullable(),      // the newest row, when collected from ReadPanelOptions.newestSince on; else null
});
export type StatTotal = z.infer<typeof StatTotalSchema>;

/** One level's statistics: per object over the window (one row of totals each; objects without rows are absent). */
export type LevelStats = { totals: StatTotal[] };

export const PeakRowSchema = z.object({
  objectId: z.number().int(),
  begin: z.number(),
  end: z.number().nullable(),           // null: still over the limit
  rejected: z.number().int().nonnegative(),
});
export type PeakRow = z.infer<typeof PeakRowSchema>;

export type Level = 'subscription' | 'domain' | 'mailbox';

export type PanelData = {
  serverLimits: { subscription: number | null; domain: number | null; mailbox: number | null; enableSendmail: boolean | null; filterEnabled: boolean | null };
  owners: Owner[];
  subscriptions: Subscription[];
  domains: Domain[];
  mailboxes: Mailbox[];
  stats: Record<Level, LevelStats>;
  peaks: Record<Level, PeakRow[]>;
};
