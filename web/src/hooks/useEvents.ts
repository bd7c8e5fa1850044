import { useEffect, useRef } from 'react'
import { useBackend } from '../backend'
import type { EventPage, EventsQuery } from '../api/client'
import { describeApiError } from '../api/errors'
import { usePolling, type Polled } from './usePolling'

/**
 * Load one page of the event log; reload when the server pushes a new event.
 *
 * Reloads triggered by pushed events are spaced by at least 1 s so that a burst of events
 * costs one request, not one per event.
 */
export function useEvents(query: EventsQuery): Polled<EventPage> {
  const { api, socket } = useBackend()
  const key = JSON.stringify(query)
  const polled = usePolling(
    async () => {
      const { data, error, response } = await api.GET('/api/events', { params: { query } })
      if (data) return data
      throw new Error(describeApiError(response.status, error))
    },
    30000,
    [api, key],
  )
  const refresh = useRef(polled.refresh)
  refresh.current = polled.refresh
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null
    const off = socket.onEvent(() => {
      if (timer) return
      timer = setTimeout(() => {
        timer = null
        refresh.current()
      }, 1000)
    })
    return () => {
      off()
      if (timer) clearTimeout(timer)
    }
  }, [socket])
  return polled
}
