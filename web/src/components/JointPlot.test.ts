import { describe, expect, it } from 'vitest'
import { niceTicks } from './JointPlot'

describe('niceTicks', () => {
  it('picks round steps inside the range', () => expect(niceTicks(-0.05, 1.05, 5)).toEqual([0, 0.5, 1]))
  it('handles a flat range', () => expect(niceTicks(0.3, 0.3, 4)).toEqual([0.3]))
})
