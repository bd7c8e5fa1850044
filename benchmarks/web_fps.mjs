#!/usr/bin/env node
// Measure the overview's frame rate in Debian's Chromium while joint states stream at 60 Hz.
//
// Starts `reachy-mini bringup` on the simulated robot (as the browser tests do), opens the
// overview (its canvas plot redraws every animation frame), keeps the antennas moving with
// commands, counts requestAnimationFrame callbacks over ~10 s with the performance API, and
// prints frames per second and the joint frame rate the page received. Target: >= 55 fps.
// Run `npm run build` in web/ first.
import { launchBrowser, startStack } from '../web/e2e/support.mjs'

const MEASURE_MS = 10_000
const TARGET_FPS = 55

const stack = await startStack()
let browser
try {
  browser = await launchBrowser()
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(`${stack.baseUrl}/`)
  await page.getByTestId('joint-right_antenna').waitFor({ timeout: 30_000 })

  // Keep the plotted lines moving: alternate antenna goals twice a second.
  let sign = 1
  const mover = setInterval(() => {
    sign = -sign
    fetch(`${stack.baseUrl}/api/commands/joints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` },
      body: JSON.stringify({ goals: { right_antenna: 0.8 * sign, left_antenna: -0.8 * sign } }),
    }).catch(() => {})
  }, 500)

  await page.waitForTimeout(1000)
  const result = await page.evaluate(measureFrames, MEASURE_MS)
  clearInterval(mover)

  await page.close()

  // The same count on an empty page with the stack still running: the machine's own limit.
  const blank = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await blank.setContent('<p data-testid="joint-stream-seq">0</p>')
  const baseline = await blank.evaluate(measureFrames, MEASURE_MS)

  const fps = (result.frames * 1000) / result.elapsedMs
  const baselineFps = (baseline.frames * 1000) / baseline.elapsedMs
  const jointHz = (result.jointFrames * 1000) / result.elapsedMs
  console.log(`overview_fps=${fps.toFixed(1)} target_fps=${TARGET_FPS} within_target=${fps >= TARGET_FPS}`)
  console.log(`frame_gap_p99_ms=${result.p99GapMs.toFixed(1)} frames=${result.frames} over_s=${(result.elapsedMs / 1000).toFixed(1)}`)
  console.log(`empty_page_fps=${baselineFps.toFixed(1)} (same browser and load, for comparison)`)
  console.log(`joint_frames_received_hz=${jointHz.toFixed(1)}`)
} finally {
  await browser?.close()
  await stack.stop()
}

/** Count animation frames for `ms` in the page; also the joint frames the page received. */
function measureFrames(ms) {
  return new Promise((done) => {
    // The page shows its count of joint frames received, refreshed 10 times a second.
    const seq = () => Number(document.querySelector('[data-testid="joint-stream-seq"]')?.textContent)
    const seq0 = seq()
    const frameTimes = []
    const start = performance.now()
    const tick = (t) => {
      frameTimes.push(t)
      if (t - start < ms) requestAnimationFrame(tick)
      else {
        const gaps = frameTimes
          .slice(1)
          .map((v, i) => v - frameTimes[i])
          .sort((a, b) => a - b)
        done({
          frames: frameTimes.length - 1,
          elapsedMs: frameTimes[frameTimes.length - 1] - frameTimes[0],
          p99GapMs: gaps[Math.floor(gaps.length * 0.99)] ?? 0,
          jointFrames: seq() - seq0,
        })
      }
    }
    requestAnimationFrame(tick)
  })
}
