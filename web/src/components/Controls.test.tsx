import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fireEvent, screen, waitFor } from '@testing-library/react'
import type { CommandResult, MoveCommandResult } from '../api/client'
import type { MoveEventData } from '../generated/ws'
import { FakeBridge, type ErrorBody } from '../test/fakeBridge'
import { renderWithBridge } from '../test/render'
import { Controls, parseDuration, toHeadPose } from './Controls'

const accepted = (command: string) => ({ ok: true, command, message: `${command} accepted` }) satisfies CommandResult
const started = (command: string, moveId: string) =>
  ({ ok: true, command, move_id: moveId, message: `${command} started` }) satisfies MoveCommandResult
const MOVE_RUNNING = {
  status: 409,
  body: {
    error: 'move_running',
    message: "the hardware node refused the joint command: move_running: goto 'g-1' runs",
    timestamp: 1,
  },
} satisfies { status: number; body: ErrorBody }

function moveEvent(data: Partial<MoveEventData> & Pick<MoveEventData, 'move_id' | 'event'>): MoveEventData {
  return { kind: 'goto', reason: '', duration: 2, time: Date.now() / 1000, ...data }
}

/** Wait until the page's WebSocket is connected and subscribed. */
async function connected(bridge: FakeBridge) {
  await waitFor(() => expect(bridge.received.some((m) => m.type === 'subscribe')).toBe(true))
}

function unlock(token: string) {
  fireEvent.change(screen.getByTestId('token-input'), { target: { value: token } })
  fireEvent.click(screen.getByTestId('token-submit'))
}

describe('toHeadPose', () => {
  it('converts mm and degrees to m and rad', () => {
    const pose = toHeadPose({ x: 10, y: -30, z: 0, roll: 40, pitch: 0, yaw: -65 })
    expect(pose.x).toBeCloseTo(0.01)
    expect(pose.y).toBeCloseTo(-0.03)
    expect(pose.roll).toBeCloseTo((40 * Math.PI) / 180)
    expect(pose.yaw).toBeCloseTo((-65 * Math.PI) / 180)
  })
})

describe('parseDuration', () => {
  it('takes seconds in (0, 60]', () => {
    expect(parseDuration('1.5')).toBe(1.5)
    expect(parseDuration(' 60 ')).toBe(60)
    for (const text of ['', '0', '-1', '60.01', 'abc', 'NaN', 'Infinity']) expect(parseDuration(text)).toBeNull()
  })
})

describe('Controls', () => {
  let bridge: FakeBridge

  beforeEach(async () => {
    bridge = new FakeBridge()
      .route('POST /api/commands/joints', accepted('joints'))
      .route('POST /api/commands/head_pose', accepted('head_pose'))
      .route('POST /api/commands/torque', accepted('torque'))
      .route('POST /api/commands/goto', started('goto', 'g-1'))
      .route('POST /api/commands/wake_up', started('wake_up', 'w-1'))
      .route('POST /api/commands/goto_sleep', started('goto_sleep', 's-1'))
      .route('POST /api/commands/stop', started('stop', 'g-1'))
      .route('GET /api/moves/running', [])
    await bridge.start()
  })

  afterEach(() => bridge.stop())

  it('stays locked until a token is entered', () => {
    renderWithBridge(bridge, <Controls />)
    expect((screen.getByTestId('send-antennas') as HTMLButtonElement).closest('fieldset')?.disabled).toBe(true)
    unlock('secret')
    expect((screen.getByTestId('send-antennas') as HTMLButtonElement).closest('fieldset')?.disabled).toBe(false)
  })

  it('keeps the token in sessionStorage', () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    expect(Object.values({ ...window.sessionStorage })).toContain('secret')
  })

  const gotos = () => bridge.requests.filter((r) => r.path === '/api/commands/goto')

  it('sends the antennas as a goto with the bearer token, the duration and the interpolation', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.change(screen.getByTestId('control-right_antenna-value'), { target: { value: '1.2' } })
    fireEvent.change(screen.getByTestId('goto-duration'), { target: { value: '2.5' } })
    fireEvent.change(screen.getByTestId('goto-interpolation'), { target: { value: 'cartoon' } })
    fireEvent.click(screen.getByTestId('send-antennas'))
    await screen.findByTestId('command-ok')
    const sent = gotos()[0]
    expect(sent?.headers.authorization).toBe('Bearer secret')
    expect(sent?.body).toEqual({ antennas: [1.2, 0], duration: 2.5, interpolation: 'cartoon' })
    // Typing in a number box sets the target of the next goto; it streams nothing.
    expect(bridge.requests.filter((r) => r.path === '/api/commands/joints')).toHaveLength(0)
    expect(screen.getByTestId('command-ok').textContent).toContain('move g-1')
  })

  it('sends the head pose in m and rad, as a goto of 1 s with min-jerk by default', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.change(screen.getByTestId('control-head-z-value'), { target: { value: '20' } })
    fireEvent.change(screen.getByTestId('control-head-pitch-value'), { target: { value: '-10' } })
    fireEvent.click(screen.getByTestId('send-head-pose'))
    await screen.findByTestId('command-ok')
    const body = gotos()[0]?.body as { head: Record<string, number>; duration: number; interpolation: string }
    expect(body.head.z).toBeCloseTo(0.02)
    expect(body.head.pitch).toBeCloseTo((-10 * Math.PI) / 180)
    expect(body.head.x).toBe(0)
    expect(Object.keys(body.head).sort()).toEqual(['pitch', 'roll', 'x', 'y', 'yaw', 'z'])
    expect([body.duration, body.interpolation]).toEqual([1, 'minjerk'])
  })

  it('refuses to send a goto whose duration is not in (0, 60] s, and says so', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    for (const text of ['0', '61', '']) {
      fireEvent.change(screen.getByTestId('goto-duration'), { target: { value: text } })
      expect(screen.getByTestId('duration-error').textContent).toContain('at most 60 s')
      expect((screen.getByTestId('send-antennas') as HTMLButtonElement).disabled).toBe(true)
      fireEvent.click(screen.getByTestId('send-antennas'))
    }
    await new Promise((r) => setTimeout(r, 100))
    expect(gotos()).toHaveLength(0)
    fireEvent.change(screen.getByTestId('goto-duration'), { target: { value: '60' } })
    expect(screen.queryByTestId('duration-error')).toBeNull()
  })

  it('clamps typed values to the slider limits', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    // Roll is bounded at ±40°; the yaw, in the base frame, reaches ±180° (the body turns too).
    fireEvent.change(screen.getByTestId('control-head-roll-value'), { target: { value: '90' } })
    fireEvent.change(screen.getByTestId('control-head-yaw-value'), { target: { value: '200' } })
    fireEvent.click(screen.getByTestId('send-head-pose'))
    await screen.findByTestId('command-ok')
    const body = gotos()[0]?.body as { head: Record<string, number> }
    expect(body.head.roll).toBeCloseTo((40 * Math.PI) / 180)
    expect(body.head.yaw).toBeCloseTo(Math.PI)
  })

  it('streams dragged targets at most 50 a second, one request at a time, the last one last', async () => {
    // Each answer takes 30 ms: targets that come meanwhile are replaced by the newest.
    let inFlight = 0
    let mostInFlight = 0
    bridge.route('POST /api/commands/joints', async () => {
      inFlight += 1
      mostInFlight = Math.max(mostInFlight, inFlight)
      await new Promise((r) => setTimeout(r, 30))
      inFlight -= 1
      return { body: accepted('joints') }
    })
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    const joints = () => bridge.requests.filter((r) => r.path === '/api/commands/joints')
    const begin = Date.now()
    for (let i = 1; i <= 30; i++) {
      fireEvent.change(screen.getByTestId('control-right_antenna'), { target: { value: String(i / 10) } })
      await new Promise((r) => setTimeout(r, 5))
    }
    await new Promise((r) => setTimeout(r, 200))
    const elapsedS = (Date.now() - begin) / 1000
    expect(joints().length).toBeGreaterThan(1)
    // 50 a second over the drag and what followed, and one more at the start.
    expect(joints().length).toBeLessThanOrEqual(Math.ceil(elapsedS * 50) + 1)
    expect(joints().length).toBeLessThan(30)
    expect(mostInFlight).toBe(1)
    expect(joints().at(-1)?.body).toEqual({ goals: { right_antenna: 3, left_antenna: 0 } })
    expect(gotos()).toHaveLength(0)
  })

  it('streams nothing when streaming is turned off', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.click(screen.getByTestId('live-toggle'))
    fireEvent.change(screen.getByTestId('control-head-yaw'), { target: { value: '10' } })
    await new Promise((r) => setTimeout(r, 200))
    expect(bridge.requests.filter((r) => r.path === '/api/commands/head_pose')).toHaveLength(0)
  })

  it('streams a dragged head pose slider as a head pose in m and rad', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.change(screen.getByTestId('control-head-yaw'), { target: { value: '10' } })
    await waitFor(() => expect(bridge.requests.some((r) => r.path === '/api/commands/head_pose')).toBe(true))
    const body = bridge.requests.find((r) => r.path === '/api/commands/head_pose')?.body as Record<string, number>
    expect(body.yaw).toBeCloseTo((10 * Math.PI) / 180)
  })

  it('shows a refusal because a move runs once, and stops streaming instead of storming', async () => {
    bridge.route('POST /api/commands/joints', () => MOVE_RUNNING)
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    const joints = () => bridge.requests.filter((r) => r.path === '/api/commands/joints')
    for (let i = 1; i <= 30; i++) {
      fireEvent.change(screen.getByTestId('control-left_antenna'), { target: { value: String(i / 20) } })
      await new Promise((r) => setTimeout(r, 10))
    }
    await screen.findByTestId('move-running-notice')
    // 300 ms of dragging at 50 Hz would be 15 requests: the first refusal holds the stream.
    expect(joints()).toHaveLength(1)
    expect(screen.queryByTestId('command-error')).toBeNull()
  })

  it('sends no dragged target while the moves channel says a move runs, and again once it ended', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    await connected(bridge)
    const joints = () => bridge.requests.filter((r) => r.path === '/api/commands/joints')
    bridge.broadcast({ type: 'moves', data: moveEvent({ move_id: 'w-1', kind: 'wake_up', event: 'started' }) })
    await screen.findByTestId('move-running-notice')
    fireEvent.change(screen.getByTestId('control-left_antenna'), { target: { value: '0.4' } })
    await new Promise((r) => setTimeout(r, 200))
    expect(joints()).toHaveLength(0)
    bridge.broadcast({ type: 'moves', data: moveEvent({ move_id: 'w-1', kind: 'wake_up', event: 'completed' }) })
    await waitFor(() => expect(screen.queryByTestId('move-running-notice')).toBeNull())
    fireEvent.change(screen.getByTestId('control-left_antenna'), { target: { value: '0.5' } })
    await waitFor(() => expect(joints()).toHaveLength(1))
    expect(joints()[0]?.body).toEqual({ goals: { right_antenna: 0, left_antenna: 0.5 } })
  })

  it('wakes up, sleeps and stops with the token', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    for (const [button, path] of [
      ['wake-up', '/api/commands/wake_up'],
      ['goto-sleep', '/api/commands/goto_sleep'],
      ['stop-move', '/api/commands/stop'],
    ]) {
      fireEvent.click(screen.getByTestId(button))
      await waitFor(() => expect(bridge.requests.some((r) => r.path === path)).toBe(true))
      expect(bridge.requests.find((r) => r.path === path)?.headers.authorization).toBe('Bearer secret')
    }
  })

  it('shows the running move and how it ended, from the moves channel', async () => {
    renderWithBridge(bridge, <Controls />)
    await connected(bridge)
    bridge.broadcast({ type: 'moves', data: moveEvent({ move_id: 'g-1', event: 'started', duration: 2 }) })
    const progress = await screen.findByTestId('move-progress')
    expect(progress.textContent).toMatch(/Goto running: 0\.\d \/ 2\.0 s/)
    await waitFor(() => expect(Number(progress.querySelector('progress')?.value)).toBeGreaterThan(0.1))
    bridge.broadcast({ type: 'moves', data: moveEvent({ move_id: 'g-1', event: 'cancelled', reason: 'replaced' }) })
    const outcome = await screen.findByTestId('move-outcome')
    expect(outcome.textContent).toBe('Goto cancelled: replaced')
    expect(outcome.dataset.event).toBe('cancelled')
    expect(screen.queryByTestId('move-progress')).toBeNull()
    bridge.broadcast({ type: 'moves', data: moveEvent({ move_id: 'w-2', kind: 'wake_up', event: 'started' }) })
    bridge.broadcast({ type: 'moves', data: moveEvent({ move_id: 'w-2', kind: 'wake_up', event: 'failed', reason: 'motor stewart_2 stopped' }) })
    await waitFor(() => expect(screen.getByTestId('move-outcome').textContent).toBe('Wake up failed: motor stewart_2 stopped'))
  })

  it('shows a move that was running before the page opened, with its elapsed time', async () => {
    bridge.route('GET /api/moves/running', [
      { move_id: 's-9', kind: 'goto_sleep', started: Date.now() / 1000 - 1.5, duration: 3, elapsed: 1.5 },
    ])
    renderWithBridge(bridge, <Controls />)
    const progress = await screen.findByTestId('move-progress')
    expect(progress.dataset.moveId).toBe('s-9')
    expect(progress.textContent).toMatch(/Sleep running: 1\.[5-9] \/ 3\.0 s/)
  })

  it('keeps antenna goals inside ±π', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.change(screen.getByTestId('control-left_antenna-value'), { target: { value: '-4' } })
    fireEvent.click(screen.getByTestId('send-antennas'))
    await screen.findByTestId('command-ok')
    const body = gotos()[0]?.body as { antennas: [number, number] }
    expect(body.antennas[1]).toBeGreaterThanOrEqual(-Math.PI)
    expect(body.antennas[1]).toBeCloseTo(-Math.PI, 2)
  })

  it('turns torque off', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.click(screen.getByTestId('torque-off'))
    await screen.findByTestId('command-ok')
    expect(bridge.requests.find((r) => r.path === '/api/commands/torque')?.body).toEqual({ enabled: false })
  })

  // The bodies the bridge answers (reachy_mini_ros/bridge/errors.py and commands.py).
  it.each([
    [401, { error: 'unauthorized', message: 'invalid token', timestamp: 1 }, 'unauthorized: invalid token'],
    [400, { error: 'out_of_limits', message: 'goal 4.0 rad is outside', timestamp: 1 }, 'out_of_limits: goal 4.0 rad is outside'],
    [
      503,
      { error: 'service_unavailable', message: 'no hardware node subscribes to joint commands', timestamp: 1 },
      'service_unavailable: no hardware node subscribes to joint commands',
    ],
    [
      422,
      {
        error: 'validation_error',
        message: 'body.goals: Field required',
        timestamp: 1,
        detail: [{ loc: ['body', 'goals'], msg: 'Field required', type: 'missing' }],
      },
      'validation_error: body.goals: Field required',
    ],
  ] satisfies [number, ErrorBody, string][])('shows the reason of a refused command (%i)', async (status, body, reason) => {
    bridge.route('POST /api/commands/goto', () => ({ status, body }))
    renderWithBridge(bridge, <Controls />)
    unlock('wrong')
    fireEvent.click(screen.getByTestId('send-antennas'))
    await waitFor(() => expect(screen.getByTestId('command-error').textContent).toContain(reason))
  })

  it('shows the reason the hardware node gives for refusing torque', async () => {
    bridge.route('POST /api/commands/torque', () => ({
      status: 409,
      body: { error: 'refused', message: 'motors did not answer', timestamp: 1 },
    }))
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.click(screen.getByTestId('torque-on'))
    await waitFor(() => expect(screen.getByTestId('command-error').textContent).toContain('motors did not answer'))
  })

  it('shows the reason the hardware node gives for refusing a goto (the path\'s first failing time)', async () => {
    const message = 'the hardware node refused the goto: at t=0.350 s of 1.000 s: head pose is out of reach of motor stewart_2'
    bridge.route('POST /api/commands/goto', () => ({ status: 400, body: { error: 'refused', message, timestamp: 1 } }))
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.click(screen.getByTestId('send-head-pose'))
    await waitFor(() => expect(screen.getByTestId('command-error').textContent).toContain(`refused: ${message}`))
  })

  it('clears the refusal once a command is accepted', async () => {
    bridge.route('POST /api/commands/goto', () => ({ status: 401, body: { error: 'unauthorized', message: 'no', timestamp: 1 } }))
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.click(screen.getByTestId('send-antennas'))
    await screen.findByTestId('command-error')
    fireEvent.click(screen.getByTestId('torque-on'))
    await screen.findByTestId('command-ok')
    expect(screen.queryByTestId('command-error')).toBeNull()
  })
})
