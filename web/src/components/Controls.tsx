import { useEffect, useRef, useState } from 'react'
import type { Interpolation } from '../api/client'
import { useCommands, type HeadPose } from '../hooks/useCommands'
import { useMoves } from '../hooks/useMoves'
import { useToken } from '../hooks/useToken'
import { TargetStreamer } from '../stream'
import { MovePanel } from './MovePanel'
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
// The bridge's bounds of a goto's duration (interface/moves.py MAX_DURATION_S).
export const MAX_DURATION_S = 60
const INTERPOLATIONS: Interpolation[] = ['minjerk', 'linear', 'ease_in_out', 'cartoon']

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

/** Return the goto duration typed in the box, or null when it is not in (0, 60] s. */
export function parseDuration(text: string): number | null {
  const value = Number(text.trim())
  return text.trim() !== '' && Number.isFinite(value) && value > 0 && value <= MAX_DURATION_S ? value : null
}

/**
 * The robot's controls, locked until a token is given.
 *
 * Send buttons make a goto of the duration and interpolation set here; dragging a slider
 * streams its targets (at most 50 a second). The motion layer refuses targets while a move
 * runs: dragging then sends nothing and says why, until the move ends or is stopped.
 */
export function Controls() {
  const [token, setToken] = useToken()
  const commands = useCommands(token)
  const moves = useMoves()
  const [pose, setPose] = useState<PoseForm>(NEUTRAL)
  const [antennas, setAntennas] = useState({ right_antenna: 0, left_antenna: 0 })
  const [durationText, setDurationText] = useState('1.0')
  const [interpolation, setInterpolation] = useState<Interpolation>('minjerk')
  const [live, setLive] = useState(true)
  const [held, setHeld] = useState(false)
  const streamer = useRef<TargetStreamer | null>(null)
  if (!streamer.current) streamer.current = new TargetStreamer(setHeld)
  // A target still waiting for its period is dropped when the controls go away.
  useEffect(() => () => streamer.current?.stop(), [])
  const moveRunning = moves.running !== null
  useEffect(() => streamer.current?.hold(moveRunning), [moveRunning])

  const duration = parseDuration(durationText)
  const goto = (target: { head?: HeadPose; antennas?: [number, number] }) => {
    if (duration === null) return
    void commands.sendGoto({ ...target, duration, interpolation })
  }
  const stream = (send: () => ReturnType<typeof commands.streamJoints>) => {
    if (live) streamer.current?.push(send)
  }

  const setPoseField = (key: keyof PoseForm) => (v: number) => setPose((p) => ({ ...p, [key]: v }))
  const slidePose = (key: keyof PoseForm) => (v: number) => {
    const next = { ...pose, [key]: v }
    stream(() => commands.streamHeadPose(toHeadPose(next)))
  }
  const setAntenna = (key: 'right_antenna' | 'left_antenna') => (v: number) =>
    setAntennas((a) => ({ ...a, [key]: v }))
  const slideAntenna = (key: 'right_antenna' | 'left_antenna') => (v: number) => {
    const next = { ...antennas, [key]: v }
    stream(() => commands.streamJoints(next))
  }

  const locked = !token
  const mm = { min: -TRANSLATION_MM, max: TRANSLATION_MM, step: 1, unit: 'mm', disabled: locked }
  return (
    <div data-testid="controls">
      <TokenForm token={token} onToken={setToken} />
      <fieldset disabled={locked} style={{ border: 0, padding: 0, margin: '8px 0 0' }}>
        <h3>Moves</h3>
        <MovePanel
          moves={moves}
          onWakeUp={() => void commands.sendWakeUp()}
          onSleep={() => void commands.sendGotoSleep()}
          onStop={() => void commands.sendStop()}
        />
        <div className="row">
          <label className="row" style={{ gap: 4 }}>
            duration
            <input
              type="number"
              min={0.1}
              max={MAX_DURATION_S}
              step={0.1}
              value={durationText}
              style={{ width: 70 }}
              aria-label="goto duration (s)"
              aria-invalid={duration === null}
              data-testid="goto-duration"
              onChange={(e) => setDurationText(e.target.value)}
            />
            <span className="unit">s</span>
          </label>
          <label className="row" style={{ gap: 4 }}>
            interpolation
            <select
              value={interpolation}
              aria-label="goto interpolation"
              data-testid="goto-interpolation"
              onChange={(e) => setInterpolation(e.target.value as Interpolation)}
            >
              {INTERPOLATIONS.map((i) => (
                <option key={i} value={i}>
                  {i}
                </option>
              ))}
            </select>
          </label>
        </div>
        {duration === null && (
          <p className="error" data-testid="duration-error">
            The duration must be more than 0 and at most {MAX_DURATION_S} s.
          </p>
        )}
        <h3>Head pose (base frame)</h3>
        <SliderField id="control-head-x" label="x" {...mm} value={pose.x} onChange={setPoseField('x')} onSlide={slidePose('x')} />
        <SliderField id="control-head-y" label="y" {...mm} value={pose.y} onChange={setPoseField('y')} onSlide={slidePose('y')} />
        <SliderField id="control-head-z" label="z" {...mm} value={pose.z} onChange={setPoseField('z')} onSlide={slidePose('z')} />
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
            onSlide={slidePose(k)}
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
          onSlide={slidePose('yaw')}
        />
        <div className="row">
          <button
            type="button"
            className="primary"
            data-testid="send-head-pose"
            disabled={duration === null}
            onClick={() => goto({ head: toHeadPose(pose) })}
          >
            Send head pose
          </button>
          <button
            type="button"
            disabled={duration === null}
            onClick={() => {
              setPose(NEUTRAL)
              goto({ head: toHeadPose(NEUTRAL) })
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
            onSlide={slideAntenna(k)}
          />
        ))}
        <div className="row">
          <button
            type="button"
            className="primary"
            data-testid="send-antennas"
            disabled={duration === null}
            onClick={() => goto({ antennas: [antennas.right_antenna, antennas.left_antenna] })}
          >
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
            stream while dragging
          </label>
        </div>
      </fieldset>
      <p aria-live="polite">
        {held && (
          <span className="warn" data-testid="move-running-notice">
            A move is running: dragging sends nothing until it ends or is stopped.{' '}
          </span>
        )}
        {commands.error ? (
          <span className="error" role="alert" data-testid="command-error">
            Refused: {commands.error}
          </span>
        ) : commands.acceptedAt ? (
          <span className="muted" data-testid="command-ok">
            Accepted at {new Date(commands.acceptedAt).toLocaleTimeString()}
            {commands.moveId ? ` (move ${commands.moveId.slice(0, 8)})` : ''}
          </span>
        ) : null}
      </p>
    </div>
  )
}
