import { describe, expect, it } from 'vitest'
import { describeApiError } from './errors'

describe('describeApiError', () => {
  it('joins the error code and message of the bridge', () => {
    expect(describeApiError(400, { error: 'out_of_limits', message: 'yaw too far' })).toBe(
      'out_of_limits: yaw too far',
    )
  })

  it('reads a FastAPI string detail', () => {
    expect(describeApiError(401, { detail: 'invalid token' })).toBe('invalid token')
  })

  it('lists FastAPI validation errors with their field', () => {
    const body = { detail: [{ loc: ['body', 'x'], msg: 'Input should be a valid number' }] }
    expect(describeApiError(422, body)).toBe('x: Input should be a valid number')
  })

  it('falls back to the status code', () => {
    expect(describeApiError(503, null)).toBe('HTTP 503')
  })
})
