import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { screen, waitFor } from '@testing-library/react'
import { FakeBridge, HEALTHY } from '../test/fakeBridge'
import { renderWithBridge } from '../test/render'
import { StatusPage } from './StatusPage'
import { HealthPage } from './HealthPage'

describe('StatusPage', () => {
  let bridge: FakeBridge

  beforeEach(async () => {
    bridge = new FakeBridge().route('GET /system/status', {
      running: true,
      uptime: 3725,
      components: HEALTHY.components,
      component_details: {},
      config: HEALTHY.config,
      stats: { requests_count: 1234, active_connections: 3, memory_usage: 85.5, cpu_percent: 12.34 },
      robot: {
        joint_state_age_s: 0.004,
        joint_state_rate_hz: 199.4,
        diagnostics_age_s: 0.3,
        diagnostics: { ok: 12, warn: 1, error: 2, stale: 0 },
      },
    })
    await bridge.start()
  })

  afterEach(() => bridge.stop())

  it('shows uptime, requests, connections, memory, CPU and the robot summary', async () => {
    renderWithBridge(bridge, <StatusPage />)
    await waitFor(() => expect(screen.getByTestId('status-uptime').textContent).toBe('1 h 2 min'))
    expect(screen.getByTestId('status-requests').textContent).toBe('1234')
    expect(screen.getByTestId('status-connections').textContent).toBe('3')
    expect(screen.getByTestId('status-memory').textContent).toBe('85.5 MiB')
    expect(screen.getByTestId('status-cpu').textContent).toBe('12.3 %')
    expect(screen.getByTestId('status-joint-rate').textContent).toBe('199.4 Hz')
    expect(screen.getByTestId('status-diagnostics').textContent).toBe('12 OK, 1 WARN, 2 ERROR, 0 STALE')
  })

  it('shows the error when the bridge does not answer', async () => {
    await bridge.stop()
    renderWithBridge(bridge, <StatusPage />)
    expect(await screen.findByText(/fetch failed|Failed to fetch|ECONNREFUSED/)).toBeTruthy()
  })
})

describe('HealthPage', () => {
  let bridge: FakeBridge

  beforeEach(async () => {
    bridge = new FakeBridge()
      .route('GET /api/health', {
        ...HEALTHY,
        status: 'degraded',
        components: { ...HEALTHY.components, database: false },
      })
      .route('GET /system/status', {
        running: true,
        uptime: 10,
        components: { ...HEALTHY.components, database: false },
        component_details: {
          database: {
            healthy: false,
            state: 'failed',
            critical: false,
            uptime_s: null,
            start_duration_s: 0.1,
            restarts: 2,
            last_error: 'disk full',
          },
        },
        config: HEALTHY.config,
        stats: { requests_count: 1, active_connections: 0, memory_usage: 50, cpu_percent: 1 },
        robot: {
          joint_state_age_s: null,
          joint_state_rate_hz: 0,
          diagnostics_age_s: null,
          diagnostics: { ok: 0, warn: 0, error: 0, stale: 0 },
        },
      })
    await bridge.start()
  })

  afterEach(() => bridge.stop())

  it('lists each component with its state', async () => {
    renderWithBridge(bridge, <HealthPage />)
    await waitFor(() => expect(screen.getByTestId('component-database').textContent).toContain('down'))
    expect(screen.getByTestId('component-ros').textContent).toContain('up')
    expect(screen.getByTestId('health-status').textContent).toBe('degraded')
  })

  it('shows the service state, restarts and last error of a component', async () => {
    renderWithBridge(bridge, <HealthPage />)
    await waitFor(() => expect(screen.getByTestId('component-database').textContent).toContain('disk full'))
    expect(screen.getByTestId('component-database').textContent).toContain('failed')
    expect(screen.getByTestId('component-database').textContent).toContain('2 restarts')
  })

  it('checks again when asked', async () => {
    renderWithBridge(bridge, <HealthPage />)
    await screen.findByTestId('component-database')
    // Opening the WebSocket triggers a check of its own; count from after it.
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    const checks = () => bridge.requests.filter((r) => r.path === '/api/health').length
    await waitFor(() => expect(checks()).toBe(2))
    screen.getByTestId('health-refresh').click()
    await waitFor(() => expect(checks()).toBe(3))
  })
})

describe('HealthPage while the bridge restarts', () => {
  it('checks again as soon as the WebSocket drops and returns', async () => {
    const bridge = new FakeBridge().route('GET /api/health', HEALTHY)
    await bridge.start()
    renderWithBridge(bridge, <HealthPage />)
    await screen.findByTestId('component-ros')
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    const port = bridge.port
    await bridge.stop()
    await waitFor(() => expect(screen.getByTestId('health-error').textContent).toMatch(/Last check failed/))
    await bridge.start(port)
    await waitFor(() => expect(screen.queryByTestId('health-error')).toBeNull(), { timeout: 5000 })
    await bridge.stop()
  })
})
