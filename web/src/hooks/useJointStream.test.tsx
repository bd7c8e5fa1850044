import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { renderHook, waitFor } from '@testing-library/react'
import type { ReactNode } from 'react'
import { BackendProvider } from '../backend'
import type { JointStatesData } from '../generated/ws'
import { FakeBridge } from '../test/fakeBridge'
import { positionOf, useJointStream } from './useJointStream'

describe('useJointStream', () => {
  let bridge: FakeBridge

  beforeEach(async () => {
    bridge = new FakeBridge()
    await bridge.start()
  })

  afterEach(() => bridge.stop())

  function wrapper({ children }: { children: ReactNode }) {
    return (
      <BackendProvider baseUrl={bridge.baseUrl} wsUrl={bridge.wsUrl}>
        {children}
      </BackendProvider>
    )
  }

  it('returns null until the first sample', () => {
    const { result } = renderHook(() => useJointStream(), { wrapper })
    expect(result.current).toBeNull()
  })

  it('returns the latest sample', async () => {
    const { result } = renderHook(() => useJointStream(), { wrapper })
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    bridge.sendJoints({ yaw_body: 0.1 })
    bridge.sendJoints({ yaw_body: 0.2 })
    await waitFor(() => expect(positionOf(result.current, 'yaw_body')).toBe(0.2))
  })

  it('renders at most at its rate however fast frames come', async () => {
    let renders = 0
    const { result } = renderHook(
      () => {
        renders++
        return useJointStream(10)
      },
      { wrapper },
    )
    await waitFor(() => expect(bridge.clients.size).toBe(1))
    const start = renders
    // 100 frames in one go: the hook samples them at 10 Hz, not once per frame.
    for (let i = 1; i <= 100; i++) bridge.sendJoints({ yaw_body: i / 100 })
    await waitFor(() => expect(positionOf(result.current, 'yaw_body')).toBe(1))
    // Unthrottled, each frame (its own task) would render once: about 100 renders.
    expect(renders - start).toBeLessThan(50)
  })

  it('tells when a joint is missing or its position unknown (NaN, sent as null)', () => {
    const sample = {
      stamp: 0,
      seq: 1,
      name: ['yaw_body', 'head_x'],
      position: [1, null],
      velocity: [null, null],
      effort: [0, 0],
    } satisfies JointStatesData
    expect(positionOf(sample, 'yaw_body')).toBe(1)
    expect(positionOf(sample, 'head_x')).toBeUndefined()
    expect(positionOf(sample, 'left_antenna')).toBeUndefined()
  })
})
