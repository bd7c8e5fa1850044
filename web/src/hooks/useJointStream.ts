import { useEffect, useState } from 'react'
import { useBackend } from '../backend'
import type { JointStatesData } from '../generated/ws'

/**
 * Return the latest joint states from the WebSocket, at most `rateHz` times a second.
 *
 * The stream runs at 60 Hz; numbers people read need no more than 10 re-renders a second.
 */
export function useJointStream(rateHz = 10): JointStatesData | null {
  const { socket } = useBackend()
  const [sample, setSample] = useState<JointStatesData | null>(socket.joints)
  useEffect(() => {
    let seen = -1
    const tick = () => {
      if (socket.jointSeq !== seen) {
        seen = socket.jointSeq
        setSample(socket.joints)
      }
    }
    tick()
    const timer = setInterval(tick, 1000 / rateHz)
    return () => clearInterval(timer)
  }, [socket, rateHz])
  return sample
}

/** Return the position of one joint from a sample, or undefined when absent or unknown (null). */
export function positionOf(sample: JointStatesData | null, name: string): number | undefined {
  if (!sample) return undefined
  const i = sample.name.indexOf(name)
  return i < 0 ? undefined : (sample.position[i] ?? undefined)
}
