import { HealthBadge } from '../components/HealthBadge'
import { JointTable } from '../components/JointTable'
import { useHealth } from '../hooks/useHealth'
import { useJointStream } from '../hooks/useJointStream'

/** The robot at a glance: live joints and health. */
export function OverviewPage() {
  const sample = useJointStream()
  const health = useHealth()
  return (
    <div className="grid">
      <section className="card">
        <h2>
          Health <HealthBadge health={health.data} error={health.error} />
        </h2>
        {health.error && <p className="error">{health.error}</p>}
      </section>
      <section className="card">
        <h2>Joints</h2>
        <JointTable sample={sample} />
      </section>
    </div>
  )
}
