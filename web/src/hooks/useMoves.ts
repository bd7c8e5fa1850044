import { useEffect, useState } from 'react'
import { useBackend } from '../backend'
import type { MoveEventData, MoveKind } from '../generated/ws'

/** The move that runs, as far as this page knows. */
export interface RunningMoveState {
  moveId: string
  kind: MoveKind | string
  /** Seconds. */
  duration: number
  /** Page time (ms since epoch) at which the move started, on this page's clock. */
  startedAtMs: number
}

/** How the last move that ended ended. */
export interface MoveOutcome {
  moveId: string
  kind: MoveKind | string
  event: 'completed' | 'cancelled' | 'failed'
  reason: string
}

export interface MovesState {
  running: RunningMoveState | null
  last: MoveOutcome | null
}

/** Apply one move event to the state. */
export function applyMoveEvent(state: MovesState, move: MoveEventData, nowMs: number): MovesState {
  if (move.event === 'started') {
    return {
      ...state,
      running: { moveId: move.move_id, kind: move.kind, duration: move.duration, startedAtMs: nowMs },
    }
  }
  const running = state.running?.moveId === move.move_id ? null : state.running
  return { running, last: { moveId: move.move_id, kind: move.kind, event: move.event, reason: move.reason } }
}

/**
 * Follow the robot's moves: the running one (from GET /api/moves/running at first, then the
 * WebSocket's moves channel) and the outcome of the last one that ended.
 */
export function useMoves(): MovesState {
  const { api, socket } = useBackend()
  const [state, setState] = useState<MovesState>({ running: null, last: null })
  useEffect(() => {
    let live = false
    const off = socket.onMove((move) => {
      live = true
      setState((s) => applyMoveEvent(s, move, Date.now()))
    })
    // A move that started before this page opened: only the list knows it.
    void api
      .GET('/api/moves/running')
      .then(({ data }) => {
        const move = data?.at(-1)
        if (!move || live) return
        const startedAtMs = Date.now() - move.elapsed * 1000
        setState((s) =>
          s.running ? s : { ...s, running: { moveId: move.move_id, kind: move.kind, duration: move.duration, startedAtMs } },
        )
      })
      .catch(() => {
        // The bridge is unreachable: the moves channel tells once it is back.
      })
    return off
  }, [api, socket])
  return state
}
