import { useCallback, useEffect, useState, useSyncExternalStore } from 'react'
import { useBackend } from '../backend'
import { describeApiError } from '../api/errors'
import type { DiagnosticsData } from '../ws/types'

export interface DiagnosticsState {
  data: DiagnosticsData | null
  error: string | null
}

/** Return the latest `/diagnostics` array: fetched once, then kept live by the WebSocket. */
export function useDiagnostics(): DiagnosticsState {
  const { api, socket } = useBackend()
  const subscribe = useCallback((cb: () => void) => socket.on('diagnostics', cb), [socket])
  const live = useSyncExternalStore(subscribe, () => socket.diagnostics)
  const [fetched, setFetched] = useState<DiagnosticsData | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    let current = true
    api.GET('/api/diagnostics').then(
      ({ data, error: body, response }) => {
        if (!current) return
        if (data) setFetched(data as DiagnosticsData)
        else setError(describeApiError(response.status, body))
      },
      (err: unknown) => current && setError(err instanceof Error ? err.message : String(err)),
    )
    return () => {
      current = false
    }
  }, [api])

  const data = live && (!fetched || live.stamp >= fetched.stamp) ? live : fetched
  return { data, error: data ? null : error }
}
