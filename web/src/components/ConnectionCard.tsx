import type { SystemStatus } from '../api/client'
import { useBackend } from '../backend'
import { BUS_STATUS, BusKey } from '../generated/status'
import { useConnection } from '../hooks/useConnection'
import { useJointStream } from '../hooks/useJointStream'
import type { DiagnosticsSnapshot } from '../ws/snapshot'

/** Return a value of the `hardware_node: Bus` diagnostic status, if present. */
export function busValue(diag: DiagnosticsSnapshot | null, key: string): string | undefined {
  return diag?.status.find((s) => s.name === BUS_STATUS)?.values[key]
}

/** Show the WebSocket state and the achieved loop and joint state rates. */
export function ConnectionCard({ status, diagnostics }: { status: SystemStatus | null; diagnostics: DiagnosticsSnapshot | null }) {
  const state = useConnection()
  const { socket } = useBackend()
  // Re-renders at the joint stream's display rate, so the frame count below stays current.
  useJointStream()
  const achieved = Number.parseFloat(busValue(diagnostics, BusKey.ACHIEVED_RATE_HZ) ?? '')
  const configured = Number.parseFloat(busValue(diagnostics, BusKey.CONFIGURED_RATE_HZ) ?? '')
  const busState = busValue(diagnostics, BusKey.STATE)
  const jsRate = status?.robot?.joint_state_rate_hz
  return (
    <dl className="kv">
      <dt>WebSocket</dt>
      <dd data-testid="connection-state">
        <span className={`badge level-${state === 'open' ? 0 : state === 'connecting' ? 1 : 2}`}>{state}</span>
      </dd>
      <dt>Joint frames</dt>
      <dd data-testid="joint-stream-seq">{socket.jointSeq}</dd>
      <dt>Control loop</dt>
      <dd data-testid="loop-rate">
        {Number.isFinite(achieved) ? `${achieved.toFixed(1)} Hz` : '—'}
        {Number.isFinite(configured) ? ` of ${configured.toFixed(0)} Hz` : ''}
      </dd>
      <dt>Bus</dt>
      <dd>{busState ?? '—'}</dd>
      <dt>/joint_states</dt>
      <dd>{typeof jsRate === 'number' ? `${jsRate.toFixed(1)} Hz` : '—'}</dd>
    </dl>
  )
}
