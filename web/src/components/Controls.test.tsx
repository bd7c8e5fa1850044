import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fireEvent, screen, waitFor } from '@testing-library/react'
import type { CommandResult } from '../api/client'
import { FakeBridge, type ErrorBody } from '../test/fakeBridge'
import { renderWithBridge } from '../test/render'
import { Controls, toHeadPose } from './Controls'

const accepted = (command: string) => ({ ok: true, command, message: `${command} accepted` }) satisfies CommandResult

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

describe('Controls', () => {
  let bridge: FakeBridge

  beforeEach(async () => {
    bridge = new FakeBridge()
      .route('POST /api/commands/joints', accepted('joints'))
      .route('POST /api/commands/head_pose', accepted('head_pose'))
      .route('POST /api/commands/torque', accepted('torque'))
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

  it('sends antenna goals with the bearer token', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.change(screen.getByTestId('control-right_antenna-value'), { target: { value: '1.2' } })
    fireEvent.click(screen.getByTestId('send-antennas'))
    await screen.findByTestId('command-ok')
    const sent = bridge.requests.find((r) => r.path === '/api/commands/joints')
    expect(sent?.headers.authorization).toBe('Bearer secret')
    expect(sent?.body).toEqual({ goals: { right_antenna: 1.2, left_antenna: 0 } })
  })

  it('sends the head pose in m and rad', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.change(screen.getByTestId('control-head-z'), { target: { value: '20' } })
    fireEvent.change(screen.getByTestId('control-head-pitch-value'), { target: { value: '-10' } })
    fireEvent.click(screen.getByTestId('send-head-pose'))
    await screen.findByTestId('command-ok')
    const body = bridge.requests.find((r) => r.path === '/api/commands/head_pose')?.body as Record<string, number>
    expect(body.z).toBeCloseTo(0.02)
    expect(body.pitch).toBeCloseTo((-10 * Math.PI) / 180)
    expect(body.x).toBe(0)
  })

  it('clamps typed values to the slider limits', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    // Roll is bounded at ±40°; the yaw, in the base frame, reaches ±180° (the body turns too).
    fireEvent.change(screen.getByTestId('control-head-roll-value'), { target: { value: '90' } })
    fireEvent.change(screen.getByTestId('control-head-yaw-value'), { target: { value: '200' } })
    fireEvent.click(screen.getByTestId('send-head-pose'))
    await screen.findByTestId('command-ok')
    const body = bridge.requests.find((r) => r.path === '/api/commands/head_pose')?.body as Record<string, number>
    expect(body.roll).toBeCloseTo((40 * Math.PI) / 180)
    expect(body.yaw).toBeCloseTo(Math.PI)
  })

  it('sends while dragging only when asked, at most 10 commands a second', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    const joints = () => bridge.requests.filter((r) => r.path === '/api/commands/joints')
    fireEvent.change(screen.getByTestId('control-right_antenna'), { target: { value: '0.5' } })
    await new Promise((r) => setTimeout(r, 300))
    expect(joints()).toHaveLength(0)

    fireEvent.click(screen.getByTestId('live-toggle'))
    for (let i = 1; i <= 20; i++)
      fireEvent.change(screen.getByTestId('control-right_antenna'), { target: { value: String(i / 10) } })
    await waitFor(() => expect(joints().length).toBeGreaterThan(0))
    await new Promise((r) => setTimeout(r, 300))
    // Twenty moves in a burst make a command or a few (one per 100 ms), the last one last.
    expect(joints().length).toBeLessThanOrEqual(5)
    expect(joints().at(-1)?.body).toEqual({ goals: { right_antenna: 2, left_antenna: 0 } })
  })

  it('keeps antenna goals inside ±π', async () => {
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.change(screen.getByTestId('control-left_antenna-value'), { target: { value: '-4' } })
    fireEvent.click(screen.getByTestId('send-antennas'))
    await screen.findByTestId('command-ok')
    const body = bridge.requests.find((r) => r.path === '/api/commands/joints')?.body as { goals: Record<string, number> }
    expect(body.goals.left_antenna).toBeGreaterThanOrEqual(-Math.PI)
    expect(body.goals.left_antenna).toBeCloseTo(-Math.PI, 2)
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
    bridge.route('POST /api/commands/joints', () => ({ status, body }))
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

  it('clears the refusal once a command is accepted', async () => {
    bridge.route('POST /api/commands/joints', () => ({ status: 401, body: { error: 'unauthorized', message: 'no', timestamp: 1 } }))
    renderWithBridge(bridge, <Controls />)
    unlock('secret')
    fireEvent.click(screen.getByTestId('send-antennas'))
    await screen.findByTestId('command-error')
    fireEvent.click(screen.getByTestId('torque-on'))
    await screen.findByTestId('command-ok')
    expect(screen.queryByTestId('command-error')).toBeNull()
  })
})
