import { useState } from 'react'
import { ConnectionCard } from '../components/ConnectionCard'
import { Controls } from '../components/Controls'
import { HealthBadge } from '../components/HealthBadge'
import { JointPlot } from '../components/JointPlot'
import { JointTable } from '../components/JointTable'
import { PoseView } from '../components/PoseView'
import { useDiagnostics } from '../hooks/useDiagnostics'
import { useHealth } from '../hooks/useHealth'
import { useJointStream } from '../hooks/useJointStream'
import { useStatus } from '../hooks/useStatus'

const PLOT_GROUPS: Record<string, string[]> = {
  'body and antennas': ['yaw_body', 'right_antenna', 'left_antenna'],
  'Stewart motors': ['stewart_1', 'stewart_2', 'stewart_3', 'stewart_4', 'stewart_5', 'stewart_6'],
  'head orientation': ['head_roll', 'head_pitch', 'head_yaw'],
}

// Only these two re-render with the stream (10 times a second), not the whole page.
function LivePoseView() {
  return <PoseView sample={useJointStream()} />
}

function LiveJointTable() {
  return <JointTable sample={useJointStream()} />
}

/** The robot at a glance: connection, pose drawing, live joints, plot and controls. */
export function OverviewPage() {
  const health = useHealth()
  const status = useStatus()
  const diagnostics = useDiagnostics()
  const [group, setGroup] = useState('body and antennas')
  const [windowS, setWindowS] = useState(20)
  return (
    <div className="grid overview" data-testid="page-overview">
      <section className="card area-robot">
        <h2>
          Robot <HealthBadge health={health.data} error={health.error} />
        </h2>
        {health.error && <p className="error">{health.error}</p>}
        <ConnectionCard status={status.data} diagnostics={diagnostics.data} />
      </section>
      <section className="card area-pose">
        <h2>Pose</h2>
        <LivePoseView />
      </section>
      <section className="card wide area-plot">
        <h2>
          Last
          <select value={windowS} aria-label="seconds plotted" onChange={(e) => setWindowS(Number(e.target.value))}>
            {[10, 20, 30].map((s) => (
              <option key={s} value={s}>
                {s} s
              </option>
            ))}
          </select>
          <select value={group} aria-label="joints plotted" onChange={(e) => setGroup(e.target.value)}>
            {Object.keys(PLOT_GROUPS).map((g) => (
              <option key={g}>{g}</option>
            ))}
          </select>
        </h2>
        <JointPlot joints={PLOT_GROUPS[group]} windowS={windowS} />
      </section>
      <section className="card area-joints">
        <h2>Joints</h2>
        <LiveJointTable />
      </section>
      <section className="card area-controls">
        <h2>Controls</h2>
        <Controls />
      </section>
    </div>
  )
}
