import { useCallback, useEffect, useState, useSyncExternalStore } from 'react'
import { useBackend } from '../backend'
import { describeApiError } from '../api/errors'
import type { DiagnosticsSnapshot } from '../ws/snapshot'

export interface DiagnosticsState {
  data: DiagnosticsSnapshot | null
  error: string | null
}

/** Return the latest status of every diagnostic name: fetched once, then kept live by the WebSocket. */
export function useDiagnostics(): DiagnosticsState {
  const { api, socket } = useBackend()
  const subscribe = useCallback((cb: () => void) => socket.on('diagnostics', cb), [socket])
  const data = useSyncExternalStore(subscribe, () => socket.diagnostics)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    let current = true
    api.GET('/api/diagnostics').then(
      ({ data: body, error: problem, response }) => {
        if (!current) return
        if (!body) return setError(describeApiError(response.status, problem))
        const now = Date.now() / 1000
        socket.mergeDiagnostics(
          { stamp: body.stamp ?? now - (body.age_s ?? 0), status: body.statuses },
          body.statuses.map((s) => now - s.age_s),
        )
      },
      (err: unknown) => current && setError(err instanceof Error ? err.message : String(err)),
    )
    return () => {
      current = false
    }
  }, [api, socket])

  return { data, error: data ? null : error }
}
