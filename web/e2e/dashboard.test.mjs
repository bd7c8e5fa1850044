// Browser tests of the dashboard served by the real bridge, on the simulated robot.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { launchBrowser, publishGoal, READY_TIMEOUT_MS, screenshot, shownJoint, startStack, waitFor } from './support.mjs'

// The simulated motors move at their real speed; a 1 rad antenna move takes well under 10 s.
const MOVE_TIMEOUT_MS = 30_000

describe('dashboard on the running stack', () => {
  let stack
  let browser

  before(
    async () => {
      stack = await startStack()
      browser = await launchBrowser()
    },
    { timeout: READY_TIMEOUT_MS + 30_000 },
  )

  after(async () => {
    await browser?.close()
    await stack?.stop()
  })

  async function openPage(path = '/', options = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options })
    const page = await context.newPage()
    const errors = []
    page.on('pageerror', (err) => errors.push(err))
    await page.goto(stack.baseUrl + path)
    return { page, context, errors }
  }

  async function unlock(page, token) {
    await page.getByTestId('token-input').fill(token)
    await page.getByTestId('token-submit').click()
  }

  it('shows right_antenna moving toward a goal published over DDS', { timeout: 90_000 }, async () => {
    const { page, context } = await openPage('/')
    try {
      await page.getByTestId('joint-right_antenna').waitFor({ timeout: 20_000 })
      const start = await shownJoint(page, 'right_antenna')
      assert.ok(Math.abs(start - 1.0) > 0.2, `right_antenna already at ${start}`)
      await publishGoal(stack, 'right_antenna', 1.0)
      await waitFor(
        async () => Math.abs((await shownJoint(page, 'right_antenna')) - 1.0) < 0.05,
        MOVE_TIMEOUT_MS,
        'the shown right_antenna to reach 1.0 rad',
      )
      await screenshot(page, 'overview')
    } finally {
      await context.close()
    }
  })

  for (const [path, testId] of [
    ['/', 'page-overview'],
    ['/health', 'page-health'],
    ['/status', 'page-status'],
    ['/diagnostics', 'page-diagnostics'],
    ['/events', 'page-events'],
  ]) {
    it(`renders ${path} with live data and no script error`, { timeout: 60_000 }, async () => {
      const { page, context, errors } = await openPage(path)
      try {
        await page.getByTestId(testId).waitFor({ timeout: 20_000 })
        if (path === '/')
          await waitFor(async () => /Hz/.test(await page.getByTestId('loop-rate').textContent()), 20_000, 'the loop rate')
        if (path === '/health') await page.getByTestId('component-ros').waitFor({ timeout: 20_000 })
        if (path === '/status') await page.getByTestId('status-uptime').waitFor({ timeout: 20_000 })
        if (path === '/diagnostics') await page.getByTestId('motor-right_antenna').waitFor({ timeout: 20_000 })
        if (path === '/events') await page.getByTestId('events-table').waitFor({ timeout: 20_000 })
        await page.waitForTimeout(500)
        await screenshot(page, path === '/' ? 'route-overview' : `route-${path.slice(1)}`)
        assert.equal(await page.getByTestId('error-fallback').count(), 0)
        assert.deepEqual(errors.map(String), [])
      } finally {
        await context.close()
      }
    })
  }

  it('moves between pages with the history API, without reloading', { timeout: 60_000 }, async () => {
    const { page, context } = await openPage('/')
    try {
      await page.getByTestId('page-overview').waitFor({ timeout: 20_000 })
      await page.evaluate(() => (window.loadedOnce = true))
      for (const [name, testId, path] of [
        ['Health', 'page-health', '/health'],
        ['Diagnostics', 'page-diagnostics', '/diagnostics'],
        ['Events', 'page-events', '/events'],
        ['Status', 'page-status', '/status'],
      ]) {
        await page.getByRole('link', { name, exact: true }).click()
        await page.getByTestId(testId).waitFor({ timeout: 20_000 })
        assert.equal(new URL(page.url()).pathname, path)
      }
      await page.goBack()
      await page.getByTestId('page-events').waitFor({ timeout: 20_000 })
      assert.equal(await page.evaluate(() => window.loadedOnce), true)
    } finally {
      await context.close()
    }
  })

  it('links /docs to the bridge API documentation', { timeout: 30_000 }, async () => {
    const { page, context } = await openPage('/')
    try {
      await page.getByRole('link', { name: 'API docs' }).click()
      await page.waitForURL(`${stack.baseUrl}/docs`)
      assert.match(await page.title(), /docs|Swagger/i)
      await screenshot(page, 'route-docs')
    } finally {
      await context.close()
    }
  })

  it('fits a phone screen in dark mode', { timeout: 30_000 }, async () => {
    const { page, context } = await openPage('/', { viewport: { width: 375, height: 812 }, colorScheme: 'dark' })
    try {
      await page.getByTestId('joint-right_antenna').waitFor({ timeout: 20_000 })
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      assert.ok(overflow <= 1, `the page is ${overflow} px wider than the screen`)
      await screenshot(page, 'overview-phone-dark')
    } finally {
      await context.close()
    }
  })

  it('moves the antenna when a goal is sent from the controls', { timeout: 90_000 }, async () => {
    const { page, context } = await openPage('/')
    try {
      await unlock(page, stack.token)
      await page.getByTestId('joint-left_antenna').waitFor({ timeout: 20_000 })
      await page.getByTestId('control-left_antenna-value').fill('-1.2')
      await page.getByTestId('send-antennas').click()
      await page.getByTestId('command-ok').waitFor({ timeout: 15_000 })
      await waitFor(
        async () => Math.abs((await shownJoint(page, 'left_antenna')) + 1.2) < 0.05,
        MOVE_TIMEOUT_MS,
        'the shown left_antenna to reach -1.2 rad',
      )
      await screenshot(page, 'controls-accepted')
    } finally {
      await context.close()
    }
  })

  it('turns the head when a head pose is sent from the controls', { timeout: 90_000 }, async () => {
    const { page, context } = await openPage('/')
    try {
      await unlock(page, stack.token)
      await page.getByTestId('joint-head_yaw').waitFor({ timeout: 20_000 })
      await page.getByTestId('control-head-yaw-value').fill('20')
      await page.getByTestId('send-head-pose').click()
      await page.getByTestId('command-ok').waitFor({ timeout: 15_000 })
      const goal = (20 * Math.PI) / 180
      await waitFor(
        async () => Math.abs((await shownJoint(page, 'head_yaw')) - goal) < 0.03,
        MOVE_TIMEOUT_MS,
        'the shown head_yaw to reach 20°',
      )
    } finally {
      await context.close()
    }
  })

  it('turns torque off and on from the controls, as the motor diagnostics show', { timeout: 90_000 }, async () => {
    const { page, context } = await openPage('/')
    try {
      await unlock(page, stack.token)
      const torqueShown = async () => {
        await page.getByRole('link', { name: 'Diagnostics', exact: true }).click()
        const cell = page.getByTestId('motor-right_antenna').locator('td').nth(4)
        await cell.waitFor({ timeout: 20_000 })
        return cell
      }
      for (const [button, expected] of [
        ['torque-off', 'off'],
        ['torque-on', 'on'],
      ]) {
        await page.getByRole('link', { name: 'Overview', exact: true }).click()
        await page.getByTestId(button).click()
        await page.getByTestId('command-ok').waitFor({ timeout: 20_000 })
        const cell = await torqueShown()
        await waitFor(async () => (await cell.textContent()) === expected, 20_000, `torque shown ${expected}`)
        if (expected === 'off') await screenshot(page, 'diagnostics-torque-off')
      }
    } finally {
      await context.close()
    }
  })

  /** Wait until the last move shown ended as `event`, and return the text shown. */
  async function moveEnded(page, text) {
    const shown = (testId) => page.getByTestId(testId).textContent({ timeout: 1000 }).catch(() => null)
    await waitFor(async () => (await shown('move-outcome')) === text, MOVE_TIMEOUT_MS, `"${text}" shown`).catch(
      async (err) => {
        const controls = await shown('controls')
        throw new Error(`${err.message}\nthe controls show: ${controls}\n${stack.logs()}`)
      },
    )
  }

  it('wakes the robot up from the controls and shows the move running, then completed', { timeout: 120_000 }, async () => {
    const { page, context, errors } = await openPage('/')
    try {
      await unlock(page, stack.token)
      await page.getByTestId('joint-right_antenna').waitFor({ timeout: 20_000 })
      await page.getByTestId('torque-on').click()
      await page.getByTestId('command-ok').waitFor({ timeout: 15_000 })
      // Away from the neutral pose first, so that the wake up has a way to go.
      await page.getByTestId('control-right_antenna-value').fill('1.2')
      await page.getByTestId('send-antennas').click()
      await waitFor(
        async () => Math.abs((await shownJoint(page, 'right_antenna')) - 1.2) < 0.05,
        MOVE_TIMEOUT_MS,
        'the shown right_antenna to reach 1.2 rad',
      )
      await page.getByTestId('wake-up').click()
      const progress = page.getByTestId('move-progress')
      // The goto may still be in its last ticks: wait for the wake up's own progress.
      await waitFor(
        async () =>
          /^Wake up running: \d+\.\d \/ \d+\.\d s$/.test(
            (await progress.textContent({ timeout: 1_000 }).catch(() => '')) ?? '',
          ),
        15_000,
        'the wake up shown running',
      )
      await screenshot(page, 'move-wake-up-running')
      await moveEnded(page, 'Wake up completed')
      assert.equal(await progress.count(), 0)
      await waitFor(
        async () => Math.abs(await shownJoint(page, 'right_antenna')) < 0.3,
        MOVE_TIMEOUT_MS,
        'the right antenna back near neutral',
      )
      await screenshot(page, 'move-wake-up-completed')
      assert.deepEqual(errors.map(String), [])
    } finally {
      await context.close()
    }
  })

  it('moves the head with a goto that takes the duration set in the controls', { timeout: 120_000 }, async () => {
    const { page, context } = await openPage('/')
    try {
      await unlock(page, stack.token)
      await page.getByTestId('joint-head_yaw').waitFor({ timeout: 20_000 })
      await page.getByTestId('torque-on').click()
      await page.getByTestId('command-ok').waitFor({ timeout: 15_000 })
      const goal = (-15 * Math.PI) / 180
      assert.ok(Math.abs((await shownJoint(page, 'head_yaw')) - goal) > 0.1, 'the head is already at the goal')
      await page.getByTestId('goto-duration').fill('3')
      await page.getByTestId('goto-interpolation').selectOption('ease_in_out')
      await page.getByTestId('control-head-yaw-value').fill('-15')
      const sentAt = Date.now()
      await page.getByTestId('send-head-pose').click()
      await page.getByTestId('command-ok').waitFor({ timeout: 15_000 })
      const progress = page.getByTestId('move-progress')
      await progress.waitFor({ timeout: 15_000 })
      assert.match(await progress.textContent(), /^Goto running: \d\.\d \/ 3\.0 s$/)
      await waitFor(
        async () => Math.abs((await shownJoint(page, 'head_yaw')) - goal) < 0.02,
        MOVE_TIMEOUT_MS,
        'the shown head_yaw to reach -15°',
      )
      // A goto of 3 s, not a step: the head got there after most of the duration.
      const tookS = (Date.now() - sentAt) / 1000
      assert.ok(tookS > 2.4, `the head reached its goal in ${tookS} s`)
      await moveEnded(page, 'Goto completed')
      await screenshot(page, 'move-goto-completed')
    } finally {
      await context.close()
    }
  })

  it('shows the reason when the bridge refuses a command', { timeout: 60_000 }, async () => {
    const { page, context } = await openPage('/')
    try {
      await unlock(page, 'not-the-token')
      await page.getByTestId('send-antennas').click()
      const error = page.getByTestId('command-error')
      await error.waitFor({ timeout: 15_000 })
      assert.match(await error.textContent(), /unauthori[sz]ed|token/i)
      await screenshot(page, 'command-refused')
    } finally {
      await context.close()
    }
  })
})
