import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { screen, waitFor } from '@testing-library/react'
import type { Health } from '../api/client'
import { FakeBridge, HEALTHY } from '../test/fakeBridge'
import { renderWithBridge } from '../test/render'
import { OverviewPage } from './OverviewPage'

describe('OverviewPage', () => {
  let bridge: FakeBridge

  beforeEach(async () => {
    bridge = new FakeBridge().route('GET /api/health', HEALTHY)
    await bridge.start()
  })

  afterEach(() => bridge.stop())

  it('shows each streamed joint position in rad with 3 decimals', async () => {
    renderWithBridge(bridge, <OverviewPage />)
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    bridge.sendJoints({ right_antenna: 0.5, yaw_body: -0.12345 })
    expect((await screen.findByTestId('joint-right_antenna')).textContent).toBe('0.500')
    expect(screen.getByTestId('joint-yaw_body').textContent).toBe('-0.123')
  })

  it('follows the stream as positions change', async () => {
    renderWithBridge(bridge, <OverviewPage />)
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    bridge.sendJoints({ right_antenna: 0.1 })
    await screen.findByText('0.100')
    bridge.sendJoints({ right_antenna: 0.9 })
    await waitFor(() => expect(screen.getByTestId('joint-right_antenna').textContent).toBe('0.900'))
  })

  it('shows the achieved loop rate from the Bus diagnostics', async () => {
    renderWithBridge(bridge, <OverviewPage />)
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    bridge.broadcast({
      type: 'diagnostics',
      data: {
        stamp: Date.now() / 1000,
        status: [
          {
            name: 'hardware_node: Bus',
            level: 0,
            message: 'connected',
            hardware_id: 'reachy_mini',
            values: { achieved_rate_hz: '199.46', configured_rate_hz: '200.0', state: 'connected' },
          },
        ],
      },
    })
    await waitFor(() => expect(screen.getByTestId('loop-rate').textContent).toBe('199.5 Hz of 200 Hz'))
  })

  it('shows the health reported by the bridge', async () => {
    renderWithBridge(bridge, <OverviewPage />)
    await waitFor(() => expect(screen.getByTestId('health-status').textContent).toBe('healthy'))
  })

  it('shows an unhealthy bridge answering 503', async () => {
    bridge.route('GET /api/health', () => ({
      status: 503,
      body: { ...HEALTHY, status: 'unhealthy', components: { ...HEALTHY.components, ros: false } } satisfies Health,
    }))
    renderWithBridge(bridge, <OverviewPage />)
    await waitFor(() => expect(screen.getByTestId('health-status').textContent).toBe('unhealthy'))
  })
})
