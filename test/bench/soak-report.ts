// The soak bench's figures (soak.ts): memory at the start, after warm-up and at
// the end, with the growth after warm-up as a ratio to the warm-up figure (the
// baseline of the same run, since this machine's absolute numbers drift) and
// as a least-squares trend; request counts, errors and latency percentiles.
import type { Outcome } from './soak-load.ts';

export type Sample = {
  seconds: number; rss: number; heapUsed: number; heapAfterGc: number; heapTotal: number; external: number;
  /** Since the previous sample: the main thread's event-loop delay and busy share (0..1). */
  loopDelayP99Ms: number; loopDelayMaxMs: number; busy: number;
  /** The machine's 1-minute load average; the sidecar's total time and count of API requests (its /metrics). */
  load: number; servedSeconds: number; served: number;
  /** A diagnosis was being made (in a worker thread, whose memory is in the RSS). */
  refreshing: boolean;
  streams: number; liveLines: number; lagSeconds: number; generation: number; sources: number; openIncidents: number;
};

type Latency = { requests: number; errors: number; p50: number; p99: number; max: number };
type Memory = { start: number; warm: number; end: number; max: number; growth: number; ratio: number; trendPerHour: number };

export type SoakSummary = {
  minutes: number; subscriptions: number; linesPerSecond: number; requestsPerSecond: number; concurrency: number;
  linesWritten: number; linesRead: number; lagSecondsAtEnd: number; diagnoses: number; liveSources: number; openIncidents: number;
  warmUpSeconds: number; rssMb: Memory | null; heapAfterGcMb: Memory | null; heapUsedMaxMb: number;
  /** RSS in the samples taken with no diagnosis running: the sidecar without its passing worker. */
  quietRssMb: Memory | null;
  perMinute: Array<{ minute: number; rssMb: number; heapTotalMb: number; heapAfterGcMb: number; externalMb: number }>;
  requests: number; errors: number; errorExamples: string[]; latencyMs: Latency; byKind: Record<string, Latency>;
  /** Mean time in the sidecar per API request (from accepting it to the last byte), over the whole load. */
  sidecarMeanMs: number;
  loopDelayMs: { p99Median: number; max: number }; mainThreadBusy: number; loadAverage: { min: number; max: number };
  sidecarLog: { warn: number; error: number; examples: string[] };
  /** Samples the sidecar did not answer in time. */
  missedSamples: string[];
};

const MB = 2 ** 20;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function latency(outcomes: Outcome[]): Latency {
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const at = (q: number) => round(ms[Math.min(ms.length - 1, Math.floor(ms.length * q))] ?? NaN);
  return { requests: ms.length, errors: outcomes.filter((o) => !o.ok).length, p50: at(0.5), p99: at(0.99), max: round(ms.at(-1) ?? NaN) };
}

/** Least-squares slope of `y` (bytes) over time, in MB per hour. */
function trendPerHour(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return round(((sxy / sxx) * 3600) / MB);
}

/**
 * "After warm-up" is the median of the minute that follows it and "end" the median of
 * the last minute: a single sample may land while a new diagnosis replaces the old
 * one (both alive for a moment) and say more about that instant than about a trend.
 */
function memory(samples: Sample[], warmUpSeconds: number, pick: (s: Sample) => number): Memory | null {
  const after = samples.filter((s) => s.seconds >= warmUpSeconds);
  const lastSecond = samples.at(-1)!.seconds;
  const inMinute = (from: number) => after.filter((s) => s.seconds >= from && s.seconds < from + 60).map(pick);
  const warmSet = inMinute(warmUpSeconds);
  const endSet = inMinute(Math.max(warmUpSeconds, lastSecond - 59.999));
  if (!warmSet.length || !endSet.length) return null;
  const warm = median(warmSet);
  const end = median(endSet);
  return {
    start: round(pick(samples[0]!) / MB), warm: round(warm / MB), end: round(end / MB), max: round(Math.max(...samples.map(pick)) / MB),
    growth: round((end - warm) / MB), ratio: round(end / warm, 3), trendPerHour: trendPerHour(after.map((s) => [s.seconds, pick(s)])),
  };
}

/** Warm-up: the first 2 minutes (a third of a shorter run); growth is measured from its end. */
export const warmUpSecondsOf = (minutes: number) => Math.min(120, (minutes * 60) / 3);

const quietRss = (samples: Sample[], warmUpSeconds: number) => memory(samples.filter((s) => !s.refreshing), warmUpSeconds, (s) => s.rss);

export function summarizeSoak(r: {
  minutes: number; subscriptions: number; linesPerSecond: number; requestsPerSecond: number; concurrency: number; linesWritten: number;
  samples: Sample[]; drained: Sample; outcomes: Outcome[]; logged: SoakSummary['sidecarLog']; missed: string[];
}): SoakSummary {
  const warmUpSeconds = warmUpSecondsOf(r.minutes);
  const minutes = new Map<number, Sample[]>();
  for (const s of r.samples) minutes.set(Math.floor(s.seconds / 60), [...(minutes.get(Math.floor(s.seconds / 60)) ?? []), s]);
  const kinds = [...new Set(r.outcomes.map((o) => o.kind))];
  return {
    minutes: r.minutes, subscriptions: r.subscriptions, linesPerSecond: r.linesPerSecond, requestsPerSecond: r.requestsPerSecond, concurrency: r.concurrency, missedSamples: r.missed,
    linesWritten: r.linesWritten, linesRead: r.drained.liveLines, lagSecondsAtEnd: r.samples.at(-1)!.lagSeconds,
    diagnoses: r.drained.generation - r.samples[0]!.generation, liveSources: r.drained.sources, openIncidents: r.drained.openIncidents,
    warmUpSeconds, rssMb: memory(r.samples, warmUpSeconds, (s) => s.rss), heapAfterGcMb: memory(r.samples, warmUpSeconds, (s) => s.heapAfterGc),
    heapUsedMaxMb: round(Math.max(...r.samples.map((s) => s.heapUsed)) / MB),
    quietRssMb: quietRss(r.samples, warmUpSeconds),
    perMinute: [...minutes].map(([minute, ss]) => {
      const mb = (pick: (s: Sample) => number) => round(median(ss.map(pick)) / MB);
      return { minute, rssMb: mb((s) => s.rss), heapTotalMb: mb((s) => s.heapTotal), heapAfterGcMb: mb((s) => s.heapAfterGc), externalMb: mb((s) => s.external) };
    }),
    requests: r.outcomes.length, errors: r.outcomes.filter((o) => !o.ok).length,
    errorExamples: r.outcomes.filter((o) => !o.ok).slice(0, 5).map((o) => `${new Date(o.at).toISOString()} ${o.kind}: ${o.detail} (after ${Math.round(o.ms)} ms)`),
    latencyMs: latency(r.outcomes), byKind: Object.fromEntries(kinds.map((k) => [k, latency(r.outcomes.filter((o) => o.kind === k))])),
    sidecarLog: r.logged,
    sidecarMeanMs: round(((r.samples.at(-1)!.servedSeconds - r.samples[0]!.servedSeconds) / Math.max(1, r.samples.at(-1)!.served - r.samples[0]!.served)) * 1000),
    loopDelayMs: { p99Median: round(median(r.samples.slice(1).map((s) => s.loopDelayP99Ms))), max: round(Math.max(...r.samples.slice(1).map((s) => s.loopDelayMaxMs))) },
    mainThreadBusy: round(r.samples.slice(1).reduce((a, s) => a + s.busy, 0) / Math.max(1, r.samples.length - 1), 2),
    loadAverage: { min: round(Math.min(...r.samples.map((s) => s.load))), max: round(Math.max(...r.samples.map((s) => s.load))) },
  };
}

export function formatSoak(s: SoakSummary): string {
  const mem = (name: string, m: Memory) => `| ${name} | ${m.start} | ${m.warm} | ${m.end} | ${m.max} | ${m.growth >= 0 ? '+' : ''}${m.growth} | ${m.ratio} | ${m.trendPerHour >= 0 ? '+' : ''}${m.trendPerHour} |`;
  const lat = (name: string, l: Latency) => `| ${name} | ${l.requests} | ${l.errors} | ${l.p50} | ${l.p99} | ${l.max} |`;
  return [
    `Soak: ${s.minutes} min, ${s.subscriptions} subscriptions; live watcher fed ${s.linesPerSecond} lines/s (${s.linesWritten} written, ${s.linesRead} read, lag at the end ${s.lagSecondsAtEnd} s);`,
    `API ${s.requestsPerSecond} requests/s (at most ${s.concurrency} at a time) + an event stream opened and closed every 2 s. ${s.diagnoses} diagnoses made, ${s.liveSources} live sources, ${s.openIncidents} open incident(s).`,
    '',
    `| sidecar memory, MB | start | after warm-up (median of the minute after ${Math.round(s.warmUpSeconds)} s) | end (median of the last minute) | max | growth after warm-up | end ÷ warm-up | trend after warm-up, MB/h |`,
    '|---|---|---|---|---|---|---|---|',
    ...([['RSS', s.rssMb], ['RSS, samples with no diagnosis running', s.quietRssMb], ['heap after a full GC', s.heapAfterGcMb]] as const)
      .filter(([, m]) => m !== null).map(([name, m]) => mem(name, m!)),
    `(heap before GC peaked at ${s.heapUsedMaxMb} MB)`,
    '',
    `Per minute, medians in MB (RSS / V8 heap committed / heap after GC / external): ${s.perMinute.map((m) => `${m.minute}: ${m.rssMb}/${m.heapTotalMb}/${m.heapAfterGcMb}/${m.externalMb}`).join(', ')}`,
    '',
    '| requests | count | errors | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|',
    ...Object.entries(s.byKind).map(([k, l]) => lat(k, l)),
    lat('all', s.latencyMs),
    '',
    `In the sidecar: ${s.sidecarMeanMs} ms per API request on average (its /metrics); main thread busy ${Math.round(s.mainThreadBusy * 100)} % of the time;`,
    `event-loop delay p99 ${s.loopDelayMs.p99Median} ms (median over the samples), max ${s.loopDelayMs.max} ms. Machine load average ${s.loadAverage.min}–${s.loadAverage.max} (2 cores).`,
    ...(s.errorExamples.length ? ['', 'Errors, first few:', ...s.errorExamples.map((e) => `  ${e}`)] : []),
    '',
    ...(s.missedSamples.length ? [`Samples missed: ${s.missedSamples.join('; ')}`] : []),
    `Sidecar log: ${s.sidecarLog.warn} warning(s), ${s.sidecarLog.error} error(s)${s.sidecarLog.examples.length ? `; e.g. ${s.sidecarLog.examples[0]}` : ''}`,
  ].join('\n');
}
