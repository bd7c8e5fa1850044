import { useNow } from '../hooks/useNow'
import type { MoveOutcome, MovesState, RunningMoveState } from '../hooks/useMoves'

const KIND_NAMES: Record<string, string> = {
  goto: 'Goto',
  wake_up: 'Wake up',
  goto_sleep: 'Sleep',
  joint_trajectory: 'Joint trajectory',
  head_trajectory: 'Head trajectory',
}

function kindName(kind: string): string {
  return KIND_NAMES[kind] ?? kind
}

/** Return the seconds elapsed of a move at nowS (page clock), within [0, duration]. */
export function elapsedOf(move: RunningMoveState, nowS: number): number {
  return Math.min(move.duration, Math.max(0, nowS - move.startedAtMs / 1000))
}

/** The running move's elapsed time against its duration; re-renders 10 times a second. */
function MoveProgress({ move }: { move: RunningMoveState }) {
  const now = useNow(100)
  const elapsed = elapsedOf(move, now)
  return (
    <div data-testid="move-progress" data-move-id={move.moveId}>
      <span>
        {kindName(move.kind)} running: {elapsed.toFixed(1)} / {move.duration.toFixed(1)} s
      </span>
      <progress
        max={move.duration}
        value={elapsed}
        aria-label={`${kindName(move.kind)} progress`}
        style={{ width: '100%' }}
      />
    </div>
  )
}

function Outcome({ last }: { last: MoveOutcome }) {
  const className = last.event === 'completed' ? 'muted' : last.event === 'cancelled' ? 'warn' : 'error'
  return (
    <p>
      <span className="muted">Last move: </span>
      <span data-testid="move-outcome" data-event={last.event} data-move-id={last.moveId} className={className}>
        {kindName(last.kind)} {last.event}
        {last.reason ? `: ${last.reason}` : ''}
      </span>
    </p>
  )
}

interface Props {
  moves: MovesState
  onWakeUp: () => void
  onSleep: () => void
  onStop: () => void
}

/** Wake up, Sleep and Stop, the running move's progress and how the last move ended. */
export function MovePanel({ moves, onWakeUp, onSleep, onStop }: Props) {
  return (
    <div data-testid="move-panel">
      <div className="row">
        <button type="button" className="primary" data-testid="wake-up" onClick={onWakeUp}>
          Wake up
        </button>
        <button type="button" data-testid="goto-sleep" onClick={onSleep}>
          Sleep
        </button>
        {/* Never disabled: a move this page did not hear of can still be stopped. */}
        <button type="button" data-testid="stop-move" onClick={onStop}>
          Stop
        </button>
      </div>
      {moves.running ? <MoveProgress move={moves.running} /> : <p className="muted">No move running.</p>}
      {moves.last && <Outcome last={moves.last} />}
    </div>
  )
}
