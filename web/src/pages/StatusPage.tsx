import { useStatus } from '../hooks/useStatus'
import { formatBytes, formatDuration } from '../format'

/** Uptime, request counts, connections, memory, CPU and the robot summary of the bridge. */
export function StatusPage() {
  const status = useStatus(2000)
  const s = status.data
  const diag = s?.robot?.diagnostics
  return (
    <div className="grid" data-testid="page-status">
      <section className="card">
        <h2>
          Bridge{' '}
          {s && <span className={`badge level-${s.running ? 0 : 2}`}>{s.running ? 'running' : 'stopped'}</span>}
        </h2>
        {status.error && <p className="error">{status.error}</p>}
        {s ? (
          <dl className="kv">
            <dt>Uptime</dt>
            <dd data-testid="status-uptime">{formatDuration(s.uptime)}</dd>
            <dt>Requests</dt>
            <dd data-testid="status-requests">{s.stats.requests_count}</dd>
            <dt>Active connections</dt>
            <dd data-testid="status-connections">{s.stats.active_connections}</dd>
            <dt>Memory</dt>
            <dd data-testid="status-memory">{formatMemory(s.stats.memory_usage)}</dd>
            <dt>CPU</dt>
            <dd data-testid="status-cpu">{s.stats.cpu_percent.toFixed(1)} %</dd>
          </dl>
        ) : (
          !status.error && <p className="muted">Loading…</p>
        )}
      </section>
      <section className="card">
        <h2>Robot</h2>
        {s?.robot ? (
          <dl className="kv">
            <dt>/joint_states rate</dt>
            <dd data-testid="status-joint-rate">{s.robot.joint_state_rate_hz.toFixed(1)} Hz</dd>
            <dt>Last joint state</dt>
            <dd>{s.robot.joint_state_age_s == null ? 'never' : `${s.robot.joint_state_age_s.toFixed(2)} s ago`}</dd>
            <dt>Diagnostics</dt>
            <dd data-testid="status-diagnostics">
              {diag ? `${diag.ok} OK, ${diag.warn} WARN, ${diag.error} ERROR, ${diag.stale} STALE` : '—'}
            </dd>
          </dl>
        ) : (
          <p className="muted">No robot summary.</p>
        )}
      </section>
      {s?.components && (
        <section className="card">
          <h2>Components</h2>
          <ul>
            {Object.entries(s.components).map(([name, ok]) => (
              <li key={name}>
                <span className={`badge level-${ok ? 0 : 2}`}>{ok ? 'up' : 'down'}</span> {name}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  )
}

/** Show memory usage given in bytes (large numbers) or already in MiB (small ones). */
function formatMemory(value: number): string {
  return value > 1e5 ? formatBytes(value) : `${value.toFixed(1)} MiB`
}
