import { describe, expect, it } from 'vitest'
import { formatBytes, formatDuration, levelName } from './format'

describe('formatDuration', () => {
  it('shows seconds under a minute', () => expect(formatDuration(12.7)).toBe('12 s'))
  it('shows minutes and seconds', () => expect(formatDuration(252)).toBe('4 min 12 s'))
  it('shows hours and minutes', () => expect(formatDuration(7500)).toBe('2 h 5 min'))
  it('shows days and hours', () => expect(formatDuration(3 * 86400 + 4 * 3600)).toBe('3 d 4 h'))
  it('shows a dash for nonsense', () => expect(formatDuration(Number.NaN)).toBe('—'))
})

describe('formatBytes', () => {
  it('uses binary units', () => expect(formatBytes(150 * 1024 * 1024)).toBe('150.0 MiB'))
  it('keeps small counts in bytes', () => expect(formatBytes(512)).toBe('512 B'))
})

describe('levelName', () => {
  it('names the REP-107 levels', () => expect([0, 1, 2, 3].map(levelName)).toEqual(['OK', 'WARN', 'ERROR', 'STALE']))
})
