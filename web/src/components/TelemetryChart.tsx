import type { TelemetryPoint } from '../api/client'
import { formatTime } from '../format'

const W = 600
const H = 160
const PAD = 24

/** Draw recorded aggregates of one joint: the min–max band and the mean line, in SVG. */
export function TelemetryChart({ points }: { points: TelemetryPoint[] }) {
  if (!points.length) return <p className="muted">No telemetry recorded in this window.</p>
  const t0 = points[0].start
  const t1 = points[points.length - 1].end
  const lo = Math.min(...points.map((p) => p.min))
  const hi = Math.max(...points.map((p) => p.max))
  const span = Math.max(hi - lo, 1e-3)
  const x = (t: number) => PAD + ((t - t0) / Math.max(t1 - t0, 1e-6)) * (W - 2 * PAD)
  const y = (v: number) => PAD / 2 + (1 - (v - lo) / span) * (H - PAD)
  const mid = (p: TelemetryPoint) => (p.start + p.end) / 2
  const band =
    points.map((p) => `${x(mid(p)).toFixed(1)},${y(p.max).toFixed(1)}`).join(' ') +
    ' ' +
    [...points]
      .reverse()
      .map((p) => `${x(mid(p)).toFixed(1)},${y(p.min).toFixed(1)}`)
      .join(' ')
  const mean = points.map((p) => `${x(mid(p)).toFixed(1)},${y(p.mean).toFixed(1)}`).join(' ')
  return (
    <svg viewBox={`0 0 ${W} ${H}`} style={{ width: '100%' }} role="img" aria-label="telemetry" data-testid="telemetry-chart">
      <polygon points={band} fill="#2563eb" fillOpacity="0.2" stroke="none" />
      <polyline points={mean} fill="none" stroke="#2563eb" strokeWidth="1.5" />
      <g fontSize="10" fill="currentColor">
        <text x="2" y={y(hi) + 4}>
          {hi.toFixed(3)}
        </text>
        <text x="2" y={y(lo)}>
          {lo.toFixed(3)}
        </text>
        <text x={PAD} y={H - 2}>
          {formatTime(t0)}
        </text>
        <text x={W - PAD} y={H - 2} textAnchor="end">
          {formatTime(t1)}
        </text>
      </g>
    </svg>
  )
}
