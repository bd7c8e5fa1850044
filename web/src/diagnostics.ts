import { MOTOR_STATUS_PREFIX } from './generated/status'
import type { TimedStatus } from './ws/snapshot'

/** Hardware Error Status (address 70) bits of the XL330 motors. */
const HARDWARE_ERROR_BITS: Record<number, string> = {
  0: 'input voltage',
  2: 'overheating',
  3: 'motor encoder',
  4: 'electrical shock',
  5: 'overload',
}

/** Name the causes set in a Hardware Error Status value ("36" → overheating, overload). */
export function decodeHardwareError(value: string | undefined): string[] {
  if (value === undefined) return []
  const text = value.trim()
  const bits = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : Number.NaN
  if (Number.isNaN(bits)) return text && text !== 'none' ? [text] : []
  const causes: string[] = []
  for (let bit = 0; bit < 8; bit++)
    if (bits & (1 << bit)) causes.push(HARDWARE_ERROR_BITS[bit] ?? `bit ${bit}`)
  return causes
}

// /diagnostics comes at 1 Hz: a status not refreshed for 5 periods is stale.
export const STALE_AFTER_S = 5

/** Return the level to show: the reported one, or STALE (3) when it stopped coming. */
export function effectiveLevel(status: TimedStatus, nowS: number): number {
  return nowS - status.stamp > STALE_AFTER_S ? 3 : status.level
}

/** Order levels as rqt_robot_monitor does: errors, then stale, then warnings, then OK. */
export function severityRank(level: number): number {
  return ({ 2: 0, 3: 1, 1: 2, 0: 3 } as Record<number, number>)[level] ?? 0
}

export interface DiagnosticGroup {
  node: string
  level: number
  statuses: { status: TimedStatus; level: number; label: string }[]
}

/** Group statuses by the node in their name ("hardware_node: Bus"), worst first at each level. */
export function groupStatuses(statuses: TimedStatus[], nowS: number): DiagnosticGroup[] {
  const groups = new Map<string, DiagnosticGroup>()
  for (const status of statuses) {
    const sep = status.name.indexOf(': ')
    const node = sep > 0 ? status.name.slice(0, sep) : status.hardware_id || 'other'
    const label = sep > 0 ? status.name.slice(sep + 2) : status.name
    const level = effectiveLevel(status, nowS)
    let group = groups.get(node)
    if (!group) groups.set(node, (group = { node, level: 0, statuses: [] }))
    group.statuses.push({ status, level, label })
  }
  const byWorst = (a: number, b: number) => severityRank(a) - severityRank(b)
  for (const g of groups.values()) {
    g.statuses.sort((a, b) => byWorst(a.level, b.level) || a.label.localeCompare(b.label))
    g.level = g.statuses[0]?.level ?? 0
  }
  return [...groups.values()].sort((a, b) => byWorst(a.level, b.level) || a.node.localeCompare(b.node))
}

/** Return the motor statuses (`hardware_node: Motor <joint>`) keyed by joint name. */
export function motorStatuses(statuses: TimedStatus[]): [string, TimedStatus][] {
  return statuses
    .filter((s) => s.name.startsWith(MOTOR_STATUS_PREFIX))
    .map((s) => [s.name.slice(MOTOR_STATUS_PREFIX.length), s] as [string, TimedStatus])
}
