import type { DiagnosticStatusData } from '../generated/ws'

/** A diagnostic status with the UNIX time of the array it last came in. */
export interface TimedStatus extends DiagnosticStatusData {
  stamp: number
}

/** The latest status of every name seen, merged across /diagnostics arrays. */
export interface DiagnosticsSnapshot {
  /** Time of the newest array merged in. */
  stamp: number
  status: TimedStatus[]
}
