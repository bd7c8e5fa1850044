import { decodeHardwareError, groupStatuses, motorStatuses, effectiveLevel } from '../diagnostics'
import { levelName } from '../format'
import { MotorKey } from '../generated/status'
import { useDiagnostics } from '../hooks/useDiagnostics'
import { useNow } from '../hooks/useNow'
import type { TimedStatus } from '../ws/snapshot'

function Level({ level }: { level: number }) {
  return <span className={`badge level-${level}`}>{levelName(level)}</span>
}

/** The /diagnostics tree, worst first, and a per-motor table. */
export function DiagnosticsPage() {
  const { data, error } = useDiagnostics()
  const now = useNow()
  if (!data)
    return (
      <section className="card" data-testid="page-diagnostics">
        <h2>Diagnostics</h2>
        <p className={error ? 'error' : 'muted'}>{error ?? 'Waiting for /diagnostics…'}</p>
      </section>
    )
  const groups = groupStatuses(data.status, now)
  const motors = motorStatuses(data.status)
  return (
    <div className="grid" data-testid="page-diagnostics">
      <section className="card wide">
        <h2>Diagnostics</h2>
        {groups.map((g) => (
          <details key={g.node} open className="diag" data-testid={`diag-group-${g.node}`}>
            <summary>
              <Level level={g.level} /> <strong>{g.node}</strong>
              <span className="muted">{g.statuses.length} statuses</span>
            </summary>
            <div style={{ paddingLeft: 16 }}>
              {g.statuses.map(({ status, level, label }) => (
                <StatusRow key={status.name} status={status} level={level} label={label} />
              ))}
            </div>
          </details>
        ))}
      </section>
      {motors.length > 0 && (
        <section className="card wide">
          <h2>Motors</h2>
          <div style={{ overflowX: 'auto' }}>
            <table data-testid="motor-table">
              <thead>
                <tr>
                  <th>Joint</th>
                  <th>Level</th>
                  <th className="num">Temp.</th>
                  <th className="num">Voltage</th>
                  <th>Torque</th>
                  <th>Hardware error</th>
                  <th className="num">Comm. errors</th>
                </tr>
              </thead>
              <tbody>
                {motors.map(([joint, s]) => {
                  const causes = decodeHardwareError(s.values[MotorKey.HARDWARE_ERROR])
                  return (
                    <tr key={joint} data-testid={`motor-${joint}`}>
                      <td>{joint}</td>
                      <td>
                        <Level level={effectiveLevel(s, now)} />
                      </td>
                      <td className="num">{s.values[MotorKey.TEMPERATURE] ?? '—'} °C</td>
                      <td className="num">{s.values[MotorKey.VOLTAGE] ?? '—'} V</td>
                      <td>{s.values[MotorKey.TORQUE] ?? '—'}</td>
                      <td className={causes.length ? 'error' : ''}>{causes.length ? causes.join(', ') : 'none'}</td>
                      <td className="num">{s.values[MotorKey.COMM_ERRORS] ?? '—'}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  )
}

function StatusRow({ status, level, label }: { status: TimedStatus; level: number; label: string }) {
  const entries = Object.entries(status.values)
  return (
    <details className="diag" open={level > 0} data-testid={`diag-${status.name}`}>
      <summary>
        <Level level={level} /> <span>{label}</span>
        <span className="muted">{status.message}</span>
      </summary>
      {entries.length > 0 && (
        <table>
          <tbody>
            {entries.map(([k, v]) => (
              <tr key={k}>
                <td className="muted">{k}</td>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  )
}
