import { describe, expect, it, vi } from 'vitest'
import { fireEvent, render, screen } from '@testing-library/react'
import { elapsedOf, MovePanel } from './MovePanel'

const noop = () => {}

describe('MovePanel', () => {
  it('shows the running move as elapsed against its duration', () => {
    const startedAtMs = Date.now() - 1500
    render(
      <MovePanel
        moves={{ running: { moveId: 'g-1', kind: 'goto', duration: 4, startedAtMs }, last: null }}
        onWakeUp={noop}
        onSleep={noop}
        onStop={noop}
      />,
    )
    const progress = screen.getByTestId('move-progress')
    expect(progress.textContent).toMatch(/^Goto running: 1\.[5-9] \/ 4\.0 s$/)
    const bar = progress.querySelector('progress') as HTMLProgressElement
    expect(bar.max).toBe(4)
    expect(bar.value).toBeGreaterThanOrEqual(1.5)
  })

  it.each([
    ['completed', '', 'Sleep completed', 'muted'],
    ['cancelled', 'stopped', 'Sleep cancelled: stopped', 'warn'],
    ['failed', 'motor stewart_1 stopped answering', 'Sleep failed: motor stewart_1 stopped answering', 'error'],
  ] as const)('shows a move %s with its reason', (event, reason, text, className) => {
    render(
      <MovePanel
        moves={{ running: null, last: { moveId: 's-1', kind: 'goto_sleep', event, reason } }}
        onWakeUp={noop}
        onSleep={noop}
        onStop={noop}
      />,
    )
    const outcome = screen.getByTestId('move-outcome')
    expect(outcome.textContent).toBe(text)
    expect(outcome.className).toBe(className)
    expect(screen.queryByTestId('move-progress')).toBeNull()
  })

  it('calls its buttons, and keeps Stop available with no move known to run', () => {
    const onWakeUp = vi.fn()
    const onSleep = vi.fn()
    const onStop = vi.fn()
    render(<MovePanel moves={{ running: null, last: null }} onWakeUp={onWakeUp} onSleep={onSleep} onStop={onStop} />)
    fireEvent.click(screen.getByTestId('wake-up'))
    fireEvent.click(screen.getByTestId('goto-sleep'))
    fireEvent.click(screen.getByTestId('stop-move'))
    expect([onWakeUp.mock.calls.length, onSleep.mock.calls.length, onStop.mock.calls.length]).toEqual([1, 1, 1])
  })
})

describe('elapsedOf', () => {
  it('stays within [0, duration]', () => {
    const move = { moveId: 'm', kind: 'goto', duration: 2, startedAtMs: 10_000 }
    expect(elapsedOf(move, 9)).toBe(0)
    expect(elapsedOf(move, 11)).toBe(1)
    expect(elapsedOf(move, 20)).toBe(2)
  })
})
