// Performance marks for test/bench/panel.ts (time to first render); no-ops elsewhere.
const done = new Set<string>();

export function markOnce(name: string): void {
  if (done.has(name) || typeof performance === 'undefined' || typeof performance.mark !== 'function') return;
  done.add(name);
  performance.mark(name);
}
