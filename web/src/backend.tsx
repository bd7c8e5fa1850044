import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react'
import { createApi, type Api } from './api/client'
import { defaultWsUrl, RobotSocket, type RobotSocketOptions } from './ws/robotSocket'

export interface Backend {
  api: Api
  socket: RobotSocket
}

const BackendContext = createContext<Backend | null>(null)

interface BackendProviderProps {
  /** Origin of the bridge's HTTP API; the page's own by default. */
  baseUrl?: string
  /** URL of the bridge's WebSocket; `/ws` on the page's own host by default. */
  wsUrl?: string
  socketOptions?: RobotSocketOptions
  children: ReactNode
}

/** Give every component below the API client and the one WebSocket to the bridge. */
export function BackendProvider({ baseUrl, wsUrl, socketOptions, children }: BackendProviderProps) {
  const backend = useMemo<Backend>(
    () => ({
      api: createApi(baseUrl),
      socket: new RobotSocket(wsUrl ?? defaultWsUrl(), socketOptions),
    }),
    // The options object is read once: a new socket per render would drop the connection.
    [baseUrl, wsUrl],
  )
  useEffect(() => {
    backend.socket.start()
    return () => backend.socket.stop()
  }, [backend])
  return <BackendContext.Provider value={backend}>{children}</BackendContext.Provider>
}

/** Return the API client and the WebSocket of the enclosing BackendProvider. */
export function useBackend(): Backend {
  const backend = useContext(BackendContext)
  if (!backend) throw new Error('useBackend must be used inside a BackendProvider')
  return backend
}
