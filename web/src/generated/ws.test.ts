import { readFileSync } from 'node:fs'
import { describe, expect, expectTypeOf, it } from 'vitest'
// @ts-expect-error: a plain Node script without type declarations
import { OUTPUT_PATH, SCHEMA_PATH, render } from '../../scripts/gen-ws-types.mjs'
import type { CommandResultMessage, JointStatesData, ServerMessage } from './ws'

describe('generated WebSocket types', () => {
  it('are up to date with ws-schema.json', async () => {
    const schema = JSON.parse(readFileSync(SCHEMA_PATH as string, 'utf8'))
    expect(readFileSync(OUTPUT_PATH as string, 'utf8'), 'run `npm run gen:ws`').toBe(await render(schema))
  })

  it('type NaN readings as null and error codes as the bridge sends them', () => {
    expectTypeOf<JointStatesData['velocity']>().toEqualTypeOf<(number | null)[]>()
    expectTypeOf<JointStatesData['position']>().toEqualTypeOf<(number | null)[]>()
    expectTypeOf<CommandResultMessage['error']>().toExtend<string | null>()
    expectTypeOf<'out_of_limits'>().toExtend<NonNullable<CommandResultMessage['error']>>()
    expectTypeOf<'hardware_unavailable'>().not.toExtend<NonNullable<CommandResultMessage['error']>>()
    expectTypeOf<ServerMessage['type']>().toEqualTypeOf<
      | 'hello'
      | 'joint_states'
      | 'diagnostics'
      | 'events'
      | 'moves'
      | 'subscribed'
      | 'stale'
      | 'command_result'
      | 'error'
      | 'pong'
    >()
  })
})
