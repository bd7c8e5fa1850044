import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { screen, waitFor, within } from '@testing-library/react'
import type { components } from '../api/schema'
import { FakeBridge } from '../test/fakeBridge'
import { renderWithBridge } from '../test/render'
import { DiagnosticsPage } from './DiagnosticsPage'

function status(name: string, level: number, message: string, values: Record<string, string> = {}) {
  return {
    name,
    level,
    message,
    hardware_id: 'reachy_mini',
    values,
    age_s: 0.2,
  } satisfies components['schemas']['DiagnosticStatusModel']
}

describe('DiagnosticsPage', () => {
  let bridge: FakeBridge

  beforeEach(async () => {
    bridge = new FakeBridge().route('GET /api/diagnostics', {
      stamp: Date.now() / 1000,
      age_s: 0.2,
      summary: { ok: 2, warn: 0, error: 1, stale: 0 },
      statuses: [
        status('hardware_node: Bus', 0, 'connected', { achieved_rate_hz: '199.8', state: 'connected' }),
        status('hardware_node: Motor stewart_3', 2, 'hardware error: overheating', {
          temperature: '71.0',
          voltage: '5.0',
          hardware_error: '4',
          torque: 'off',
          comm_errors: '0',
        }),
        status('bridge_node: database', 0, 'ok'),
      ],
    })
    await bridge.start()
  })

  afterEach(() => bridge.stop())

  it('lists the node with an error first and its error first', async () => {
    renderWithBridge(bridge, <DiagnosticsPage />)
    const group = await screen.findByTestId('diag-group-hardware_node')
    const groups = screen.getAllByTestId(/^diag-group-/)
    expect(groups[0]).toBe(group)
    const rows = within(group).getAllByTestId(/^diag-hardware_node: /)
    expect(rows[0].getAttribute('data-testid')).toBe('diag-hardware_node: Motor stewart_3')
  })

  it('decodes the hardware error bits of each motor', async () => {
    renderWithBridge(bridge, <DiagnosticsPage />)
    const row = await screen.findByTestId('motor-stewart_3')
    expect(row.textContent).toContain('overheating')
    expect(row.textContent).toContain('71.0 °C')
    expect(row.textContent).toContain('5.0 V')
  })

  it('updates a status pushed over the WebSocket', async () => {
    renderWithBridge(bridge, <DiagnosticsPage />)
    await screen.findByTestId('motor-stewart_3')
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    bridge.broadcast({
      type: 'diagnostics',
      data: {
        stamp: Date.now() / 1000,
        status: [
          {
            name: 'hardware_node: Motor stewart_3',
            level: 0,
            message: 'ok',
            hardware_id: 'reachy_mini',
            values: { temperature: '40.0', voltage: '5.0', hardware_error: '0' },
          },
        ],
      },
    })
    await waitFor(() => expect(screen.getByTestId('motor-stewart_3').textContent).toContain('40.0 °C'))
    // Statuses of other publishers are kept, not replaced by the partial array.
    expect(screen.getByTestId('diag-bridge_node: database')).toBeTruthy()
  })
})
