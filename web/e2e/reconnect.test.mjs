// Browser test of the WebSocket banner: the bridge stops and comes back under the same port.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { launchBrowser, READY_TIMEOUT_MS, screenshot, shownJoint, startStack, waitFor } from './support.mjs'

describe('dashboard while the bridge restarts', () => {
  let stack
  let browser

  before(
    async () => {
      stack = await startStack({ separate: true })
      browser = await launchBrowser()
    },
    { timeout: READY_TIMEOUT_MS + 30_000 },
  )

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  it('shows the banner while the bridge is down and clears it when it returns', { timeout: READY_TIMEOUT_MS + 60_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(stack.baseUrl + '/')
    await page.getByTestId('joint-right_antenna').waitFor({ timeout: 20_000 })
    await page.getByTestId('ws-banner').waitFor({ state: 'detached', timeout: 20_000 })

    await stack.stopBridge()
    await page.getByTestId('ws-banner').waitFor({ timeout: 20_000 })
    assert.match(await page.getByTestId('ws-banner').textContent(), /reconnect/i)
    await screenshot(page, 'ws-banner')

    await stack.restartBridge()
    // Reconnection attempts are at most 5 s apart.
    await page.getByTestId('ws-banner').waitFor({ state: 'detached', timeout: 30_000 })
    // Joint states stream again: the sample counter keeps moving after the reconnection.
    const before = await page.evaluate(() => document.querySelector('[data-testid="joint-stream-seq"]')?.textContent)
    await waitFor(
      async () =>
        (await page.evaluate(() => document.querySelector('[data-testid="joint-stream-seq"]')?.textContent)) !== before,
      20_000,
      'joint states to stream again',
    )
    assert.ok(Number.isFinite(await shownJoint(page, 'right_antenna')))
    await page.close()
  })
})
