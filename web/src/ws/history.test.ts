import { describe, expect, it } from 'vitest'
import { JointHistory } from './history'

describe('JointHistory', () => {
  it('keeps samples in order until full', () => {
    const h = new JointHistory(4)
    h.push(1, ['a', 'b'], [0.1, 0.2])
    h.push(2, ['a', 'b'], [0.3, 0.4])
    expect(h.size).toBe(2)
    expect(h.times[h.at(0)]).toBe(1)
    expect(h.column('b')?.[h.at(1)]).toBeCloseTo(0.4)
    expect(h.latestTime()).toBe(2)
  })

  it('drops the oldest sample when full', () => {
    const h = new JointHistory(3)
    for (let t = 1; t <= 5; t++) h.push(t, ['a'], [t * 10])
    expect(h.size).toBe(3)
    expect([0, 1, 2].map((i) => h.times[h.at(i)])).toEqual([3, 4, 5])
    expect(h.column('a')?.[h.at(0)]).toBe(30)
  })

  it('starts over when the joint list changes', () => {
    const h = new JointHistory(3)
    h.push(1, ['a'], [1])
    h.push(2, ['a', 'b'], [1, 2])
    expect(h.size).toBe(1)
    expect(h.names).toEqual(['a', 'b'])
    expect(h.column('c')).toBeUndefined()
  })
})
