import { useEffect, useState } from 'react'

/** Return the current UNIX time in seconds, refreshed every `periodMs`. */
export function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(() => Date.now() / 1000)
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now() / 1000), periodMs)
    return () => clearInterval(timer)
  }, [periodMs])
  return now
}
