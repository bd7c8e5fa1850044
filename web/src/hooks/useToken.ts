import { useCallback, useState } from 'react'

const KEY = 'reachy_mini.token'

function read(): string {
  try {
    return window.sessionStorage.getItem(KEY) ?? ''
  } catch {
    return ''
  }
}

/** Return the API token kept in sessionStorage (gone when the tab closes) and its setter. */
export function useToken(): [string, (token: string) => void] {
  const [token, setTokenState] = useState(read)
  const setToken = useCallback((next: string) => {
    try {
      if (next) window.sessionStorage.setItem(KEY, next)
      else window.sessionStorage.removeItem(KEY)
    } catch {
      // Storage may be disabled (private mode): the token then lives only in this page.
    }
    setTokenState(next)
  }, [])
  return [token, setToken]
}
