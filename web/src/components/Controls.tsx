import { useEffect, useRef, useState } from 'react'
import { useCommands, type HeadPose } from '../hooks/useCommands'
import { useToken } from '../hooks/useToken'
import { SliderField } from './SliderField'
import { TokenForm } from './TokenForm'
import { HEAD_ENVELOPE, JOINT_LIMITS } from '../generated/robotTable'

const RAD = Math.PI / 180
// The head envelope of the robot table; the pose is in the base frame (zeros = neutral head).
const TRANSLATION_MM = HEAD_ENVELOPE.maxTranslationM * 1000
const ROLL_PITCH_DEG = Math.min(HEAD_ENVELOPE.maxRollDeg, HEAD_ENVELOPE.maxPitchDeg)
// The head's yaw in the base frame: anywhere the body (±160°) and the head on it (±65°) reach;
// the bridge refuses a yaw more than 65° from the present body yaw.
const YAW_DEG = Math.min(
  HEAD_ENVELOPE.maxHeadYawDeg,
  HEAD_ENVELOPE.maxBodyYawDeg + HEAD_ENVELOPE.maxRelativeYawDeg,
)
// The antennas' limits rounded inward to the slider's 0.001 rad, so that no end is refused.
const ANTENNA_RAD =
  Math.floor(
    Math.min(-JOINT_LIMITS.right_antenna.lower, JOINT_LIMITS.right_antenna.upper) * 1000,
  ) / 1000
// Live mode sends at most 10 commands a second while a slider moves.
const LIVE_PERIOD_MS = 100

interface PoseForm {
  x: number
  y: number
  z: number
  roll: number
  pitch: number
  yaw: number
}

const NEUTRAL: PoseForm = { x: 0, y: 0, z: 0, roll: 0, pitch: 0, yaw: 0 }

/** Convert the form (mm and degrees) to a head pose command (m and rad). */
export function toHeadPose(f: PoseForm): HeadPose {
  return {
    x: f.x / 1000,
    y: f.y / 1000,
    z: f.z / 1000,
    roll: f.roll * RAD,
    pitch: f.pitch * RAD,
    yaw: f.yaw * RAD,
  }
}

/** Sliders for the head pose and antennas, and torque on/off; locked until a token is given. */
export function Controls() {
  const [token, setToken] = useToken()
  const commands = useCommands(token)
  const [pose, setPose] = useState<PoseForm>(NEUTRAL)
  const [antennas, setAntennas] = useState({ right_antenna: 0, left_antenna: 0 })
  const [live, setLive] = useState(false)
  const liveTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const pending = useRef<(() => void) | null>(null)
  // A command still waiting for its period is dropped when the controls go away.
  useEffect(
    () => () => {
      if (liveTimer.current) clearTimeout(liveTimer.current)
    },
    [],
  )

  const sendLive = (send: () => void) => {
    if (!live) return
    pending.current = send
    if (liveTimer.current) return
    liveTimer.current = setTimeout(() => {
      liveTimer.current = null
      pending.current?.()
      pending.current = null
    }, LIVE_PERIOD_MS)
  }

  const setPoseField = (key: keyof PoseForm) => (v: number) => {
    const next = { ...pose, [key]: v }
    setPose(next)
    sendLive(() => void commands.sendHeadPose(toHeadPose(next)))
  }
  const setAntenna = (key: 'right_antenna' | 'left_antenna') => (v: number) => {
    const next = { ...antennas, [key]: v }
    setAntennas(next)
    sendLive(() => void commands.sendJoints(next))
  }

  const locked = !token
  const mm = { min: -TRANSLATION_MM, max: TRANSLATION_MM, step: 1, unit: 'mm', disabled: locked }
  return (
    <div data-testid="controls">
      <TokenForm token={token} onToken={setToken} />
      <fieldset disabled={locked} style={{ border: 0, padding: 0, margin: '8px 0 0' }}>
        <h3>Head pose (base frame)</h3>
        <SliderField id="control-head-x" label="x" {...mm} value={pose.x} onChange={setPoseField('x')} />
        <SliderField id="control-head-y" label="y" {...mm} value={pose.y} onChange={setPoseField('y')} />
        <SliderField id="control-head-z" label="z" {...mm} value={pose.z} onChange={setPoseField('z')} />
        {(['roll', 'pitch'] as const).map((k) => (
          <SliderField
            key={k}
            id={`control-head-${k}`}
            label={k}
            min={-ROLL_PITCH_DEG}
            max={ROLL_PITCH_DEG}
            step={1}
            unit="°"
            disabled={locked}
            value={pose[k]}
            onChange={setPoseField(k)}
          />
        ))}
        <SliderField
          id="control-head-yaw"
          label="yaw"
          min={-YAW_DEG}
          max={YAW_DEG}
          step={1}
          unit="°"
          disabled={locked}
          value={pose.yaw}
          onChange={setPoseField('yaw')}
        />
        <div className="row">
          <button type="button" className="primary" data-testid="send-head-pose" onClick={() => void commands.sendHeadPose(toHeadPose(pose))}>
            Send head pose
          </button>
          <button
            type="button"
            onClick={() => {
              setPose(NEUTRAL)
              void commands.sendHeadPose(toHeadPose(NEUTRAL))
            }}
          >
            Neutral
          </button>
        </div>
        <h3>Antennas</h3>
        {(['right_antenna', 'left_antenna'] as const).map((k) => (
          <SliderField
            key={k}
            id={`control-${k}`}
            label={k === 'right_antenna' ? 'right' : 'left'}
            min={-ANTENNA_RAD}
            max={ANTENNA_RAD}
            step={0.01}
            unit="rad"
            disabled={locked}
            value={antennas[k]}
            onChange={setAntenna(k)}
          />
        ))}
        <div className="row">
          <button type="button" className="primary" data-testid="send-antennas" onClick={() => void commands.sendJoints(antennas)}>
            Send antennas
          </button>
        </div>
        <h3>Torque</h3>
        <div className="row">
          <button type="button" data-testid="torque-on" onClick={() => void commands.sendTorque(true)}>
            Torque on
          </button>
          <button type="button" data-testid="torque-off" onClick={() => void commands.sendTorque(false)}>
            Torque off
          </button>
          <label className="row" style={{ gap: 4 }}>
            <input type="checkbox" checked={live} data-testid="live-toggle" onChange={(e) => setLive(e.target.checked)} />
            send while dragging
          </label>
        </div>
      </fieldset>
      <p aria-live="polite">
        {commands.error ? (
          <span className="error" role="alert" data-testid="command-error">
            Refused: {commands.error}
          </span>
        ) : commands.acceptedAt ? (
          <span className="muted" data-testid="command-ok">
            Accepted at {new Date(commands.acceptedAt).toLocaleTimeString()}
          </span>
        ) : null}
      </p>
    </div>
  )
}
