// Grouping once, so per-subscription lookups stay O(1) at 10,000 subscriptions
// (filtering every list per subscription made the first load quadratic).

export function groupBy<T, K>(items: Iterable<T>, key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Each item under every ancestor directory of its path: `/a/b/c.php` under `/a/b` and `/a`. */
export function byAncestorDir<T>(items: Iterable<T>, path: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const p = path(item);
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
      const dir = p.slice(0, i);
      const list = out.get(dir);
      if (list) list.push(item);
      else out.set(dir, [item]);
    }
  }
  return out;
}
