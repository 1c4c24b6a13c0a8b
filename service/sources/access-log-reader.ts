// Reads the access logs of many vhosts and hands each record to a callback,
// in time order per vhost (http and https logs interleaved), so a reducer can
// ask "did this IP GET a page before it POSTed?" without holding the logs.
//
// Plesk specifics:
// - nginx in front of Apache logs each request in `proxy_access(_ssl)_log`,
//   and Apache logs the proxied ones again in `access(_ssl)_log` [I: Plesk
//   names the files so; the double logging is inferred from the proxy setup].
//   To count a request once, Apache records are used only outside the time
//   span the proxy logs cover (older history kept in `.processed` files).
// - `access_log` is appended to `access_log.processed` by the daily statistics
//   run, and the day's lines are copied to `access_log.webstat` [V kb.cloudblue.com/128794]:
//   `.webstat` files are duplicates and are skipped.
// - `/var/www/vhosts/<domain>/logs` holds hard links to the system logs [V same]:
//   files are deduplicated by device and inode (expandPaths).
// The files of one vhost are read side by side (a merge by time), which the
// one-file-after-another reader of log-files.ts cannot do; hence the small
// batch reader of local-line-batches.ts here.
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { describeError } from '../errors.ts';
import { AccessRecordSchema, isProxyLog, parseAccessLogLine, vhostFromLogPath, type AccessRecord } from './access-log.ts';
import { readLineBatches } from './local-line-batches.ts';
import { expandPaths } from './log-files.ts';

export type AccessLogReadOptions = { since?: number; until?: number };

export type AccessLogReadResult = {
  files: string[];                      // files read, in the order read
  lines: number;
  records: number;                      // records handed to the callback
  unparsed: number;
  unparsedExamples: string[];
  outsideWindow: number;
  duplicatesSkipped: number;            // Apache records inside the proxy logs' time span
  warnings: string[];
};

type Ctx = { opts: AccessLogReadOptions; result: AccessLogReadResult };

function rotation(name: string): { series: string; age: number } {
  // Older first: access_log.processed.2.gz, …, access_log.processed.1.gz, access_log.processed, access_log.
  const m = /^(.*?)(\.processed)?(?:[.-](\d{1,8}))?(\.gz)?$/.exec(name)!;
  const n = m[3] === undefined ? null : Number(m[3]);
  const age = n === null ? (m[2] ? 0 : -1) : n >= 19_000_000 ? 1e9 - n : 1 + n;
  return { series: m[1]!, age };
}

function parseLine(ctx: Ctx, line: Buffer, vhost: string | null): AccessRecord | null {
  ctx.result.lines++;
  if (line.length === 0) return null;
  const r = parseAccessLogLine(line, vhost);
  const ok = r ? AccessRecordSchema.safeParse(r) : null;
  if (!ok?.success) {
    ctx.result.unparsed++;
    if (ctx.result.unparsedExamples.length < 5) ctx.result.unparsedExamples.push(JSON.stringify(line.toString('utf8', 0, Math.min(200, line.length))));
    return null;
  }
  return ok.data;
}

class SeriesCursor {
  head: AccessRecord | null = null;
  private gen: AsyncGenerator<Buffer[]> | null = null;
  private batch: Buffer[] = [];
  private idx = 0;
  private fileIdx = 0;
  constructor(readonly files: string[], readonly vhost: string | null, readonly proxy: boolean, private readonly ctx: Ctx) {}

  async advance(): Promise<void> {
    for (;;) {
      while (this.idx < this.batch.length) {
        const rec = parseLine(this.ctx, this.batch[this.idx++]!, this.vhost);
        if (rec) { this.head = rec; return; }
      }
      if (!this.gen) {
        const file = this.files[this.fileIdx++];
        if (file === undefined) { this.head = null; return; }
        this.ctx.result.files.push(file);
        this.gen = readLineBatches(file, { maxLineBytes: 32 * 1024 });
      }
      try {
        const next = await this.gen.next();
        if (next.done) this.gen = null;
        else { this.batch = next.value; this.idx = 0; }
      } catch (err) {
        this.ctx.result.warnings.push(`cannot read access log ${this.files[this.fileIdx - 1]}: ${describeError(err)}`);
        this.gen = null;
      }
    }
  }
}

async function peekFirstTs(file: string, vhost: string | null): Promise<number | null> {
  for await (const batch of readLineBatches(file)) {
    for (const line of batch) {
      const r = parseAccessLogLine(line, vhost);
      if (r) return r.ts;
    }
  }
  return null;
}

async function peekLastTs(file: string, vhost: string | null): Promise<number | null> {
  if (file.endsWith('.gz')) return Infinity;   // would need the whole file: assume it reaches to now
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const r = parseAccessLogLine(lines[i]!, vhost);
      if (r) return r.ts;
    }
    return null;
  } finally {
    await fh.close();
  }
}

async function readGroup(ctx: Ctx, files: string[], onRecord: (r: AccessRecord) => void): Promise<void> {
  const bySeries = new Map<string, string[]>();
  for (const f of files) {
    const key = rotation(basename(f)).series;
    bySeries.set(key, [...(bySeries.get(key) ?? []), f]);
  }
  const cursors: SeriesCursor[] = [];
  for (const list of bySeries.values()) {
    list.sort((a, b) => rotation(basename(b)).age - rotation(basename(a)).age);
    cursors.push(new SeriesCursor(list, vhostFromLogPath(list[0]!), isProxyLog(list[0]!), ctx));
  }
  let from = Infinity;
  let to = -Infinity;
  if (cursors.some((c) => c.proxy) && cursors.some((c) => !c.proxy)) {
    for (const c of cursors.filter((x) => x.proxy)) {
      try {
        from = Math.min(from, (await peekFirstTs(c.files[0]!, c.vhost)) ?? Infinity);
        to = Math.max(to, (await peekLastTs(c.files[c.files.length - 1]!, c.vhost)) ?? -Infinity);
      } catch (err) {
        ctx.result.warnings.push(`cannot read access log ${c.files[0]}: ${describeError(err)}`);
      }
    }
  }
  await Promise.all(cursors.map((c) => c.advance()));
  for (;;) {
    let best: SeriesCursor | null = null;
    for (const c of cursors) if (c.head && (!best || c.head.ts < best.head!.ts)) best = c;
    if (!best) return;
    const r = best.head!;
    if (!best.proxy && r.ts >= from && r.ts <= to) ctx.result.duplicatesSkipped++;
    else if ((ctx.opts.since !== undefined && r.ts < ctx.opts.since) || (ctx.opts.until !== undefined && r.ts > ctx.opts.until)) ctx.result.outsideWindow++;
    else { ctx.result.records++; onRecord(r); }
    await best.advance();
  }
}

/** Reads access logs (paths or globs, e.g. config.accessLogs); an unreadable file is a warning that names it. */
export async function readAccessLogs(patterns: string[], opts: AccessLogReadOptions, onRecord: (r: AccessRecord) => void): Promise<AccessLogReadResult> {
  const result: AccessLogReadResult = { files: [], lines: 0, records: 0, unparsed: 0, unparsedExamples: [], outsideWindow: 0, duplicatesSkipped: 0, warnings: [] };
  const ctx: Ctx = { opts, result };
  // expandPaths keeps regular files only and each file once (hard links included).
  const expanded = await expandPaths(patterns);
  result.warnings.push(...expanded.warnings);
  const groups = new Map<string, string[]>();
  for (const p of expanded.files) {
    if (/\.webstat(\.gz)?$/.test(p)) continue;
    groups.set(dirname(p), [...(groups.get(dirname(p)) ?? []), p]);
  }
  for (const files of groups.values()) await readGroup(ctx, files, onRecord);
  if (result.unparsed) result.warnings.push(`access logs: ${result.unparsed} of ${result.lines} lines did not parse and were skipped`);
  return result;
}
