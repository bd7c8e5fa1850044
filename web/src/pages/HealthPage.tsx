import { HealthBadge } from '../components/HealthBadge'
import { useConnection } from '../hooks/useConnection'
import { useHealth } from '../hooks/useHealth'
import { useStatus } from '../hooks/useStatus'
import { formatDuration, formatTime } from '../format'

/** Each component of the bridge with its state and when it was checked; refreshed every 10 s. */
export function HealthPage() {
  const health = useHealth(10000)
  // The service manager's view of each component (state, restarts, last error), same period.
  const details = useStatus(10000).data?.component_details ?? {}
  const ws = useConnection()
  const checked = health.updatedAt ? new Date(health.updatedAt).toLocaleTimeString() : '—'
  const components = Object.entries(health.data?.components ?? {}).sort(([a], [b]) => a.localeCompare(b))
  return (
    <div className="grid" data-testid="page-health">
      <section className="card wide">
        <h2>
          Health <HealthBadge health={health.data} error={health.error} />
          <button type="button" onClick={health.refresh} data-testid="health-refresh">
            Check now
          </button>
        </h2>
        {health.error && (
          <p className="error" data-testid="health-error">
            Last check failed: {health.error}
          </p>
        )}
        <p className="muted">
          Checked at {checked}
          {health.data ? `; the bridge reported at ${formatTime(health.data.timestamp)}` : ''}. Refreshes every
          10 s.
        </p>
        <table>
          <thead>
            <tr>
              <th>Component</th>
              <th>State</th>
              <th>Service</th>
              <th>Last check</th>
            </tr>
          </thead>
          <tbody>
            {components.map(([name, ok]) => {
              const d = details[name]
              return (
                <tr key={name} data-testid={`component-${name}`}>
                  <td>{name}</td>
                  <td>
                    <span className={`badge level-${ok ? 0 : 2}`}>{ok ? 'up' : 'down'}</span>
                  </td>
                  <td>
                    {d ? (
                      <>
                        {d.state}
                        {d.uptime_s != null && <span className="muted"> for {formatDuration(d.uptime_s)}</span>}
                        {d.restarts > 0 && <span className="muted">, {d.restarts} restarts</span>}
                        {d.last_error && <div className="error">{d.last_error}</div>}
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{checked}</td>
                </tr>
              )
            })}
            <tr data-testid="component-live-websocket">
              <td>live WebSocket (this page)</td>
              <td>
                <span className={`badge level-${ws === 'open' ? 0 : 2}`}>{ws}</span>
              </td>
              <td>—</td>
              <td>live</td>
            </tr>
          </tbody>
        </table>
      </section>
      {health.data?.config && (
        <section className="card">
          <h2>Configuration</h2>
          <dl className="kv">
            {Object.entries(health.data.config).map(([k, v]) => (
              <FragmentKV key={k} k={k} v={String(v)} />
            ))}
          </dl>
        </section>
      )}
    </div>
  )
}

function FragmentKV({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>{v}</dd>
    </>
  )
}
