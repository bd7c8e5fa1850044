import { useConnection } from '../hooks/useConnection'

/** Warn, while the WebSocket is down, that live values are frozen and a reconnection runs. */
export function WsBanner() {
  const state = useConnection()
  if (state === 'open') return null
  return (
    <div className="ws-banner" role="status" data-testid="ws-banner">
      {state === 'connecting' ? 'Connecting to the robot…' : 'Connection to the robot lost'} — live
      values are not updating; reconnecting automatically.
    </div>
  )
}
