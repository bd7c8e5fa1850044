import { useCallback, useState } from 'react'
import { useBackend } from '../backend'
import type { CommandResult, GotoCommand, HeadPose, MotorMode, MoveCommandResult } from '../api/client'
import { describeApiError } from '../api/errors'

export type { HeadPose }

export interface CommandState {
  pending: boolean
  /** The server's reason for refusing the last command, or null when it was accepted. */
  error: string | null
  /** When the last accepted command was acknowledged, in ms since epoch. */
  acceptedAt: number | null
  /** The move the last accepted move command started or stopped. */
  moveId: string | null
}

/** How one command went: accepted, refused because a move runs, or refused otherwise. */
export type Outcome = 'accepted' | 'move_running' | 'refused'

interface Answer {
  data?: CommandResult | MoveCommandResult
  error?: unknown
  response: Response
}

/** The error code of an error body of the bridge, if it has one. */
function errorCode(body: unknown): string | null {
  if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string')
    return (body as { error: string }).error
  return null
}

/**
 * Send commands to the bridge with the token; keep the outcome of the last one.
 *
 * Streamed targets (`streamJoints`, `streamHeadPose`) refused because a move runs answer
 * 'move_running' without setting the error: the caller shows that the move has the joints.
 */
export function useCommands(token: string) {
  const { api } = useBackend()
  const [state, setState] = useState<CommandState>({ pending: false, error: null, acceptedAt: null, moveId: null })

  const run = useCallback(
    async (send: (headers: Record<string, string>) => Promise<Answer>, quietMoveRunning = false): Promise<Outcome> => {
      setState((s) => ({ ...s, pending: true }))
      try {
        const { data, error, response } = await send({ Authorization: `Bearer ${token}` })
        if (data && response.ok && data.ok !== false) {
          const moveId = 'move_id' in data ? (data.move_id ?? null) : null
          setState({ pending: false, error: null, acceptedAt: Date.now(), moveId })
          return 'accepted'
        }
        if (response.status === 409 && errorCode(error) === 'move_running') {
          if (quietMoveRunning) {
            setState((s) => ({ ...s, pending: false }))
            return 'move_running'
          }
          setState((s) => ({ ...s, pending: false, error: describeApiError(response.status, error) }))
          return 'move_running'
        }
        const reason = data ? data.message || 'refused' : describeApiError(response.status, error)
        setState((s) => ({ ...s, pending: false, error: reason }))
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        setState((s) => ({ ...s, pending: false, error: `bridge unreachable: ${message}` }))
      }
      return 'refused'
    },
    [token],
  )

  const sendJoints = useCallback(
    (goals: Record<string, number>) =>
      run((headers) => api.POST('/api/commands/joints', { body: { goals }, headers })),
    [api, run],
  )
  const sendHeadPose = useCallback(
    (pose: HeadPose) => run((headers) => api.POST('/api/commands/head_pose', { body: pose, headers })),
    [api, run],
  )
  const streamJoints = useCallback(
    (goals: Record<string, number>) =>
      run((headers) => api.POST('/api/commands/joints', { body: { goals }, headers }), true),
    [api, run],
  )
  const streamHeadPose = useCallback(
    (pose: HeadPose) => run((headers) => api.POST('/api/commands/head_pose', { body: pose, headers }), true),
    [api, run],
  )
  const sendTorque = useCallback(
    (enabled: boolean) =>
      run((headers) => api.POST('/api/commands/torque', { body: { enabled }, headers })),
    [api, run],
  )
  const sendGoto = useCallback(
    (goto: GotoCommand) => run((headers) => api.POST('/api/commands/goto', { body: goto, headers })),
    [api, run],
  )
  const sendStop = useCallback(
    () => run((headers) => api.POST('/api/commands/stop', { headers })),
    [api, run],
  )
  const sendWakeUp = useCallback(
    () => run((headers) => api.POST('/api/commands/wake_up', { headers })),
    [api, run],
  )
  const sendGotoSleep = useCallback(
    () => run((headers) => api.POST('/api/commands/goto_sleep', { headers })),
    [api, run],
  )
  const sendMotorMode = useCallback(
    (mode: MotorMode) =>
      run((headers) => api.POST('/api/commands/motor_mode', { body: { mode }, headers })),
    [api, run],
  )
  return {
    ...state,
    sendJoints,
    sendHeadPose,
    streamJoints,
    streamHeadPose,
    sendTorque,
    sendGoto,
    sendStop,
    sendWakeUp,
    sendGotoSleep,
    sendMotorMode,
  }
}
