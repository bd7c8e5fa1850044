import type { JointStatesData } from '../generated/ws'

/** Show each joint's position, in rad with 3 decimals (m for head_x/y/z): motors, then head pose. */
export function JointTable({ sample }: { sample: JointStatesData | null }) {
  if (!sample) return <p className="muted">Waiting for joint states…</p>
  const rows = sample.name.map((name, i) => ({ name, value: sample.position[i] }))
  const head = rows.filter((r) => r.name.startsWith('head_'))
  const motors = rows.filter((r) => !r.name.startsWith('head_'))
  return (
    <div className="joint-tables">
      <Table title="Motor" rows={motors} />
      {head.length > 0 && <Table title="Head pose" rows={head} />}
    </div>
  )
}

function Table({ title, rows }: { title: string; rows: { name: string; value: number | null }[] }) {
  return (
    <table className="joints">
      <thead>
        <tr>
          <th>{title}</th>
          <th className="num">Position</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ name, value }) => (
          <tr key={name}>
            <td>{name}</td>
            <td className="num">
              <span data-testid={`joint-${name}`}>{formatPosition(value)}</span>
              <span className="unit"> {unitOf(name)}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** Format a position with 3 decimals; a missing or unknown (null: NaN) value shows as a dash. */
export function formatPosition(value: number | null | undefined): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—'
  // Values that round to zero show as 0.000, not -0.000.
  return Math.abs(value) < 0.0005 ? '0.000' : value.toFixed(3)
}

/** Return the unit of a joint of /joint_states: m for the head translation, else rad. */
export function unitOf(name: string): string {
  return /^head_[xyz]$/.test(name) ? 'm' : 'rad'
}
