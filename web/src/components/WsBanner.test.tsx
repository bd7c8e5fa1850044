import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { screen, waitFor } from '@testing-library/react'
import { FakeBridge } from '../test/fakeBridge'
import { renderWithBridge } from '../test/render'
import { WsBanner } from './WsBanner'

describe('WsBanner', () => {
  let bridge: FakeBridge

  beforeEach(async () => {
    bridge = new FakeBridge()
    await bridge.start()
  })

  afterEach(() => bridge.stop())

  it('is hidden while the WebSocket is open', async () => {
    renderWithBridge(bridge, <WsBanner />)
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    await waitFor(() => expect(screen.queryByTestId('ws-banner')).toBeNull())
  })

  it('appears when the bridge goes away and clears when it returns', async () => {
    renderWithBridge(bridge, <WsBanner />)
    await waitFor(() => expect(screen.queryByTestId('ws-banner')).toBeNull())
    const port = bridge.port
    await bridge.stop()
    expect((await screen.findByTestId('ws-banner')).textContent).toMatch(/reconnecting/)
    await bridge.start(port)
    await waitFor(() => expect(screen.queryByTestId('ws-banner')).toBeNull(), { timeout: 5000 })
  })
})
