import { useCallback, useState } from 'react'
import { useBackend } from '../backend'
import type { CommandResult, HeadPose } from '../api/client'
import { describeApiError } from '../api/errors'

export type { HeadPose }

export interface CommandState {
  pending: boolean
  /** The server's reason for refusing the last command, or null when it was accepted. */
  error: string | null
  /** When the last accepted command was acknowledged, in ms since epoch. */
  acceptedAt: number | null
}

/** Send commands to the bridge with the token; keep the outcome of the last one. */
export function useCommands(token: string) {
  const { api } = useBackend()
  const [state, setState] = useState<CommandState>({ pending: false, error: null, acceptedAt: null })

  const run = useCallback(
    async (
      send: (headers: Record<string, string>) => Promise<{ data?: CommandResult; error?: unknown; response: Response }>,
    ) => {
      setState((s) => ({ ...s, pending: true }))
      try {
        const { data, error, response } = await send({ Authorization: `Bearer ${token}` })
        if (data && response.ok && data.ok !== false) {
          setState({ pending: false, error: null, acceptedAt: Date.now() })
          return true
        }
        const reason = data ? data.message || 'refused' : describeApiError(response.status, error)
        setState((s) => ({ ...s, pending: false, error: reason }))
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        setState((s) => ({ ...s, pending: false, error: `bridge unreachable: ${message}` }))
      }
      return false
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
  const sendTorque = useCallback(
    (enabled: boolean) =>
      run((headers) => api.POST('/api/commands/torque', { body: { enabled }, headers })),
    [api, run],
  )
  return { ...state, sendJoints, sendHeadPose, sendTorque }
}
