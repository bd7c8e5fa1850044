import type {
  Channel,
  ClientMessage,
  DiagnosticsData,
  EventData,
  HelloMessage,
  JointStatesData,
  MoveEventData,
  ServerMessage,
} from '../generated/ws'
import { JointHistory } from './history'
import type { DiagnosticsSnapshot, TimedStatus } from './snapshot'

export type ConnectionState = 'connecting' | 'open' | 'closed'

export interface RobotSocketOptions {
  /** Channels and their rates, as sent in `subscribe`. */
  channels?: Partial<Record<Channel, number>>
  /** First reconnection delay; each failure doubles it up to maxDelayMs. */
  initialDelayMs?: number
  maxDelayMs?: number
  /** A connection silent for this long (no frame, no pong) is closed and reopened. */
  silenceTimeoutMs?: number
  /** Samples kept for the plots: 30 s at the 60 Hz subscription, with headroom. */
  historyCapacity?: number
  WebSocketImpl?: typeof WebSocket
}

type Listener = () => void
type EventListener = (event: EventData) => void
type MoveListener = (move: MoveEventData) => void

/** Return the delay before reconnection attempt `attempt` (0-based): doubling, capped. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30))
}

/** Close a socket that is no longer wanted, ignoring whatever it still reports. */
function discard(socket: WebSocket): void {
  socket.onopen = socket.onclose = socket.onmessage = null
  // Closing while still connecting reports an error; nobody is listening for it any more.
  socket.onerror = () => {}
  socket.close()
}

/** Return the WebSocket URL of the bridge that serves the page at `location`. */
export function defaultWsUrl(location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/ws`
}

/**
 * One WebSocket to the bridge, shared by the whole page.
 *
 * Frames update plain fields (latest sample, history ring) without going through React; hooks
 * read them at their own pace, so a 60 Hz stream never re-renders the page 60 times a second.
 */
export class RobotSocket {
  readonly url: string
  readonly history: JointHistory
  state: ConnectionState = 'closed'
  hello: HelloMessage | null = null
  joints: JointStatesData | null = null
  /** Counts joint frames; a hook re-renders only when it moved. */
  jointSeq = 0
  /** Page time (ms since epoch) when the latest joint frame arrived. */
  jointsReceivedAt = 0
  /** Latest status of each name; each /diagnostics array carries only its publisher's. */
  diagnostics: DiagnosticsSnapshot | null = null
  lastEvent: EventData | null = null
  /** The latest move start or end. */
  lastMove: MoveEventData | null = null
  lastServerError: string | null = null
  /** Reconnection attempts since the last successful open. */
  attempts = 0
  /** Time (ms since epoch) of the last frame received. */
  lastFrameAt = 0

  private readonly options: Required<Omit<RobotSocketOptions, 'WebSocketImpl'>>
  private readonly WebSocketImpl: typeof WebSocket
  private socket: WebSocket | null = null
  private running = false
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private watchdog: ReturnType<typeof setInterval> | null = null
  private pingCount = 0
  private readonly listeners = new Map<string, Set<Listener>>()
  private readonly eventListeners = new Set<EventListener>()
  private readonly moveListeners = new Set<MoveListener>()

  constructor(url: string, options: RobotSocketOptions = {}) {
    this.url = url
    this.options = {
      // Every move frame is sent (the server queues them); the rate does not apply to them.
      channels: options.channels ?? { joint_states: 60, diagnostics: 2, events: 20, moves: 20 },
      initialDelayMs: options.initialDelayMs ?? 500,
      maxDelayMs: options.maxDelayMs ?? 5000,
      silenceTimeoutMs: options.silenceTimeoutMs ?? 10000,
      historyCapacity: options.historyCapacity ?? 4096,
    }
    this.WebSocketImpl = options.WebSocketImpl ?? WebSocket
    this.history = new JointHistory(this.options.historyCapacity)
  }

  /** Connect, and keep reconnecting until stop(). */
  start(): void {
    if (this.running) return
    this.running = true
    this.connect()
    this.watchdog = setInterval(() => this.checkSilence(), this.options.silenceTimeoutMs / 2)
  }

  /** Close the connection and stop reconnecting. */
  stop(): void {
    this.running = false
    if (this.retryTimer) clearTimeout(this.retryTimer)
    if (this.watchdog) clearInterval(this.watchdog)
    this.retryTimer = null
    this.watchdog = null
    const socket = this.socket
    this.socket = null
    if (socket) discard(socket)
    this.setState('closed')
  }

  /** Call listener after every change of `topic` (state, joint_states, diagnostics, hello). */
  on(topic: string, listener: Listener): () => void {
    let set = this.listeners.get(topic)
    if (!set) this.listeners.set(topic, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  }

  /** Call listener with every event pushed by the server. */
  onEvent(listener: EventListener): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  /** Call listener with every move start and end pushed by the server. */
  onMove(listener: MoveListener): () => void {
    this.moveListeners.add(listener)
    return () => this.moveListeners.delete(listener)
  }

  /** Send one message if connected; return whether it was sent. */
  send(message: ClientMessage): boolean {
    if (this.socket?.readyState !== 1) return false
    this.socket.send(JSON.stringify(message))
    return true
  }

  private connect(): void {
    this.setState('connecting')
    let socket: WebSocket
    try {
      socket = new this.WebSocketImpl(this.url)
    } catch {
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    socket.onopen = () => {
      this.lastFrameAt = Date.now()
      this.attempts = 0
      this.setState('open')
      this.send({ type: 'subscribe', channels: this.options.channels })
    }
    socket.onmessage = (msg: MessageEvent) => this.handle(msg.data)
    socket.onerror = () => {
      // A close event always follows; reconnection is handled there.
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.socket = null
      this.setState('closed')
      this.scheduleReconnect()
    }
  }

  private scheduleReconnect(): void {
    if (!this.running || this.retryTimer) return
    const delay = backoffDelay(this.attempts, this.options.initialDelayMs, this.options.maxDelayMs)
    this.attempts += 1
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      if (this.running) this.connect()
    }, delay)
  }

  private checkSilence(): void {
    if (this.state !== 'open' || !this.socket) return
    const silentMs = Date.now() - this.lastFrameAt
    if (silentMs > this.options.silenceTimeoutMs) {
      // The peer vanished without closing (suspended host, dropped network): start over.
      const socket = this.socket
      this.socket = null
      discard(socket)
      this.setState('closed')
      this.scheduleReconnect()
    } else if (silentMs > this.options.silenceTimeoutMs / 4) {
      this.send({ type: 'ping', id: `keepalive-${++this.pingCount}` })
    }
  }

  private handle(raw: unknown): void {
    this.lastFrameAt = Date.now()
    if (typeof raw !== 'string') return
    let msg: ServerMessage
    try {
      msg = JSON.parse(raw) as ServerMessage
    } catch {
      return
    }
    switch (msg.type) {
      case 'hello':
        this.hello = msg
        this.emit('hello')
        break
      case 'joint_states': {
        const data = msg.data
        this.joints = data
        this.jointSeq += 1
        this.jointsReceivedAt = Date.now()
        const stamp = Number.isFinite(data.stamp) ? data.stamp : Date.now() / 1000
        this.history.push(stamp, data.name, data.position)
        this.emit('joint_states')
        break
      }
      case 'diagnostics': {
        // Staleness is judged on this page's clock, which may differ from the robot's.
        const now = Date.now() / 1000
        this.mergeDiagnostics(msg.data, msg.data.status.map(() => now))
        break
      }
      case 'events':
        this.lastEvent = msg.data
        for (const listener of this.eventListeners) listener(msg.data)
        this.emit('events')
        break
      case 'moves':
        this.lastMove = msg.data
        for (const listener of this.moveListeners) listener(msg.data)
        this.emit('moves')
        break
      case 'error':
        this.lastServerError = `${msg.error}: ${msg.message}`
        this.emit('error')
        break
      default:
        break
    }
  }

  /**
   * Return the robot's current UNIX time in seconds, from the stamp of the latest joint frame.
   *
   * Queries over recorded history use the robot's clock, which may differ from the page's;
   * without a frame yet, the page's clock is the best guess.
   */
  robotNow(): number {
    if (!this.joints || !Number.isFinite(this.joints.stamp)) return Date.now() / 1000
    return this.joints.stamp + (Date.now() - this.jointsReceivedAt) / 1000
  }

  /** Merge statuses into the snapshot; an older copy of a status never replaces a newer one. */
  mergeDiagnostics(data: DiagnosticsData, stamps?: number[]): void {
    const byName = new Map<string, TimedStatus>((this.diagnostics?.status ?? []).map((s) => [s.name, s]))
    data.status.forEach((s, i) => {
      const stamp = stamps?.[i] ?? data.stamp
      const known = byName.get(s.name)
      if (!known || known.stamp <= stamp) byName.set(s.name, { ...s, stamp })
    })
    const status = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
    const stamp = Math.max(this.diagnostics?.stamp ?? -Infinity, data.stamp)
    this.diagnostics = { stamp, status }
    this.emit('diagnostics')
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return
    this.state = state
    this.emit('state')
  }

  private emit(topic: string): void {
    const set = this.listeners.get(topic)
    if (set) for (const listener of set) listener()
  }
}
