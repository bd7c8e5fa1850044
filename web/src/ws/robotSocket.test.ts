import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { waitFor } from '@testing-library/react'
import type { DiagnosticStatusData } from '../generated/ws'
import { FakeBridge } from '../test/fakeBridge'
import { backoffDelay, RobotSocket } from './robotSocket'

describe('backoffDelay', () => {
  it('doubles from the first delay', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, 500, 5000))).toEqual([500, 1000, 2000, 4000])
  })

  it('never exceeds the cap', () => {
    expect(backoffDelay(4, 500, 5000)).toBe(5000)
    expect(backoffDelay(1000, 500, 5000)).toBe(5000)
  })
})

describe('RobotSocket', () => {
  let bridge: FakeBridge
  let socket: RobotSocket | null = null

  beforeEach(async () => {
    bridge = new FakeBridge()
    await bridge.start()
  })

  afterEach(async () => {
    socket?.stop()
    await bridge.stop()
  })

  it('subscribes to the joint states once connected', async () => {
    socket = new RobotSocket(bridge.wsUrl)
    socket.start()
    await waitFor(() => expect(bridge.received).toHaveLength(1))
    expect(bridge.received[0]).toMatchObject({ type: 'subscribe' })
    expect(Object.keys(bridge.received[0].channels as object)).toContain('joint_states')
    expect(socket.state).toBe('open')
  })

  it('keeps the latest joint sample and its history', async () => {
    socket = new RobotSocket(bridge.wsUrl)
    socket.start()
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    bridge.sendJoints({ right_antenna: 0.25, left_antenna: -0.5 }, 100)
    bridge.sendJoints({ right_antenna: 0.5, left_antenna: -0.5 }, 101)
    await waitFor(() => expect(socket?.jointSeq).toBe(2))
    expect(socket.joints?.position[0]).toBe(0.5)
    expect(socket.history.size).toBe(2)
    expect(socket.history.latestTime()).toBe(101)
  })

  it('keeps an unknown position (NaN, sent as null) as NaN in the history', async () => {
    socket = new RobotSocket(bridge.wsUrl)
    socket.start()
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    bridge.sendJoints({ yaw_body: null, right_antenna: 0.25 }, 100)
    await waitFor(() => expect(socket?.jointSeq).toBe(1))
    expect(socket.joints?.position).toEqual([null, 0.25])
    expect(socket.joints?.velocity).toEqual([null, null])
    expect(socket.history.column('yaw_body')?.[0]).toBeNaN()
    expect(socket.history.column('right_antenna')?.[0]).toBe(0.25)
  })

  it('reconnects and subscribes again after the server went away', async () => {
    socket = new RobotSocket(bridge.wsUrl, { initialDelayMs: 50, maxDelayMs: 200 })
    socket.start()
    await waitFor(() => expect(socket?.state).toBe('open'))
    const port = bridge.port
    await bridge.stop()
    await waitFor(() => expect(socket?.state).not.toBe('open'))
    await bridge.start(port)
    await waitFor(() => expect(socket?.state).toBe('open'), { timeout: 5000 })
    await waitFor(() => expect(bridge.received.filter((m) => m.type === 'subscribe')).toHaveLength(2))
  })

  it('tells the robot time from the latest joint stamp', async () => {
    socket = new RobotSocket(bridge.wsUrl)
    expect(Math.abs(socket.robotNow() - Date.now() / 1000)).toBeLessThan(1)
    socket.start()
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    // A robot clock an hour behind the page's.
    bridge.sendJoints({ yaw_body: 0 }, Date.now() / 1000 - 3600)
    await waitFor(() => expect(socket?.jointSeq).toBe(1))
    expect(Math.abs(socket.robotNow() - (Date.now() / 1000 - 3600))).toBeLessThan(1)
  })

  it('passes pushed events to its listeners', async () => {
    socket = new RobotSocket(bridge.wsUrl)
    const seen: string[] = []
    socket.onEvent((e) => seen.push(e.message))
    socket.start()
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    bridge.broadcast({
      type: 'events',
      data: { time: 1, level: 1, source: 'hardware_node', kind: 'torque', message: 'torque off', details: {} },
    })
    await waitFor(() => expect(seen).toEqual(['torque off']))
  })

  it('subscribes to the moves channel and passes every move frame to its listeners', async () => {
    socket = new RobotSocket(bridge.wsUrl)
    const seen: string[] = []
    socket.onMove((m) => seen.push(`${m.move_id} ${m.event}`))
    socket.start()
    await waitFor(() => expect(bridge.received).toHaveLength(1))
    expect(Object.keys(bridge.received[0].channels as object)).toContain('moves')
    for (const event of ['cancelled', 'started'] as const)
      bridge.broadcast({
        type: 'moves',
        data: { move_id: event === 'started' ? 'b' : 'a', kind: 'goto', event, reason: '', duration: 1, time: 1 },
      })
    await waitFor(() => expect(seen).toEqual(['a cancelled', 'b started']))
    expect(socket.lastMove?.move_id).toBe('b')
  })

  it('pings a quiet server and starts over when it stays silent', async () => {
    // The fake bridge never answers pings: a silent peer, as after a suspended host.
    socket = new RobotSocket(bridge.wsUrl, { silenceTimeoutMs: 400, initialDelayMs: 20, maxDelayMs: 20 })
    socket.start()
    await waitFor(() => expect(bridge.connections).toBe(1))
    await waitFor(() => expect(bridge.received.some((m) => m.type === 'ping')).toBe(true))
    await waitFor(() => expect(bridge.connections).toBeGreaterThanOrEqual(2), { timeout: 5000 })
  })

  it('keeps a connection that streams', async () => {
    socket = new RobotSocket(bridge.wsUrl, { silenceTimeoutMs: 1000 })
    socket.start()
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    for (let i = 0; i < 15; i++) {
      bridge.sendJoints({ yaw_body: i })
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(bridge.connections).toBe(1)
    expect(socket.state).toBe('open')
  })

  it('stops reconnecting once stopped', async () => {
    socket = new RobotSocket(bridge.wsUrl, { initialDelayMs: 20, maxDelayMs: 20 })
    socket.start()
    await waitFor(() => expect(socket?.state).toBe('open'))
    socket.stop()
    await new Promise((r) => setTimeout(r, 150))
    expect(bridge.clients.size).toBe(0)
    expect(socket.state).toBe('closed')
  })
})

describe('RobotSocket diagnostics', () => {
  it('keeps every publisher status and judges age on the page clock', async () => {
    const bridge = new FakeBridge()
    await bridge.start()
    const socket = new RobotSocket(bridge.wsUrl)
    socket.start()
    try {
      await waitFor(() => expect(bridge.clients.size).toBe(1))
      const status = (name: string) =>
        ({ name, level: 0, message: '', hardware_id: 'reachy_mini', values: {} }) satisfies DiagnosticStatusData
      // A robot clock an hour behind the page's.
      const robotTime = Date.now() / 1000 - 3600
      bridge.broadcast({ type: 'diagnostics', data: { stamp: robotTime, status: [status('hardware_node: Bus')] } })
      bridge.broadcast({ type: 'diagnostics', data: { stamp: robotTime, status: [status('bridge_node: database')] } })
      await waitFor(() => expect(socket.diagnostics?.status).toHaveLength(2))
      for (const s of socket.diagnostics?.status ?? []) expect(Date.now() / 1000 - s.stamp).toBeLessThan(5)
    } finally {
      socket.stop()
      await bridge.stop()
    }
  })
})
