import { describe, expect, it } from 'vitest'
import type { MoveEventData } from '../generated/ws'
import { applyMoveEvent, type MovesState } from './useMoves'

const event = (data: Partial<MoveEventData> & Pick<MoveEventData, 'move_id' | 'event'>): MoveEventData => ({
  kind: 'goto',
  reason: '',
  duration: 1.5,
  time: 1700000000,
  ...data,
})

describe('applyMoveEvent', () => {
  const empty: MovesState = { running: null, last: null }

  it('makes a started move the running one, timed on the page clock', () => {
    const state = applyMoveEvent(empty, event({ move_id: 'a', event: 'started' }), 5000)
    expect(state.running).toEqual({ moveId: 'a', kind: 'goto', duration: 1.5, startedAtMs: 5000 })
  })

  it('ends the running move with its outcome', () => {
    const running = applyMoveEvent(empty, event({ move_id: 'a', event: 'started' }), 0)
    const ended = applyMoveEvent(running, event({ move_id: 'a', event: 'failed', reason: 'lost the bus' }), 1)
    expect(ended).toEqual({ running: null, last: { moveId: 'a', kind: 'goto', event: 'failed', reason: 'lost the bus' } })
  })

  it('keeps a newer move running when an older one ends after it started', () => {
    let state = applyMoveEvent(empty, event({ move_id: 'a', event: 'started' }), 0)
    state = applyMoveEvent(state, event({ move_id: 'b', event: 'started' }), 1)
    state = applyMoveEvent(state, event({ move_id: 'a', event: 'cancelled', reason: 'replaced' }), 2)
    expect(state.running?.moveId).toBe('b')
    expect(state.last).toEqual({ moveId: 'a', kind: 'goto', event: 'cancelled', reason: 'replaced' })
  })
})
