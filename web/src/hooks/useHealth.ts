import { useEffect } from 'react'
import { useBackend } from '../backend'
import type { Health } from '../api/client'
import { describeApiError } from '../api/errors'
import { usePolling, type Polled } from './usePolling'

/**
 * Poll `/api/health` every `intervalMs` (10 s by default); a 503 still carries the report.
 *
 * The WebSocket dropping or coming back also triggers a check, so the page reacts at once
 * when the bridge goes away or returns.
 */
export function useHealth(intervalMs = 10000): Polled<Health> {
  const { api, socket } = useBackend()
  const polled = usePolling(
    async () => {
      const { data, error, response } = await api.GET('/api/health')
      if (data) return data
      if (response.status === 503 && error && typeof error === 'object' && 'components' in error)
        return error as Health
      throw new Error(describeApiError(response.status, error))
    },
    intervalMs,
    [api],
  )
  const { refresh } = polled
  useEffect(() => socket.on('state', () => socket.state !== 'connecting' && refresh()), [socket, refresh])
  return polled
}
