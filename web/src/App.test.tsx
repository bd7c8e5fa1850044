import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { act, fireEvent, screen, waitFor } from '@testing-library/react'
import type { SystemStatus } from './api/client'
import { App, ROUTES } from './App'
import { ErrorBoundary } from './components/ErrorBoundary'
import { FakeBridge, HEALTHY } from './test/fakeBridge'
import { renderWithBridge } from './test/render'
import { navigate } from './router'

const STATUS = {
  running: true,
  uptime: 125,
  components: HEALTHY.components,
  component_details: {},
  config: HEALTHY.config,
  stats: { requests_count: 42, active_connections: 1, memory_usage: 85.5, cpu_percent: 3.2 },
  robot: {
    joint_state_age_s: 0.01,
    joint_state_rate_hz: 199.5,
    diagnostics_age_s: 0.5,
    diagnostics: { ok: 12, warn: 1, error: 0, stale: 0 },
  },
} satisfies SystemStatus

describe('App', () => {
  let bridge: FakeBridge

  beforeEach(async () => {
    bridge = new FakeBridge()
      .route('GET /api/health', HEALTHY)
      .route('GET /system/status', STATUS)
      .route('GET /api/diagnostics', { stamp: null, age_s: null, summary: STATUS.robot.diagnostics, statuses: [] })
      .route('GET /api/events', { items: [], total: 0, limit: 25, offset: 0 })
      .route('GET /api/telemetry', { joints: {} })
    await bridge.start()
  })

  afterEach(() => bridge.stop())

  it.each(ROUTES.map((r) => [r.path, r.page.name]))('renders the page of %s', async (path) => {
    window.history.replaceState(null, '', path)
    renderWithBridge(bridge, <App />)
    const id = path === '/' ? 'page-overview' : `page-${path.slice(1)}`
    expect(await screen.findByTestId(id)).toBeTruthy()
  })

  it('shows a not-found page for an unknown path', async () => {
    window.history.replaceState(null, '', '/nowhere')
    renderWithBridge(bridge, <App />)
    expect(await screen.findByTestId('page-not-found')).toBeTruthy()
  })

  it('changes page through the history API without reloading', async () => {
    renderWithBridge(bridge, <App />)
    await screen.findByTestId('page-overview')
    fireEvent.click(screen.getByRole('link', { name: 'Status' }))
    expect(window.location.pathname).toBe('/status')
    expect(await screen.findByTestId('page-status')).toBeTruthy()
    act(() => {
      window.history.back()
    })
    await waitFor(() => expect(window.location.pathname).toBe('/'))
    expect(await screen.findByTestId('page-overview')).toBeTruthy()
  })

  it('marks the current page in the navigation', async () => {
    renderWithBridge(bridge, <App />)
    act(() => navigate('/health'))
    await screen.findByTestId('page-health')
    expect(screen.getByRole('link', { name: 'Health' }).getAttribute('aria-current')).toBe('page')
  })

  it('links the API docs to the page the bridge serves', async () => {
    renderWithBridge(bridge, <App />)
    expect(screen.getByRole('link', { name: 'API docs' }).getAttribute('href')).toBe('/docs')
  })
})

describe('ErrorBoundary', () => {
  it('shows the error instead of a blank page', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    function Broken(): never {
      throw new Error('sensor table is empty')
    }
    renderWithBridge(new FakeBridge(), <ErrorBoundary><Broken /></ErrorBoundary>)
    expect(screen.getByTestId('error-fallback').textContent).toContain('sensor table is empty')
    spy.mockRestore()
  })
})
