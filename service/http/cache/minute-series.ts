// Per-minute pickups per UID for the recent window (the timeline's minute
// steps). psa keeps only hourly statistics, so minutes come from the mail log:
// only the files that can hold lines of the window are read (a file last
// written before the window starts cannot), which on a rotated log is the
// live file and perhaps the previous one.
import { stat } from 'node:fs/promises';
import { createMailFlow } from '../../analysis/mail-flow.ts';
import { describeError } from '../../errors.ts';
import { expandPaths } from '../../sources/log-files.ts';
import { scanMaillog } from '../../sources/maillog-scan.ts';
import { packMinutes, type MinuteCounts } from './minute-counts.ts';

export type MinutePickups = { byUid: Map<number, MinuteCounts>; files: number; warnings: string[] };

export async function readMinutePickups(maillog: string[], zone: string, window: { from: number; to: number }): Promise<MinutePickups> {
  const expanded = await expandPaths(maillog);
  const warnings = [...expanded.warnings];
  const recent: string[] = [];
  for (const file of expanded.files) {
    try {
      if ((await stat(file)).mtimeMs >= window.from) recent.push(file);
    } catch (err) {
      warnings.push(`cannot read ${file}: ${describeError(err)}`);
    }
  }
  if (recent.length === 0) return { byUid: new Map(), files: 0, warnings };
  const acc = createMailFlow({ since: window.from, until: window.to, minuteWindow: window });
  // One thread: this already runs in a worker beside the diagnosis' own (two-thread) pass.
  const scan = await scanMaillog(recent, { zone, referenceMs: window.to, onEvent: (e) => acc.add(e), threads: 1 });
  warnings.push(...scan.warnings);
  const byUid = new Map<number, MinuteCounts>();
  for (const [uid, perMinute] of acc.finish().minuteByUid) byUid.set(uid, packMinutes(perMinute));
  return { byUid, files: recent.length, warnings };
}
