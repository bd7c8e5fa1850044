import { useBackend } from '../backend'
import type { SystemStatus } from '../api/client'
import { describeApiError } from '../api/errors'
import { usePolling, type Polled } from './usePolling'

/** Poll `/system/status` (uptime, request counts, resources, robot summary). */
export function useStatus(intervalMs = 2000): Polled<SystemStatus> {
  const { api } = useBackend()
  return usePolling(
    async () => {
      const { data, error, response } = await api.GET('/system/status')
      if (data) return data
      throw new Error(describeApiError(response.status, error))
    },
    intervalMs,
    [api],
  )
}
