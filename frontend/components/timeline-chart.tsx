// Passed vs rejected per hour, the limit as a line, and markers for limit
// hits, peaks and actions — hand-drawn SVG. Cause and effect at a glance: a
// red flood above the limit line, then the action's flag, then nothing.
// Keyboard and screen readers read it hour by hour (arrow keys, live region).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { TimelineEvent, TimelineResponse } from '../../service/http/contract.ts';
import { buildChart, indexAt } from './chart-geometry.ts';
import { useApp } from './context.ts';
import { actionLabel } from './labels.ts';

function useWidth(fallback: number): [(el: HTMLDivElement | null) => void, number] {
  const [width, setWidth] = useState(fallback);
  const obs = useRef<ResizeObserver | null>(null);
  const ref = (el: HTMLDivElement | null) => {
    obs.current?.disconnect();
    if (!el) return;
    obs.current = new ResizeObserver((entries) => setWidth(Math.max(280, Math.round(entries[0]?.contentRect.width ?? fallback))));
    obs.current.observe(el);
  };
  useEffect(() => () => obs.current?.disconnect(), []);
  return [ref, width];
}

const MARK: Record<TimelineEvent['kind'], string> = { 'limit-hit': 'st-mark--hit', 'peak-begin': 'st-mark--peak', 'peak-end': 'st-mark--end', action: 'st-mark--action' };

export function TimelineChart({ data }: { data: TimelineResponse }) {
  const { i18n } = useApp();
  const [ref, width] = useWidth(800);
  const height = width < 500 ? 180 : 240;
  const g = useMemo(() => buildChart(data.points, data.events, { width, height }), [data, width, height]);
  const [cursor, setCursor] = useState<number | null>(null);
  const n = data.points.length;
  const eventName = (e: TimelineEvent) =>
    e.kind === 'action' ? `${i18n.t('chart.action')}: ${actionLabel(i18n, e.action?.name ?? '')}` : i18n.t(e.kind === 'limit-hit' ? 'chart.limitHit' : e.kind === 'peak-begin' ? 'chart.peak' : 'chart.peakEnd');
  const readPoint = (i: number) => {
    const p = data.points[i];
    if (!p) return '';
    const time = i18n.when(p.t, data.to);
    if (p.passed === null && p.rejected === null) return i18n.t('chart.notCollected', { time });
    return i18n.t('chart.point', { time, passed: i18n.num(p.passed), rejected: i18n.num(p.rejected), limit: p.limit !== null && p.limit >= 0 ? i18n.num(p.limit) : '—' });
  };
  const totals = useMemo(() => {
    let passed = 0, rejected = 0, max = 0;
    for (const p of data.points) {
      passed += p.passed ?? 0;
      rejected += p.rejected ?? 0;
      max = Math.max(max, (p.passed ?? 0) + (p.rejected ?? 0));
    }
    return { passed, rejected, max };
  }, [data]);
  const onKey = (e: KeyboardEvent) => {
    const step = { ArrowLeft: -1, ArrowRight: 1, PageUp: -24, PageDown: 24 }[e.key];
    if (step !== undefined) setCursor((c) => Math.min(n - 1, Math.max(0, (c ?? n - 1) + step)));
    else if (e.key === 'Home') setCursor(0);
    else if (e.key === 'End') setCursor(n - 1);
    else return;
    e.preventDefault();
  };
  const onMove = (e: PointerEvent) => {
    const svg = e.currentTarget as SVGSVGElement;
    const box = svg.getBoundingClientRect();
    setCursor(indexAt(g, ((e.clientX - box.left) / box.width) * width, n));
  };
  const cx = cursor !== null ? g.plot.left + (cursor + 0.5) * g.slot : null;
  return (
    <div class="st-chart" ref={ref}>
      <p class="st-chart__summary">
        {i18n.t('chart.summary', { from: i18n.when(data.from, data.to), to: i18n.when(data.to, data.to), passed: i18n.num(totals.passed), rejected: i18n.num(totals.rejected), max: i18n.num(totals.max) })}
      </p>
      <div class="st-chart__frame" tabIndex={0} role="group" aria-label={`${i18n.t('chart.title')}. ${i18n.t('chart.keys')}`} onKeyDown={onKey} onBlur={() => setCursor(null)}>
        <svg viewBox={`0 0 ${width} ${height}`} width="100%" height={height} aria-hidden="true" onPointerMove={onMove} onPointerLeave={() => setCursor(null)}>
          {g.yTicks.map((t) => (
            <g key={t.value} class="st-chart__grid">
              <line x1={g.plot.left} x2={g.plot.right} y1={t.y} y2={t.y} />
              <text x={g.plot.left - 6} y={t.y + 4} text-anchor="end">{i18n.num(t.value)}</text>
            </g>
          ))}
          {g.missing.map((m) => <rect key={m.x} class="st-chart__missing" x={m.x} y={g.plot.top} width={m.w} height={g.plot.bottom - g.plot.top} />)}
          <path class="st-chart__passed" d={g.passed} />
          <path class="st-chart__rejected" d={g.rejected} />
          {g.limit && <path class="st-chart__limit" d={g.limit} />}
          {g.limitLabel && (
            <text class="st-chart__limit-label" x={g.plot.right - 4} y={g.limitLabel.y - 4} text-anchor="end">
              {i18n.t('chart.limitValue', { limit: i18n.num(g.limitLabel.value) })}
            </text>
          )}
          {g.xTicks.map((t) => (
            <text key={t.index} class={`st-chart__x${t.major ? ' st-chart__x--major' : ''}`} x={t.x} y={height - 6} text-anchor="middle">
              {t.label === 'day' ? i18n.day(t.t) : i18n.time(t.t)}
            </text>
          ))}
          {g.markers.map((m, i) => (
            <g key={i} class={`st-mark ${MARK[m.event.kind]}`}>
              <line x1={m.x} x2={m.x} y1={g.plot.top} y2={g.plot.bottom} />
              <path d={m.event.kind === 'action' ? `M${m.x} ${g.plot.top}h9l-3 4 3 4h-9z` : `M${m.x - 4} ${g.plot.top - 8}h8l-4 7z`} />
            </g>
          ))}
          {cx !== null && <line class="st-chart__cursor" x1={cx} x2={cx} y1={g.plot.top} y2={g.plot.bottom} />}
        </svg>
        <p class="st-chart__readout" aria-live="polite">{cursor !== null ? readPoint(cursor) : ''}</p>
      </div>
      <ul class="st-legend">
        <li><span class="st-key st-key--passed" />{i18n.t('chart.passed')}</li>
        <li><span class="st-key st-key--rejected" />{i18n.t('chart.rejected')}</li>
        <li><span class="st-key st-key--limit" />{i18n.t('chart.limit')}</li>
        <li class="st-muted">{i18n.t('chart.scale')}</li>
      </ul>
      {data.events.length > 0 && (
        <ul class="st-events">
          {data.events.slice(-12).map((e, i) => (
            <li key={i} class={MARK[e.kind]}>
              <time dateTime={e.at}>{i18n.when(e.at, data.to)}</time> {eventName(e)}{e.kind !== 'action' && e.level ? ` (${i18n.t(`level.${e.level}`)})` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
