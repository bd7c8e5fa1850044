import { useEffect, useRef } from 'react'
import { useBackend } from '../backend'
import type { JointHistory } from '../ws/history'

// Line colours in the order of the plotted joints; the pose drawing uses the first three too.
export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#78716c']

interface Props {
  joints: string[]
  /** Seconds shown, ending at the newest sample. */
  windowS?: number
}

/**
 * Plot the last `windowS` seconds of some joints on a canvas.
 *
 * Drawing happens in requestAnimationFrame straight from the socket's history ring, so the
 * plot scrolls at the display rate without any React render.
 */
export function JointPlot({ joints, windowS = 20 }: Props) {
  const { socket } = useBackend()
  const canvasRef = useRef<HTMLCanvasElement>(null)

  useEffect(() => {
    const canvas = canvasRef.current
    const ctx = canvas?.getContext('2d')
    if (!canvas || !ctx) return
    const colors = readColors(canvas)
    let frame = 0
    let drawnSeq = -1
    let drawnWidth = -1
    const draw = () => {
      frame = requestAnimationFrame(draw)
      // Redraw only when a sample arrived or the canvas was resized: an idle plot costs nothing.
      if (socket.jointSeq === drawnSeq && canvas.clientWidth === drawnWidth) return
      drawnSeq = socket.jointSeq
      drawnWidth = canvas.clientWidth
      drawPlot(ctx, canvas, socket.history, joints, windowS, colors)
    }
    frame = requestAnimationFrame(draw)
    return () => cancelAnimationFrame(frame)
  }, [socket, joints, windowS])

  return (
    <div>
      <canvas ref={canvasRef} className="plot" data-testid="joint-plot" aria-label={`positions over the last ${windowS} s`} />
      <div className="legend">
        {joints.map((j, i) => (
          <span key={j}>
            <i style={{ background: PALETTE[i % PALETTE.length] }} />
            {j}
          </span>
        ))}
      </div>
    </div>
  )
}

interface Colors {
  grid: string
  text: string
}

function readColors(el: Element): Colors {
  const style = getComputedStyle(el)
  return {
    grid: style.getPropertyValue('--border').trim() || '#888',
    text: style.getPropertyValue('--muted').trim() || '#888',
  }
}

/** Draw one frame of the plot; exported for tests. */
export function drawPlot(
  ctx: CanvasRenderingContext2D,
  canvas: HTMLCanvasElement,
  history: JointHistory,
  joints: string[],
  windowS: number,
  colors: Colors,
): void {
  const dpr = window.devicePixelRatio || 1
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr))
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr))
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w
    canvas.height = h
  }
  ctx.clearRect(0, 0, w, h)
  const n = history.size
  const latest = history.latestTime()
  if (!n || !Number.isFinite(latest)) return
  const t0 = latest - windowS

  // First visible sample, by binary search over the ring (times only grow).
  let lo = 0
  let hi = n - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (history.times[history.at(mid)] < t0) lo = mid + 1
    else hi = mid
  }
  const first = lo
  const columns = joints.map((j) => history.column(j))
  let min = Infinity
  let max = -Infinity
  for (const col of columns) {
    if (!col) continue
    for (let i = first; i < n; i++) {
      const v = col[history.at(i)]
      if (v < min) min = v
      if (v > max) max = v
    }
  }
  if (!Number.isFinite(min)) return
  // Keep at least ±0.1 rad visible so that sensor noise does not fill the plot.
  const mid = (min + max) / 2
  const half = Math.max(0.1, ((max - min) / 2) * 1.1)
  min = mid - half
  max = mid + half

  const pad = 4 * dpr
  const y = (v: number) => pad + (1 - (v - min) / (max - min)) * (h - 2 * pad)
  const x = (t: number) => ((t - t0) / windowS) * w

  ctx.lineWidth = dpr
  ctx.strokeStyle = colors.grid
  ctx.fillStyle = colors.text
  ctx.font = `${10 * dpr}px sans-serif`
  ctx.beginPath()
  for (const v of niceTicks(min, max, 4)) {
    const yy = Math.round(y(v)) + 0.5
    ctx.moveTo(0, yy)
    ctx.lineTo(w, yy)
    // A label at the very top goes under its line so that it is not cut off.
    ctx.fillText(v.toFixed(2), 2 * dpr, yy < 12 * dpr ? yy + 11 * dpr : yy - 2 * dpr)
  }
  ctx.stroke()
  // Seconds before the newest sample, every 5 s.
  ctx.textAlign = 'right'
  for (let s = 0; s < windowS; s += 5) ctx.fillText(s ? `-${s} s` : 'now', x(latest - s) - 2 * dpr, h - 2 * dpr)
  ctx.textAlign = 'left'

  // At most two points per pixel column: more would be drawn over each other anyway.
  const stride = Math.max(1, Math.floor((n - first) / (2 * w)))
  ctx.lineWidth = 1.5 * dpr
  columns.forEach((col, c) => {
    if (!col) return
    ctx.strokeStyle = PALETTE[c % PALETTE.length]
    ctx.beginPath()
    let started = false
    for (let i = first; i < n; i += stride) {
      const k = history.at(i)
      const px = x(history.times[k])
      const py = y(col[k])
      if (started) ctx.lineTo(px, py)
      else {
        ctx.moveTo(px, py)
        started = true
      }
    }
    const last = history.at(n - 1)
    ctx.lineTo(x(history.times[last]), y(col[last]))
    ctx.stroke()
  })
}

/** Return about `count` round values between min and max. */
export function niceTicks(min: number, max: number, count: number): number[] {
  const span = max - min
  if (!(span > 0)) return [min]
  const raw = span / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw
  const ticks: number[] = []
  for (let v = Math.ceil(min / step) * step; v <= max; v += step) ticks.push(Number(v.toFixed(10)))
  return ticks
}
