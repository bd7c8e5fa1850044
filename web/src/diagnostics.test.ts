import { describe, expect, it } from 'vitest'
import { decodeHardwareError, effectiveLevel, groupStatuses, motorStatuses } from './diagnostics'
import type { TimedStatus } from './ws/snapshot'

function status(name: string, level: number, stamp = 100): TimedStatus {
  return { name, level, message: '', hardware_id: 'reachy_mini', values: {}, stamp }
}

describe('decodeHardwareError', () => {
  it('names each set bit', () => expect(decodeHardwareError('36')).toEqual(['overheating', 'overload']))
  it('reads hexadecimal values', () => expect(decodeHardwareError('0x01')).toEqual(['input voltage']))
  it('returns nothing for zero', () => expect(decodeHardwareError('0')).toEqual([]))
  it('keeps text it cannot parse', () => expect(decodeHardwareError('overload')).toEqual(['overload']))
  it('names unknown bits by number', () => expect(decodeHardwareError('2')).toEqual(['bit 1']))
})

describe('effectiveLevel', () => {
  it('keeps the level of a fresh status', () => expect(effectiveLevel(status('a', 1, 100), 102)).toBe(1))
  it('calls a status stale when it stopped coming', () => expect(effectiveLevel(status('a', 0, 100), 110)).toBe(3))
})

describe('groupStatuses', () => {
  it('groups by node and puts errors, then stale, then warnings first', () => {
    const groups = groupStatuses(
      [
        status('hardware_node: Bus', 0),
        status('hardware_node: Motor yaw_body', 1),
        status('hardware_node: Motor stewart_1', 2),
        status('hardware_node: Rust core', 0, 50),
        status('bridge_node: database', 0),
      ],
      101,
    )
    expect(groups.map((g) => g.node)).toEqual(['hardware_node', 'bridge_node'])
    expect(groups[0].statuses.map((s) => s.label)).toEqual([
      'Motor stewart_1',
      'Rust core',
      'Motor yaw_body',
      'Bus',
    ])
    expect(groups[0].level).toBe(2)
  })
})

describe('motorStatuses', () => {
  it('keys motor statuses by joint', () => {
    const motors = motorStatuses([status('hardware_node: Motor right_antenna', 0), status('hardware_node: Bus', 0)])
    expect(motors.map(([joint]) => joint)).toEqual(['right_antenna'])
  })
})
