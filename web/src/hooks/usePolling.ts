import { useCallback, useEffect, useRef, useState } from 'react'

export interface Polled<T> {
  data: T | null
  error: string | null
  loading: boolean
  /** When the last answer (data or error) arrived, in ms since epoch. */
  updatedAt: number | null
  refresh: () => void
}

/**
 * Call `load` now and every `intervalMs`, keeping the last answer.
 *
 * `load` resolves to the data or throws an Error whose message is shown; answers that arrive
 * after a newer request started are dropped so that a slow reply never overwrites a fresh one.
 */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[]): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'refresh'>>({
    data: null,
    error: null,
    loading: true,
    updatedAt: null,
  })
  const generation = useRef(0)
  const loadRef = useRef(load)
  loadRef.current = load

  const refresh = useCallback(() => {
    const mine = ++generation.current
    loadRef.current().then(
      (data) => {
        if (mine === generation.current)
          setState({ data, error: null, loading: false, updatedAt: Date.now() })
      },
      (err: unknown) => {
        if (mine === generation.current)
          setState((s) => ({
            ...s,
            error: err instanceof Error ? err.message : String(err),
            loading: false,
            updatedAt: Date.now(),
          }))
      },
    )
  }, [])

  useEffect(() => {
    refresh()
    if (intervalMs <= 0) return () => void ++generation.current
    const timer = setInterval(refresh, intervalMs)
    return () => {
      clearInterval(timer)
      ++generation.current
    }
    // `deps` are the inputs of `load` (filters, ids): a change loads again at once.
  }, [refresh, intervalMs, ...deps])

  return { ...state, refresh }
}
