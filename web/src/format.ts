/** Format a duration in seconds as "3 d 4 h", "2 h 5 min", "4 min 12 s" or "12 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—'
  const s = Math.floor(seconds)
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d) return `${d} d ${h} h`
  if (h) return `${h} h ${m} min`
  if (m) return `${m} min ${s % 60} s`
  return `${s} s`
}

/** Format a byte count with a binary unit. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let v = bytes
  let i = 0
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`
}

/** Format a UNIX time in seconds as the local time of day (with the date if not today). */
export function formatTime(epochS: number, now: Date = new Date()): string {
  if (!Number.isFinite(epochS)) return '—'
  const t = new Date(epochS * 1000)
  const sameDay = t.toDateString() === now.toDateString()
  return sameDay ? t.toLocaleTimeString() : t.toLocaleString()
}

export const LEVEL_NAMES = ['OK', 'WARN', 'ERROR', 'STALE'] as const

/** Return the REP-107 name of a diagnostic level. */
export function levelName(level: number): string {
  return LEVEL_NAMES[level] ?? `level ${level}`
}
