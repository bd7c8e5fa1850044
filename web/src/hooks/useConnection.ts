import { useCallback, useSyncExternalStore } from 'react'
import { useBackend } from '../backend'
import type { ConnectionState } from '../ws/robotSocket'

/** Return the state of the WebSocket to the bridge: connecting, open or closed. */
export function useConnection(): ConnectionState {
  const { socket } = useBackend()
  const subscribe = useCallback((cb: () => void) => socket.on('state', cb), [socket])
  return useSyncExternalStore(subscribe, () => socket.state)
}
