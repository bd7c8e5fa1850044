import { describe, expect, it } from 'vitest'
import { act, renderHook } from '@testing-library/react'
import { useToken } from './useToken'

describe('useToken', () => {
  it('starts empty', () => {
    const { result } = renderHook(() => useToken())
    expect(result.current[0]).toBe('')
  })

  it('survives a remount within the same tab', () => {
    const first = renderHook(() => useToken())
    act(() => first.result.current[1]('secret'))
    first.unmount()
    const second = renderHook(() => useToken())
    expect(second.result.current[0]).toBe('secret')
  })

  it('forgets the token when cleared', () => {
    const { result } = renderHook(() => useToken())
    act(() => result.current[1]('secret'))
    act(() => result.current[1](''))
    expect(window.sessionStorage.length).toBe(0)
    expect(result.current[0]).toBe('')
  })
})
