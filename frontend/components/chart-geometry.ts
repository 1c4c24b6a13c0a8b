// Geometry of the timeline chart, pure (no DOM): bars of passed and rejected
// messages stacked per hour, the limit as a step line, ticks and event
// markers. The y axis is a square-root scale: the incident's 500 passed
// against 20,000 rejected would leave the limit a hair above the axis on a
// linear one, and the fix's drop to 0 must be as visible as the flood.
import type { TimelineEvent, TimelinePoint } from '../../service/http/contract.ts';

export type Box = { left: number; right: number; top: number; bottom: number };
export type Tick = { value: number; y: number };
export type XTick = { index: number; x: number; t: string; major: boolean; label: 'time' | 'day' };
export type Marker = { x: number; event: TimelineEvent };
export type ChartGeometry = {
  plot: Box;
  slot: number;                 // width of one step
  max: number;                  // top of the scale (messages)
  passed: string;               // SVG path data
  rejected: string;
  limit: string | null;
  limitLabel: { value: number; y: number } | null;   // the latest limit, labelled at the right end
  missing: Array<{ x: number; w: number }>;   // steps with no statistics yet
  yTicks: Tick[];
  xTicks: XTick[];
  markers: Marker[];
};

const r1 = (v: number) => Math.round(v * 10) / 10;

/** The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) at or above v: the top of the scale wastes little height. */
export function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** The nice number nearest to v in the 1-2-5 series. */
export function niceRound(v: number): number {
  if (v <= 0) return 0;
  const p = 10 ** Math.floor(Math.log10(v));
  let best = p;
  for (const m of [1, 2, 5, 10]) if (Math.abs(m * p - v) < Math.abs(best - v)) best = m * p;
  return best;
}

const limitOf = (p: TimelinePoint) => (p.limit !== null && p.limit >= 0 ? p.limit : null);

/** Wall-clock parts straight from the server's ISO text ("2022-02-03T21:00:00+09:00"): no zone maths in the browser. */
export const localHour = (iso: string) => Number(iso.slice(11, 13));
export const localDay = (iso: string) => iso.slice(0, 10);

function pickXTicks(points: TimelinePoint[], slot: number, x0: number): XTick[] {
  const minGap = 56;   // px between labels
  const out: XTick[] = [];
  const hoursPerDay = 24;
  const everyHours = [1, 2, 3, 6, 12].find((h) => h * slot >= minGap);
  const everyDays = [1, 2, 5, 7, 14].find((d) => d * hoursPerDay * slot >= minGap) ?? 14;
  let dayCount = 0;
  for (let i = 0; i < points.length; i++) {
    const t = points[i]!.t;
    const newDay = i === 0 ? false : localDay(t) !== localDay(points[i - 1]!.t);
    if (everyHours !== undefined) {
      if (localHour(t) % everyHours === 0) out.push({ index: i, x: r1(x0 + i * slot), t, major: newDay, label: newDay ? 'day' : 'time' });
    } else if (newDay) {
      if (dayCount++ % everyDays === 0) out.push({ index: i, x: r1(x0 + i * slot), t, major: true, label: 'day' });
    }
  }
  return out;
}

export function buildChart(points: TimelinePoint[], events: TimelineEvent[], size: { width: number; height: number }): ChartGeometry {
  const plot: Box = { left: 52, right: size.width - 8, top: 14, bottom: size.height - 24 };
  const n = Math.max(1, points.length);
  const slot = (plot.right - plot.left) / n;
  let top = 0;
  for (const p of points) top = Math.max(top, (p.passed ?? 0) + (p.rejected ?? 0), limitOf(p) ?? 0);
  const max = niceCeil(Math.max(top, 10));
  const h = plot.bottom - plot.top;
  const y = (v: number) => r1(plot.bottom - (Math.sqrt(Math.max(0, v)) / Math.sqrt(max)) * h);
  const gap = slot > 4 ? Math.min(2, slot * 0.2) : 0;
  const w = r1(Math.max(0.5, slot - gap));
  let passed = '';
  let rejected = '';
  const missing: ChartGeometry['missing'] = [];
  let limit = '';
  let limitOpen = false;
  let lastLimit: number | null = null;
  points.forEach((p, i) => {
    const x = r1(plot.left + i * slot + gap / 2);
    if (p.passed === null && p.rejected === null) {
      missing.push({ x, w });
      limitOpen = false;
      return;
    }
    const a = p.passed ?? 0;
    const b = p.rejected ?? 0;
    if (a > 0) passed += `M${x} ${plot.bottom}V${y(a)}h${w}V${plot.bottom}z`;
    if (b > 0) rejected += `M${x} ${y(a)}V${y(a + b)}h${w}V${y(a)}z`;
    const l = limitOf(p);
    if (l !== null) lastLimit = l;
    if (l === null) limitOpen = false;
    else {
      const xe = r1(plot.left + (i + 1) * slot);
      limit += limitOpen ? `V${y(l)}H${xe}` : `M${r1(plot.left + i * slot)} ${y(l)}H${xe}`;
      limitOpen = true;
    }
  });
  // Value ticks evenly spread in sqrt space, rounded to nice numbers.
  const ticks = new Set<number>([0]);
  for (const f of [0.25, 0.5, 0.75, 1]) ticks.add(niceRound(max * f * f));
  const yTicks = [...ticks].sort((a, b) => a - b).filter((v) => v <= max).map((value) => ({ value, y: y(value) }));
  // Events sit at their instant within the step.
  const starts = points.map((p) => Date.parse(p.t));
  const stepMs = starts.length > 1 ? starts[1]! - starts[0]! : 3_600_000;
  const markers: Marker[] = [];
  for (const e of events) {
    const at = Date.parse(e.at);
    if (!starts.length || at < starts[0]! || at >= starts[starts.length - 1]! + stepMs) continue;
    let i = 0;
    while (i + 1 < starts.length && starts[i + 1]! <= at) i++;
    markers.push({ x: r1(plot.left + (i + (at - starts[i]!) / stepMs) * slot), event: e });
  }
  const limitLabel = lastLimit === null ? null : { value: lastLimit, y: y(lastLimit) };
  return { plot, slot, max, passed, rejected, limit: limit || null, limitLabel, missing, yTicks, xTicks: pickXTicks(points, slot, plot.left), markers };
}

/** The step under an x position (pointer or keyboard), clamped to the data. */
export function indexAt(g: Pick<ChartGeometry, 'plot' | 'slot'>, x: number, count: number): number {
  return Math.min(count - 1, Math.max(0, Math.floor((x - g.plot.left) / g.slot)));
}
