import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fireEvent, screen, waitFor } from '@testing-library/react'
import type { EventPage, RobotEvent } from '../api/client'
import { FakeBridge, type Recorded } from '../test/fakeBridge'
import { renderWithBridge } from '../test/render'
import { EventsPage } from './EventsPage'

const TOTAL = 60

/** Answer like the bridge: newest first, filtered, paged. */
function events(req: Recorded) {
  const minLevel = Number(req.query.get('min_level') ?? 0)
  const source = req.query.get('source')
  const limit = Number(req.query.get('limit') ?? 100)
  const offset = Number(req.query.get('offset') ?? 0)
  const all = Array.from(
    { length: TOTAL },
    (_, i) =>
      ({
        id: TOTAL - i,
        time: 1700000000 + TOTAL - i,
        level: i % 3,
        source: i % 2 ? 'bridge_node' : 'hardware_node',
        kind: 'test',
        message: `event ${TOTAL - i}`,
        details: {},
      }) satisfies RobotEvent,
  ).filter((e) => e.level >= minLevel && (!source || e.source === source))
  return { body: { items: all.slice(offset, offset + limit), total: all.length, limit, offset } satisfies EventPage }
}

describe('EventsPage', () => {
  let bridge: FakeBridge

  beforeEach(async () => {
    bridge = new FakeBridge().route('GET /api/events', events).route('GET /api/telemetry', (req: Recorded) => ({
      body: {
        joints: {
          [req.query.get('joint') ?? '']: [
            { start: 1, end: 2, count: 10, mean: 0.1, min: 0, max: 0.2, last: 0.2 },
            { start: 2, end: 3, count: 10, mean: 0.3, min: 0.2, max: 0.4, last: 0.4 },
          ],
        },
      },
    }))
    await bridge.start()
  })

  afterEach(() => bridge.stop())

  it('shows the first page of events, newest first', async () => {
    renderWithBridge(bridge, <EventsPage />)
    await waitFor(() => expect(screen.getAllByTestId('event-row')).toHaveLength(25))
    expect(screen.getAllByTestId('event-row')[0].textContent).toContain('event 60')
    expect(screen.getByTestId('events-range').textContent).toBe('1–25 of 60')
  })

  it('pages to older events', async () => {
    renderWithBridge(bridge, <EventsPage />)
    await waitFor(() => expect(screen.getAllByTestId('event-row')).toHaveLength(25))
    fireEvent.click(screen.getByTestId('events-older'))
    await waitFor(() => expect(screen.getAllByTestId('event-row')[0].textContent).toContain('event 35'))
    expect(bridge.requests.at(-1)?.query.get('offset')).toBe('25')
  })

  it('filters by level and source on the server', async () => {
    renderWithBridge(bridge, <EventsPage />)
    await waitFor(() => expect(screen.getAllByTestId('event-row')).toHaveLength(25))
    fireEvent.change(screen.getByTestId('events-level'), { target: { value: '2' } })
    fireEvent.change(screen.getByTestId('events-source'), { target: { value: 'hardware_node' } })
    fireEvent.click(screen.getByTestId('events-filter'))
    await waitFor(() => expect(screen.getByTestId('events-range').textContent).toBe('1–10 of 10'))
    const last = bridge.requests.filter((r) => r.path === '/api/events').at(-1)
    expect(last?.query.get('min_level')).toBe('2')
    expect(last?.query.get('source')).toBe('hardware_node')
  })

  it('reloads when the server pushes a new event', async () => {
    renderWithBridge(bridge, <EventsPage />)
    await waitFor(() => expect(screen.getAllByTestId('event-row')).toHaveLength(25))
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    const before = bridge.requests.filter((r) => r.path === '/api/events').length
    bridge.broadcast({
      type: 'events',
      data: { time: 1, level: 2, source: 'hardware_node', kind: 'command', message: 'new', details: {} },
    })
    await waitFor(() => expect(bridge.requests.filter((r) => r.path === '/api/events').length).toBe(before + 1), {
      timeout: 5000,
    })
  })

  it('plots the telemetry of the chosen joint', async () => {
    renderWithBridge(bridge, <EventsPage />)
    expect(await screen.findByTestId('telemetry-chart')).toBeTruthy()
    fireEvent.change(screen.getByTestId('telemetry-joint'), { target: { value: 'yaw_body' } })
    await waitFor(() =>
      expect(bridge.requests.filter((r) => r.path === '/api/telemetry').at(-1)?.query.get('joint')).toBe('yaw_body'),
    )
  })
})
