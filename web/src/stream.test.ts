import { describe, expect, it } from 'vitest'
import type { Outcome } from './hooks/useCommands'
import { TargetStreamer } from './stream'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A send that records its target and answers `outcome` after `delayMs`. */
function recorder(outcome: Outcome = 'accepted', delayMs = 0) {
  const sent: number[] = []
  const send = (target: number) => async () => {
    sent.push(target)
    await sleep(delayMs)
    return outcome
  }
  return { sent, send }
}

describe('TargetStreamer', () => {
  it('sends the first target at once and then the latest one per period', async () => {
    const { sent, send } = recorder()
    const streamer = new TargetStreamer(undefined, 50)
    for (let i = 1; i <= 10; i++) streamer.push(send(i))
    await sleep(10)
    expect(sent).toEqual([10])
    for (let i = 11; i <= 20; i++) streamer.push(send(i))
    await sleep(20)
    expect(sent).toEqual([10])
    await sleep(60)
    expect(sent).toEqual([10, 20])
    streamer.stop()
  })

  it('waits for the answer in flight before sending the next target', async () => {
    const { sent, send } = recorder('accepted', 60)
    const streamer = new TargetStreamer(undefined, 5)
    streamer.push(send(1))
    await sleep(10)
    streamer.push(send(2))
    streamer.push(send(3))
    await sleep(30)
    expect(sent).toEqual([1])
    await sleep(60)
    expect(sent).toEqual([1, 3])
    streamer.stop()
  })

  it('holds after a refusal because a move runs, until released or the hold runs out', async () => {
    const held: boolean[] = []
    const refused = recorder('move_running')
    const streamer = new TargetStreamer((h) => held.push(h), 5, 100)
    streamer.push(refused.send(1))
    await sleep(20)
    expect(held).toEqual([true])
    streamer.push(refused.send(2))
    await sleep(20)
    expect(refused.sent).toEqual([1])
    await sleep(100)
    expect(held).toEqual([true, false])
    const { sent, send } = recorder()
    streamer.push(send(3))
    await sleep(20)
    expect(sent).toEqual([3])
    streamer.stop()
  })

  it('drops what waits when held, and sends nothing after stop', async () => {
    const { sent, send } = recorder()
    const streamer = new TargetStreamer(undefined, 50)
    streamer.push(send(1))
    await sleep(10)
    streamer.push(send(2))
    streamer.hold(true)
    await sleep(80)
    expect(sent).toEqual([1])
    streamer.hold(false)
    streamer.stop()
    streamer.push(send(3))
    await sleep(80)
    expect(sent).toEqual([1])
  })
})
