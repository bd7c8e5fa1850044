/** Messages of the WebSocket protocol, version 1 (docs/websocket.md). */

export interface JointStatesData {
  stamp: number
  seq?: number
  name: string[]
  position: number[]
  velocity?: number[]
  effort?: number[]
}

export interface DiagnosticStatusData {
  name: string
  level: number
  message: string
  hardware_id: string
  values: Record<string, string>
}

export interface DiagnosticsData {
  stamp: number
  status: DiagnosticStatusData[]
}

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

export interface EventData {
  id?: number | null
  time: number
  level: number
  source: string
  kind: string
  message: string
  details: Record<string, unknown>
}

export interface Hello {
  type: 'hello'
  protocol: number
  server: string
  channels: string[]
  max_rate_hz: number
}

export type ServerMessage =
  | Hello
  | { type: 'joint_states'; data: JointStatesData }
  | { type: 'diagnostics'; data: DiagnosticsData }
  | { type: 'events'; data: EventData }
  | { type: 'subscribed'; channels: Record<string, number> }
  | { type: 'command_result'; id: string; ok: boolean; error: string | null; message: string }
  | { type: 'error'; error: string; message: string }
  | { type: 'pong'; id: string }
