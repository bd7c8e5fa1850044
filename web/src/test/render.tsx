import { render } from '@testing-library/react'
import type { ReactNode } from 'react'
import { BackendProvider } from '../backend'
import type { FakeBridge } from './fakeBridge'

/** Render `ui` connected to the fake bridge, with quick reconnection for tests. */
export function renderWithBridge(bridge: FakeBridge, ui: ReactNode) {
  return render(
    <BackendProvider
      baseUrl={bridge.baseUrl}
      wsUrl={bridge.wsUrl}
      socketOptions={{ initialDelayMs: 50, maxDelayMs: 200 }}
    >
      {ui}
    </BackendProvider>,
  )
}
