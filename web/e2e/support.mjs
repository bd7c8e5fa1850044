// Start the real stack on the simulated robot and a headless Debian Chromium for browser tests.
import { spawn } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const ROOT = resolve(WEB, '..')
export const BIN = join(ROOT, '.venv', 'bin')
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots')

// Startup of two rclpy processes plus uvicorn on a shared 2-core machine can take a while.
export const READY_TIMEOUT_MS = 90_000

/** Return a TCP port on loopback that is free right now. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

/** An error that ends a wait at once instead of being retried. */
export class StackDied extends Error {}

/** Call check until it returns a truthy value; throw with `what` after timeoutMs. */
export async function waitFor(check, timeoutMs, what, everyMs = 100) {
  const deadline = Date.now() + timeoutMs
  let lastError = null
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value) return value
    } catch (err) {
      if (err instanceof StackDied) throw err
      lastError = err
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last error: ${lastError})`)
}

// Process groups still running, killed if this process is interrupted or exits early.
const LIVE_GROUPS = new Set()
function killLiveGroups() {
  for (const pid of LIVE_GROUPS) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  LIVE_GROUPS.clear()
}
process.once('exit', killLiveGroups)
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killLiveGroups()
    process.exit(130)
  })
}

/** Start a child in its own process group, its output kept in logDir/name.log. */
function startProcess(name, command, args, env, logDir) {
  mkdirSync(logDir, { recursive: true })
  const logPath = join(logDir, `${name}.log`)
  const fd = openSync(logPath, 'a')
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  LIVE_GROUPS.add(child.pid)
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })))
  return {
    name,
    child,
    exited,
    log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
    alive: () => child.exitCode === null && child.signalCode === null,
    /** Stop the whole process group: SIGINT, then SIGKILL after timeoutMs. */
    async stop(timeoutMs = 15_000) {
      const kill = (sig) => {
        try {
          process.kill(-child.pid, sig)
        } catch {
          // Already gone.
        }
      }
      if (child.exitCode === null && child.signalCode === null) {
        kill('SIGINT')
        const timer = setTimeout(() => kill('SIGKILL'), timeoutMs)
        await exited
        clearTimeout(timer)
      }
      kill('SIGKILL') // children that outlived their parent in the group
      LIVE_GROUPS.delete(child.pid)
    },
  }
}

/** The environment every process of one stack shares: its own DDS domain, token and data dir. */
function stackEnv(dataDir, token) {
  return {
    ...process.env,
    REACHY_MINI_TOKEN: token,
    REACHY_MINI_DATA_DIR: dataDir,
    ROS_DOMAIN_ID: String(randomInt(1, 102)),
    ROS_AUTOMATIC_DISCOVERY_RANGE: 'LOCALHOST',
    RMW_IMPLEMENTATION: 'rmw_fastrtps_cpp',
    AMENT_PREFIX_PATH: join(ROOT, '.venv'),
    PYTHONUNBUFFERED: '1',
  }
}

/**
 * Run the stack on the simulated robot until the bridge serves joint states.
 *
 * `separate: false` runs `reachy-mini bringup`; `separate: true` runs the hardware node and the
 * bridge as two processes so that a test can stop and restart the bridge alone.
 */
export async function startStack({ separate = false } = {}) {
  if (!existsSync(join(WEB, 'dist', 'index.html')))
    throw new Error('web/dist/index.html is missing: run `npm run build` first')
  const port = await freePort()
  const token = `e2e-token-${randomBytes(8).toString('hex')}`
  const tmp = mkdtempSync(join(tmpdir(), 'reachy-mini-e2e-'))
  const dataDir = join(tmp, 'data')
  const logDir = join(tmp, 'logs')
  const env = stackEnv(dataDir, token)
  const baseUrl = `http://127.0.0.1:${port}`
  const processes = []
  let bridge = null

  const startBridge = () => {
    bridge = startProcess(
      'bridge_node',
      join(BIN, 'bridge_node'),
      ['--ros-args', '-p', `api_port:=${port}`, '-p', 'api_host:=127.0.0.1'],
      env,
      logDir,
    )
    processes.push(bridge)
    return bridge
  }

  if (separate) {
    processes.push(
      startProcess('hardware_node', join(BIN, 'hardware_node'), [], env, logDir),
    )
    startBridge()
  } else {
    processes.push(
      startProcess('bringup', join(BIN, 'reachy-mini'), ['bringup', '--host', '127.0.0.1', '--port', String(port)], env, logDir),
    )
  }

  const logs = () => processes.map((p) => `--- ${p.name}\n${p.log().slice(-3000)}`).join('\n')
  const jointsServed = async () => (await fetch(`${baseUrl}/api/joints`)).status === 200
  const stack = {
    baseUrl,
    token,
    env,
    logs,
    async waitReady() {
      const current = separate ? [processes[0], bridge] : [processes[0]]
      await waitFor(
        async () => {
          const dead = current.find((p) => !p.alive())
          if (dead) throw new StackDied(`${dead.name} exited before the bridge was ready\n${logs()}`)
          return jointsServed()
        },
        READY_TIMEOUT_MS,
        'the bridge to serve joint states',
        250,
      ).catch((err) => {
        throw err instanceof StackDied ? err : new Error(`${err.message}\n${logs()}`)
      })
    },
    /** Stop the bridge process only (separate stacks). */
    async stopBridge() {
      await bridge.stop()
    },
    /** Start the bridge again on the same port and wait until it serves joint states. */
    async restartBridge() {
      startBridge()
      await stack.waitReady()
    },
    async stop() {
      for (const p of [...processes].reverse()) await p.stop()
      rmSync(tmp, { recursive: true, force: true })
    },
  }
  try {
    await stack.waitReady()
  } catch (err) {
    await stack.stop()
    throw err
  }
  return stack
}

/** Launch Debian's Chromium, headless, through playwright-core. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/** Save a full-page screenshot to test-artifacts/screenshots/<name>.png. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
}

/** Publish a goal for `joint` over DDS with rclpy, in the stack's domain. */
export function publishGoal(stack, joint, value) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(join(BIN, 'python'), [join(WEB, 'e2e', 'publish_goal.py'), joint, String(value)], {
      cwd: ROOT,
      env: stack.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    child.once('error', reject)
    child.once('exit', (code) =>
      code === 0 ? resolveRun() : reject(new Error(`publish_goal.py exited ${code}: ${output}`)),
    )
  })
}

/** Return the number shown in `data-testid=joint-<name>`, or NaN when absent. */
export async function shownJoint(page, name) {
  const text = await page.getByTestId(`joint-${name}`).textContent({ timeout: 1000 }).catch(() => null)
  return text === null ? NaN : Number.parseFloat(text)
}
