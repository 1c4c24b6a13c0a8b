// Nonces seen recently, so a captured request cannot be sent again. A nonce
// must be remembered only while its timestamp would still pass the skew
// check; after that the timestamp alone refuses the replay.

export type NonceCache = {
  /** 'fresh' (and now remembered), 'replayed', or 'full' (too many live nonces: refuse, do not forget). */
  claim(nonce: string, expiresAt: number, now: number): 'fresh' | 'replayed' | 'full';
  size(): number;
};

export function createNonceCache(maxEntries = 200_000): NonceCache {
  const seen = new Map<string, number>();
  let nextPrune = 0;
  const prune = (now: number) => {
    for (const [nonce, exp] of seen) if (exp <= now) seen.delete(nonce);
    nextPrune = now + 1_000;
  };
  return {
    claim(nonce, expiresAt, now) {
      const exp = seen.get(nonce);
      if (exp !== undefined && exp > now) return 'replayed';
      if (now >= nextPrune || seen.size >= maxEntries) prune(now);
      // Evicting a live nonce would reopen it for replay: refuse new requests instead.
      if (seen.size >= maxEntries) return 'full';
      seen.set(nonce, expiresAt);
      return 'fresh';
    },
    size: () => seen.size,
  };
}
