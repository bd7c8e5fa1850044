import { useBackend } from '../backend'
import type { Telemetry } from '../api/client'
import { describeApiError } from '../api/errors'
import { usePolling, type Polled } from './usePolling'

/** Load the recorded telemetry of one joint over the last `windowS` seconds; refresh every 5 s. */
export function useTelemetry(joint: string, windowS: number, maxPoints = 300): Polled<Telemetry> {
  const { api, socket } = useBackend()
  return usePolling(
    async () => {
      const since = socket.robotNow() - windowS
      const { data, error, response } = await api.GET('/api/telemetry', {
        params: { query: { joint, since, max_points: maxPoints } },
      })
      if (data) return data
      throw new Error(describeApiError(response.status, error))
    },
    5000,
    [api, socket, joint, windowS, maxPoints],
  )
}
