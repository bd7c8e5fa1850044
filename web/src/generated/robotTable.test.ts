import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain Node script without type declarations
import { OUTPUT_PATH, TABLE_PATH, render } from '../../scripts/gen-robot-table.mjs'
import { HEAD_ENVELOPE, JOINT_LIMITS } from './robotTable'

const table = JSON.parse(readFileSync(TABLE_PATH as string, 'utf8'))

describe('generated robot table', () => {
  it('is up to date with robot_table.json', () => {
    expect(readFileSync(OUTPUT_PATH as string, 'utf8')).toBe(render(table))
  })

  it('carries the envelope and the raw limits of the table', () => {
    expect(HEAD_ENVELOPE.maxRollDeg).toBe(table.head_envelope.max_roll_deg)
    expect(HEAD_ENVELOPE.maxRelativeYawDeg).toBe(table.head_envelope.max_relative_yaw_deg)
    // stewart_1: raw 1502 .. 2958 is −0.8376 .. 1.3959 rad (vendor.md).
    expect(JOINT_LIMITS.stewart_1.lower).toBeCloseTo(-0.8376, 4)
    expect(JOINT_LIMITS.stewart_1.upper).toBeCloseTo(1.3959, 4)
    expect(JOINT_LIMITS.yaw_body.upper).toBeCloseTo((160 * Math.PI) / 180, 12)
  })
})
