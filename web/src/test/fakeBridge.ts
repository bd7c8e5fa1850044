import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Health } from '../api/client'
import type { components, paths } from '../api/schema'
import type { CommandErrorCode, HelloMessage, JointStatesMessage, ServerMessage } from '../generated/ws'

export interface Recorded {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  body: unknown
}

type Method = 'get' | 'post'
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>
/** Every `METHOD /path` of the bridge's OpenAPI schema, e.g. `GET /api/health`. */
export type RouteKey = {
  [P in keyof paths]: {
    [M in Method]: [Operation<P, M>] extends [never] ? never : `${Uppercase<M>} ${P}`
  }[Method]
}[keyof paths]
type PathOf<K extends RouteKey> = K extends `${string} ${infer P extends keyof paths}` ? P : never
type MethodOf<K extends RouteKey> = K extends `${infer M} ${string}` ? Lowercase<M> & Method : never
/** The JSON body of a route's 200 answer, as the OpenAPI schema describes it. */
export type OkBody<K extends RouteKey> =
  Operation<PathOf<K>, MethodOf<K>> extends {
    responses: { 200: { content: { 'application/json': infer B } } }
  }
    ? B
    : never

/**
 * The codes of the bridge's error answers: those of reachy_mini_ros/bridge/errors.py (its
 * HTTP_CODES, validation_error, internal_error) and the commands' (the same as on the WebSocket).
 */
export type HttpErrorCode =
  | Exclude<CommandErrorCode, 'unknown_command'>
  | 'bad_request'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'internal_error'
/** The body of every error answer of the bridge. */
export type ErrorBody = Omit<components['schemas']['ErrorResponse'], 'error'> & { error: HttpErrorCode }

type Answer<K extends RouteKey> = { status?: number; body: OkBody<K> | ErrorBody }
type Handler<K extends RouteKey> = (req: Recorded) => Answer<K> | Promise<Answer<K>>

export const HELLO = {
  type: 'hello',
  protocol: 1,
  server: 'reachy_mini',
  channels: ['joint_states', 'diagnostics', 'events', 'moves'],
  max_rate_hz: 200,
} satisfies HelloMessage

/**
 * A real HTTP + WebSocket server on 127.0.0.1 that answers like the bridge, for unit tests.
 *
 * Routes are plain functions set by each test; every request and WebSocket message is
 * recorded so that tests can check what the dashboard sent.
 */
export class FakeBridge {
  routes = new Map<string, Handler<RouteKey>>()
  requests: Recorded[] = []
  received: Record<string, unknown>[] = []
  clients = new Set<WebSocket>()
  /** WebSocket connections accepted so far. */
  connections = 0
  port = 0
  private seq = 0
  private http: Server | null = null
  private wss: WebSocketServer | null = null

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`
  }

  /** Answer `METHOD /path` with the handler's status and JSON body, typed by the OpenAPI schema. */
  route<K extends RouteKey>(key: K, handler: Handler<K> | OkBody<K>): this {
    const answer: Handler<K> = typeof handler === 'function' ? (handler as Handler<K>) : () => ({ body: handler })
    this.routes.set(key, answer as Handler<RouteKey>)
    return this
  }

  /** Listen on `port` (a free one when 0). */
  async start(port = this.port): Promise<void> {
    const http = createServer((req, res) => void this.serve(req, res))
    const wss = new WebSocketServer({ server: http, path: '/ws' })
    wss.on('connection', (socket) => {
      this.connections += 1
      this.clients.add(socket)
      socket.on('close', () => this.clients.delete(socket))
      socket.on('message', (raw) => this.received.push(JSON.parse(String(raw)) as Record<string, unknown>))
      socket.send(JSON.stringify(HELLO))
    })
    await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve))
    this.port = (http.address() as AddressInfo).port
    this.http = http
    this.wss = wss
  }

  /** Close every connection and stop listening. */
  async stop(): Promise<void> {
    for (const c of this.clients) c.terminate()
    this.clients.clear()
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()))
    await new Promise<void>((resolve) => {
      if (!this.http) return resolve()
      this.http.closeAllConnections()
      this.http.close(() => resolve())
    })
    this.http = null
    this.wss = null
  }

  /** Send one protocol message to every connected client. */
  broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message)
    for (const c of this.clients) c.send(text)
  }

  /** Push a joint_states frame with the given positions (null: NaN on the robot). */
  sendJoints(positions: Record<string, number | null>, stamp = Date.now() / 1000): void {
    const name = Object.keys(positions)
    this.seq += 1
    this.broadcast({
      type: 'joint_states',
      data: {
        stamp,
        seq: this.seq,
        name,
        position: name.map((n) => positions[n]),
        // Velocities the robot does not know (NaN) come as null.
        velocity: name.map(() => null),
        effort: name.map(() => 0),
      },
    } satisfies JointStatesMessage)
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl)
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString()
    const recorded: Recorded = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text ? JSON.parse(text) : null,
    }
    this.requests.push(recorded)
    const handler = this.routes.get(`${recorded.method} ${url.pathname}`)
    const answer = handler
      ? await handler(recorded)
      : { status: 404, body: { error: 'not_found', message: 'Not Found', timestamp: Date.now() / 1000 } satisfies ErrorBody }
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer.body))
  }
}

export const HEALTHY = {
  status: 'healthy',
  timestamp: 1700000000,
  components: {
    database: true,
    rust_bindings: true,
    api_server: true,
    websocket: true,
    scheduler: true,
    ros: true,
  },
  config: { api_host: '127.0.0.1', api_port: 8000, debug: false },
} satisfies Health
