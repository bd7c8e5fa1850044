import type { Outcome } from './hooks/useCommands'

/** Dragging sends at most 50 targets a second. */
export const STREAM_PERIOD_MS = 20
/** After a refusal because a move runs, targets wait this long unless the move ends first. */
export const HOLD_MS = 1000

export type Send = () => Promise<Outcome>

/**
 * Stream the targets of a dragged slider: the latest one, at most once per period, one
 * request in flight at a time (a slow answer delays the next target, never piles them up).
 *
 * While a move runs the hardware node refuses targets (409 move_running); the streamer then
 * holds: it drops targets until release() (the move ended) or HOLD_MS, so a drag during a
 * move costs one refused request, not fifty a second.
 */
export class TargetStreamer {
  held = false
  private pending: Send | null = null
  private inFlight = false
  private lastSentAt = -Infinity
  private timer: ReturnType<typeof setTimeout> | null = null
  private holdTimer: ReturnType<typeof setTimeout> | null = null
  private stopped = false

  constructor(
    private readonly onHeld: (held: boolean) => void = () => {},
    private readonly periodMs = STREAM_PERIOD_MS,
    private readonly holdMs = HOLD_MS,
  ) {}

  /** Send this target as soon as the period and the request in flight allow; it replaces any waiting. */
  push(send: Send): void {
    if (this.stopped || this.held) return
    this.pending = send
    this.schedule()
  }

  /** Hold (a move is known to run) or release (it ended): targets are dropped while held. */
  hold(held: boolean): void {
    if (this.holdTimer) clearTimeout(this.holdTimer)
    this.holdTimer = null
    if (held) this.pending = null
    if (held === this.held) return
    this.held = held
    this.onHeld(held)
  }

  /** Drop what waits and never send again. */
  stop(): void {
    this.stopped = true
    this.pending = null
    if (this.timer) clearTimeout(this.timer)
    if (this.holdTimer) clearTimeout(this.holdTimer)
  }

  private schedule(): void {
    if (this.inFlight || this.timer || !this.pending) return
    const wait = Math.max(0, this.lastSentAt + this.periodMs - Date.now())
    this.timer = setTimeout(() => {
      this.timer = null
      void this.sendPending()
    }, wait)
  }

  private async sendPending(): Promise<void> {
    const send = this.pending
    if (!send || this.stopped || this.held) return
    this.pending = null
    this.inFlight = true
    this.lastSentAt = Date.now()
    let outcome: Outcome = 'refused'
    try {
      outcome = await send()
    } finally {
      this.inFlight = false
    }
    if (outcome === 'move_running' && !this.stopped) {
      this.hold(true)
      this.holdTimer = setTimeout(() => this.hold(false), this.holdMs)
      return
    }
    this.schedule()
  }
}
