import { useEffect, useId, useRef, useState } from 'react';
import { formatLocal, formatUtc } from '../../../lib/time';
import type { TimelinePoint } from './build-timeline';
import { tickLabel, ticks } from './timeline-scale';

function useWidth<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(640);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    setWidth(element.clientWidth);
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.round(entry.contentRect.width));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

/** What users are served: nothing while the flag is off, otherwise its rollout. */
const served = (point: { enabled: boolean; rollout: number }) => (point.enabled ? point.rollout : 0);

const RANGES: { label: string; ms: number | null }[] = [
  { label: 'All', ms: null },
  { label: '±1 hour', ms: 3_600_000 },
  { label: '±1 day', ms: 86_400_000 },
  { label: '±1 week', ms: 7 * 86_400_000 },
  { label: '±30 days', ms: 30 * 86_400_000 },
];

export function Timeline({ past, future, now }: { past: TimelinePoint[]; future: TimelinePoint[]; now: number }) {
  const { ref, width } = useWidth<HTMLDivElement>();
  const [range, setRange] = useState<number | null>(null);
  const titleId = useId();
  const descId = useId();
  const clipId = useId();
  const height = 220;
  const margin = { top: 16, right: 18, bottom: 34, left: 42 };
  const innerWidth = Math.max(120, width - margin.left - margin.right);
  const innerHeight = height - margin.top - margin.bottom;

  const all = [...past, ...future];
  const first = Math.min(...all.map((point) => point.at), now);
  const last = Math.max(...all.map((point) => point.at), now);
  const span = Math.max(last - first, 60_000);
  // "All" fits every point; a range zooms around now (changes made seconds apart are otherwise one vertical line).
  const from = range === null ? first - span * 0.04 : now - range;
  const to = range === null ? last + span * 0.08 : now + range;
  const x = (at: number) => margin.left + ((at - from) / (to - from)) * innerWidth;
  const y = (percent: number) => margin.top + (1 - percent / 100) * innerHeight;
  const { values: xTicks, step } = ticks(from, to, Math.max(2, Math.floor(innerWidth / 90)));

  // Step paths: a value holds until the next change.
  const stepPath = (points: { at: number; value: number }[], end: number) => {
    if (points.length === 0) return '';
    let d = `M${x(points[0]?.at ?? 0)},${y(points[0]?.value ?? 0)}`;
    points.forEach((point, index) => {
      const next = points[index + 1];
      d += ` L${x(next ? next.at : end)},${y(point.value)}`;
      if (next) d += ` L${x(next.at)},${y(next.value)}`;
    });
    return d;
  };
  const areaPath = (points: { at: number; value: number }[], end: number) => {
    const line = stepPath(points, end);
    if (!line) return '';
    return `${line} L${x(end)},${y(0)} L${x(points[0]?.at ?? 0)},${y(0)} Z`;
  };
  const lastPast = past.at(-1);
  const pastRollout = past.map((point) => ({ at: point.at, value: point.rollout }));
  const pastServed = past.map((point) => ({ at: point.at, value: served(point) }));
  const futureStart = lastPast ? [{ ...lastPast, at: now }] : [];
  const futurePoints = [...futureStart, ...future];
  const futureEnd = future.length > 0 ? to : now;
  const futureRollout = futurePoints.map((point) => ({ at: point.at, value: point.rollout }));
  const futureServed = futurePoints.map((point) => ({ at: point.at, value: served(point) }));

  const summary =
    future.length > 0
      ? `${past.length} recorded state${past.length === 1 ? '' : 's'} and ${future.length} scheduled change${
          future.length === 1 ? '' : 's'
        }; the next one at ${formatLocal(new Date(future[0]?.at ?? now))}.`
      : `${past.length} recorded state${past.length === 1 ? '' : 's'}; nothing scheduled.`;

  return (
    <figure className="timeline">
      <fieldset className="segmented segmented-small">
        <legend className="visually-hidden">Time range</legend>
        {RANGES.map((option) => (
          <button
            key={option.label}
            type="button"
            aria-pressed={range === option.ms}
            onClick={() => setRange(option.ms)}
          >
            {option.label}
          </button>
        ))}
      </fieldset>
      <div ref={ref} className="timeline-canvas">
        <svg
          width={width}
          height={height}
          role="img"
          aria-labelledby={`${titleId} ${descId}`}
          viewBox={`0 0 ${width} ${height}`}
        >
          <title id={titleId}>Rollout over time</title>
          <desc id={descId}>{summary}</desc>
          <defs>
            <clipPath id={clipId}>
              <rect x={margin.left - 6} y={margin.top - 6} width={innerWidth + 12} height={innerHeight + 12} />
            </clipPath>
          </defs>
          {[0, 25, 50, 75, 100].map((percent) => (
            <g key={percent}>
              <line className="grid" x1={margin.left} x2={margin.left + innerWidth} y1={y(percent)} y2={y(percent)} />
              <text className="axis-label" x={margin.left - 6} y={y(percent) + 4} textAnchor="end">
                {percent}%
              </text>
            </g>
          ))}
          {xTicks.map((tick) => (
            <g key={tick}>
              <line
                className="tick"
                x1={x(tick)}
                x2={x(tick)}
                y1={margin.top + innerHeight}
                y2={margin.top + innerHeight + 5}
              />
              <text className="axis-label" x={x(tick)} y={height - 12} textAnchor="middle">
                {tickLabel(tick, step)}
              </text>
            </g>
          ))}
          <g clipPath={`url(#${clipId})`}>
            <path className="served-area" d={areaPath(pastServed, now)} />
            <path className="rollout-line" d={stepPath(pastRollout, now)} />
            {future.length > 0 ? (
              <>
                <path className="served-area future" d={areaPath(futureServed, futureEnd)} />
                <path className="rollout-line future" d={stepPath(futureRollout, futureEnd)} />
              </>
            ) : null}
          </g>
          <line className="now-line" x1={x(now)} x2={x(now)} y1={margin.top - 6} y2={margin.top + innerHeight} />
          <text className="now-label" x={x(now)} y={margin.top - 6} textAnchor={x(now) > width - 40 ? 'end' : 'middle'}>
            now
          </text>
          <g clipPath={`url(#${clipId})`}>
            {past.map((point) => (
              <circle
                key={`p${point.at}-${point.rollout}-${point.enabled}`}
                className={`marker marker-${point.kind}`}
                cx={x(point.at)}
                cy={y(point.rollout)}
                r={4}
              >
                <title>{`${formatLocal(new Date(point.at))}: ${point.enabled ? 'on' : 'off'}, ${point.rollout}% — ${point.label}`}</title>
              </circle>
            ))}
            {future.map((point) => (
              <rect
                key={`f${point.kind}${point.at}-${point.rollout}-${point.enabled}`}
                className={`marker marker-${point.kind}`}
                x={x(point.at) - 5}
                y={y(point.rollout) - 5}
                width={10}
                height={10}
                transform={`rotate(45 ${x(point.at)} ${y(point.rollout)})`}
              >
                <title>{`${formatLocal(new Date(point.at))}: ${point.enabled ? 'on' : 'off'}, ${point.rollout}% — ${point.label}`}</title>
              </rect>
            ))}
          </g>
        </svg>
      </div>
      <figcaption>
        <ul className="legend">
          <li>
            <span className="swatch swatch-line" aria-hidden="true" /> Rollout setting
          </li>
          <li>
            <span className="swatch swatch-area" aria-hidden="true" /> Served (0 while off)
          </li>
          <li>
            <span className="swatch swatch-future" aria-hidden="true" /> Scheduled
          </li>
          {future.some((point) => point.kind === 'planned') ? (
            <li>
              <span className="swatch swatch-planned" aria-hidden="true" /> Plan being built (not saved)
            </li>
          ) : null}
        </ul>
        <details>
          <summary>Timeline as a table</summary>
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">State</th>
                <th scope="col">What</th>
              </tr>
            </thead>
            <tbody>
              {[...past, ...future].map((point) => (
                <tr key={`t${point.kind}${point.at}-${point.rollout}`}>
                  <td>
                    {formatLocal(new Date(point.at))}
                    <div className="muted small">{formatUtc(new Date(point.at))}</div>
                  </td>
                  <td>
                    {point.enabled ? 'on' : 'off'}, {point.rollout}%
                  </td>
                  <td>{point.label}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </figcaption>
    </figure>
  );
}
