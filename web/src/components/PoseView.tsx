import type { JointStatesData } from '../generated/ws'
import { positionOf } from '../hooks/useJointStream'
import { PALETTE } from './JointPlot'

// The same colours as the plot's "body and antennas" lines.
const [BODY_COLOR, RIGHT_COLOR, LEFT_COLOR] = PALETTE

const DEG = 180 / Math.PI
// 1 mm of head translation is drawn as 1.2 px so that the ±50 mm envelope fits the view.
const PX_PER_M = 1200

function get(sample: JointStatesData | null, name: string): number {
  return positionOf(sample, name) ?? 0
}

/** Draw the head pose, body yaw and antennas from above, from the front and from the side. */
export function PoseView({ sample }: { sample: JointStatesData | null }) {
  const x = get(sample, 'head_x')
  const y = get(sample, 'head_y')
  const z = get(sample, 'head_z')
  const roll = get(sample, 'head_roll')
  const pitch = get(sample, 'head_pitch')
  const yaw = get(sample, 'head_yaw')
  const body = get(sample, 'yaw_body')
  const right = get(sample, 'right_antenna')
  const left = get(sample, 'left_antenna')

  return (
    <svg className="pose" viewBox="0 0 360 150" role="img" aria-label="head pose in the base frame, body yaw and antennas" data-testid="pose-view">
      <g fill="none" stroke="currentColor" strokeWidth="1.5">
        {/* Top view in the base frame (x forward is up): body yaw turns the body; the head's
            pose is the base frame's too, so it does not turn with the body. */}
        <g transform="translate(60 70)">
          <circle r="40" strokeOpacity="0.4" />
          <line x1="0" y1="0" x2="0" y2="-40" strokeOpacity="0.4" strokeDasharray="3 3" />
          <line x1="0" y1="0" x2="0" y2="-38" stroke={BODY_COLOR} strokeWidth="3" transform={`rotate(${-body * DEG})`} />
          <g transform={`translate(${-y * PX_PER_M} ${-x * PX_PER_M}) rotate(${-yaw * DEG})`}>
            <rect x="-22" y="-16" width="44" height="32" rx="10" />
            <circle cx="-9" cy="-16" r="3" fill="currentColor" />
            <circle cx="9" cy="-16" r="3" fill="currentColor" />
          </g>
        </g>
        {/* Front view: roll tilts the head, y moves it sideways, z up; antennas on top. */}
        <g transform="translate(180 85)">
          <line x1="-50" y1="40" x2="50" y2="40" strokeOpacity="0.4" />
          <g transform={`translate(${-y * PX_PER_M} ${-z * PX_PER_M}) rotate(${roll * DEG})`}>
            <rect x="-30" y="-20" width="60" height="40" rx="12" />
            <circle cx="-12" cy="-2" r="5" />
            <circle cx="12" cy="-2" r="5" />
            {/* The robot's right antenna is on the viewer's left when facing it. */}
            <line x1="-16" y1="-20" x2="-16" y2="-50" transform={`rotate(${-right * DEG} -16 -20)`} stroke={RIGHT_COLOR} strokeWidth="3" />
            <line x1="16" y1="-20" x2="16" y2="-50" transform={`rotate(${left * DEG} 16 -20)`} stroke={LEFT_COLOR} strokeWidth="3" />
          </g>
        </g>
        {/* Side view: pitch nods the head, x forward is to the right, z up. */}
        <g transform="translate(300 85)">
          <line x1="-45" y1="40" x2="45" y2="40" strokeOpacity="0.4" />
          <g transform={`translate(${x * PX_PER_M} ${-z * PX_PER_M}) rotate(${pitch * DEG})`}>
            <rect x="-22" y="-20" width="44" height="40" rx="12" />
            <circle cx="22" cy="-2" r="4" fill="currentColor" />
          </g>
        </g>
      </g>
      <g fontSize="10" fill="currentColor" textAnchor="middle">
        <text x="60" y="140">top (base frame): body {fmtDeg(body)}, head yaw {fmtDeg(yaw)}</text>
        <text x="180" y="140">front: roll {fmtDeg(roll)}, z {fmtMm(z)}</text>
        <text x="300" y="140">side: pitch {fmtDeg(pitch)}, x {fmtMm(x)}</text>
      </g>
    </svg>
  )
}

function fmtDeg(rad: number): string {
  return `${(rad * DEG).toFixed(0)}°`
}

function fmtMm(m: number): string {
  return `${(m * 1000).toFixed(0)} mm`
}
