// Per-user token buckets for what changes things (actions, settings): a
// stolen session or a stuck button cannot reset passwords or purge queues in
// a loop. Reads are not limited here (they are cheap and cached).
import { createError, type SendtraceError } from '../errors.ts';

export type RateLimitOptions = { burst: number; perMinute: number; maxKeys?: number };
export type RateLimiter = { take(key: string, now: number): void };

export function rateLimited(retryAfterSeconds: number, what: string): SendtraceError {
  return Object.assign(createError('SENDTRACE_ERR_RATE_LIMITED', `${what}; try again in ${retryAfterSeconds} s`), { retryAfterSeconds });
}

export function createRateLimiter(o: RateLimitOptions): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = o.perMinute / 60_000;
  const maxKeys = o.maxKeys ?? 10_000;
  return {
    take(key, now) {
      let b = buckets.get(key);
      if (!b) {
        // Full buckets carry no information: forgetting them is safe.
        if (buckets.size >= maxKeys) for (const [k, v] of buckets) if (Math.min(o.burst, v.tokens + (now - v.at) * perMs) >= o.burst) buckets.delete(k);
        b = { tokens: o.burst, at: now };
        buckets.set(key, b);
      }
      b.tokens = Math.min(o.burst, b.tokens + (now - b.at) * perMs);
      b.at = now;
      if (b.tokens < 1) throw rateLimited(Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)), `more than ${o.burst} changes in a row by this user`);
      b.tokens -= 1;
    },
  };
}
