import { describe, expect, it } from 'vitest'
import { act, renderHook, waitFor } from '@testing-library/react'
import { usePolling } from './usePolling'

function deferred<T>() {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

describe('usePolling', () => {
  it('keeps the loaded data and when it arrived', async () => {
    const { result } = renderHook(() => usePolling(async () => 42, 0, []))
    await waitFor(() => expect(result.current.data).toBe(42))
    expect(result.current.loading).toBe(false)
    expect(result.current.updatedAt).toBeGreaterThan(0)
  })

  it('keeps the last data and shows the error when a load fails', async () => {
    let fail = false
    const { result } = renderHook(() =>
      usePolling(async () => {
        if (fail) throw new Error('bridge unreachable')
        return 'ok'
      }, 0, []),
    )
    await waitFor(() => expect(result.current.data).toBe('ok'))
    fail = true
    act(() => result.current.refresh())
    await waitFor(() => expect(result.current.error).toBe('bridge unreachable'))
    expect(result.current.data).toBe('ok')
  })

  it('drops an answer that arrives after a newer request started', async () => {
    const calls = [deferred<string>(), deferred<string>()]
    let n = 0
    const { result } = renderHook(() => usePolling(() => calls[n++].promise, 0, []))
    act(() => result.current.refresh())
    calls[1].resolve('new')
    await waitFor(() => expect(result.current.data).toBe('new'))
    calls[0].resolve('old')
    await new Promise((r) => setTimeout(r, 20))
    expect(result.current.data).toBe('new')
  })

  it('loads again every interval', async () => {
    let count = 0
    const { result } = renderHook(() => usePolling(async () => ++count, 30, []))
    await waitFor(() => expect(result.current.data).toBeGreaterThanOrEqual(3))
  })
})
