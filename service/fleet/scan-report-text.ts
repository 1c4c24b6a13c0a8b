// The readable `fleet scan` report: one table ranked across servers, then the
// hosts that failed with their reasons. Every cell passes printable(): names,
// paths and messages come from remote hosts.
import type { FleetRow, FleetScanDoc } from './merge-report.ts';
import { isNotable } from './merge-report.ts';
import { printable } from './printable.ts';

const COLUMNS = ['#', 'HOST', 'SUBSCRIPTION', 'STATUS', 'CAUSE', 'TOP SOURCE', 'LEAK'] as const;

/** Keeps the end of a long path (the file name is the telling part). */
const tail = (s: string, max: number) => (s.length > max ? `…${s.slice(s.length - max + 1)}` : s);

function cells(r: FleetRow, i: number): string[] {
  const status = r.status === 'not-sending' ? `NOT SENDING${r.blockedSince ? ` since ${r.blockedSince}` : ''}` : 'sending';
  const src = r.topSource ? `${r.topSource.kind} ${tail(printable(r.topSource.label), 60)} (${r.topSource.confidence.toFixed(2)}${r.topSource.confidence < 0.5 ? ', lead' : ''})` : '-';
  const leak = r.leak ? `~${Math.round(r.leak.perHour)}/h since ${printable(r.leak.since, 40)}` : '-';
  return [String(i + 1), printable(r.host, 40), printable(r.subscription, 50), status, printable(r.cause, 20), src, leak];
}

function table(rows: string[][]): string[] {
  const width = COLUMNS.map((c, k) => Math.max(c.length, ...rows.map((r) => [...r[k]!].length)));
  const line = (r: readonly string[]) => r.map((c, k) => (k === r.length - 1 ? c : c.padEnd(width[k]!))).join('  ').trimEnd();
  return [line(COLUMNS), ...rows.map(line)];
}

export function formatFleetScan(doc: FleetScanDoc): string {
  const ok = doc.hosts.length - doc.failed;
  const out = [`sendtrace fleet scan — ${ok} of ${doc.hosts.length} host(s) answered${doc.failed ? `, ${doc.failed} failed` : ''}`, ''];
  const notable = doc.subscriptions.filter(isNotable);
  if (notable.length) out.push(...table(notable.map(cells)));
  else if (ok) out.push('No subscription is blocked, has a cause, or leaks.');
  const quiet = doc.subscriptions.length - notable.length;
  if (quiet) out.push('', `${quiet} other subscription(s) show nothing suspicious (--json lists them all).`);
  const warned = doc.hosts.filter((h) => h.warnings?.length);
  if (warned.length) {
    out.push('', 'Hosts with warnings (some input could not be read):');
    for (const h of warned) out.push(`  ${printable(h.name, 60)}: ${h.warnings!.length} warning(s), e.g. ${printable(h.warnings![0]!, 160)}`);
  }
  const failed = doc.hosts.filter((h) => !h.ok);
  if (failed.length) {
    out.push('', 'Failed hosts:');
    for (const h of failed) out.push(`  ${printable(h.name, 60)} (${printable(h.address, 60)}:${h.port}): ${h.failure!.kind}: ${printable(h.failure!.message, 400)}`);
  }
  return out.join('\n');
}
