// Prometheus text exposition (format 0.0.4) without a client library: counters,
// one histogram, and gauges read at scrape time. Labels are route patterns,
// codes and enums only — never subscription names, logins or paths, because
// /metrics is readable by the provider's monitoring, not only by the panel.

type Labels = Record<string, string>;
type Series = { labels: Labels; value: number };

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const fmtLabels = (l: Labels) => {
  const keys = Object.keys(l);
  return keys.length ? `{${keys.map((k) => `${k}="${escape(l[k]!)}"`).join(',')}}` : '';
};
const keyOf = (l: Labels) => JSON.stringify(Object.entries(l).sort());

export type Counter = { inc(labels?: Labels, by?: number): void };
export type Histogram = { observe(labels: Labels, seconds: number): void };
export type GaugeReader = () => Series[];

export type Metrics = {
  counter(name: string, help: string): Counter;
  histogram(name: string, help: string, buckets: number[]): Histogram;
  gauge(name: string, help: string, read: GaugeReader): void;
  /** A counter kept elsewhere (e.g. the live watcher's totals), read at scrape time. */
  counterFrom(name: string, help: string, read: GaugeReader): void;
  render(): string;
};

export function createMetrics(): Metrics {
  const blocks: Array<() => string> = [];
  return {
    counter(name, help) {
      const series = new Map<string, Series>();
      blocks.push(() => [`# HELP ${name} ${help}`, `# TYPE ${name} counter`, ...[...series.values()].map((s) => `${name}${fmtLabels(s.labels)} ${s.value}`)].join('\n'));
      return {
        inc(labels = {}, by = 1) {
          const k = keyOf(labels);
          const s = series.get(k);
          if (s) s.value += by;
          else series.set(k, { labels, value: by });
        },
      };
    },
    histogram(name, help, buckets) {
      const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
      blocks.push(() => {
        const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
        for (const s of series.values()) {
          buckets.forEach((b, i) => lines.push(`${name}_bucket${fmtLabels({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
          lines.push(`${name}_bucket${fmtLabels({ ...s.labels, le: '+Inf' })} ${s.count}`, `${name}_sum${fmtLabels(s.labels)} ${s.sum}`, `${name}_count${fmtLabels(s.labels)} ${s.count}`);
        }
        return lines.join('\n');
      });
      return {
        observe(labels, seconds) {
          const k = keyOf(labels);
          let s = series.get(k);
          if (!s) series.set(k, (s = { labels, counts: buckets.map(() => 0), sum: 0, count: 0 }));
          buckets.forEach((b, i) => {
            if (seconds <= b) s!.counts[i]!++;
          });
          s.sum += seconds;
          s.count++;
        },
      };
    },
    gauge(name, help, read) {
      blocks.push(() => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...read().map((s) => `${name}${fmtLabels(s.labels)} ${s.value}`)].join('\n'));
    },
    counterFrom(name, help, read) {
      blocks.push(() => [`# HELP ${name} ${help}`, `# TYPE ${name} counter`, ...read().map((s) => `${name}${fmtLabels(s.labels)} ${s.value}`)].join('\n'));
    },
    render: () => `${blocks.map((b) => b()).join('\n')}\n`,
  };
}

/** The sidecar's own metrics, created once per app. */
export function createSidecarMetrics() {
  const m = createMetrics();
  return {
    registry: m,
    requests: m.counter('sendtrace_http_requests_total', 'HTTP requests by route pattern, method and status.'),
    duration: m.histogram('sendtrace_http_request_duration_seconds', 'HTTP request duration by route pattern.', [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10]),
    authRefusals: m.counter('sendtrace_auth_refusals_total', 'Requests refused before authorization, by reason.'),
    actions: m.counter('sendtrace_actions_total', 'Actions requested through the API, by action, dry run and result.'),
    rateLimited: m.counter('sendtrace_rate_limited_total', 'Requests refused by the per-user rate limit.'),
    refreshes: m.counter('sendtrace_diagnosis_refreshes_total', 'Background diagnosis runs, by result.'),
  };
}
export type SidecarMetrics = ReturnType<typeof createSidecarMetrics>;
