import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'

export interface Recorded {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  body: unknown
}

type Handler = (req: Recorded) => { status?: number; body: unknown }

/**
 * A real HTTP + WebSocket server on 127.0.0.1 that answers like the bridge, for unit tests.
 *
 * Routes are plain functions set by each test; every request and WebSocket message is
 * recorded so that tests can check what the dashboard sent.
 */
export class FakeBridge {
  routes = new Map<string, Handler>()
  requests: Recorded[] = []
  received: Record<string, unknown>[] = []
  clients = new Set<WebSocket>()
  /** WebSocket connections accepted so far. */
  connections = 0
  port = 0
  private http: Server | null = null
  private wss: WebSocketServer | null = null

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`
  }

  /** Answer `METHOD /path` with the handler's status and JSON body. */
  route(key: string, handler: Handler | unknown): this {
    this.routes.set(key, typeof handler === 'function' ? (handler as Handler) : () => ({ body: handler }))
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
      socket.send(
        JSON.stringify({
          type: 'hello',
          protocol: 1,
          server: 'reachy_mini',
          channels: ['joint_states', 'diagnostics', 'events'],
          max_rate_hz: 200,
        }),
      )
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
  broadcast(message: object): void {
    const text = JSON.stringify(message)
    for (const c of this.clients) c.send(text)
  }

  /** Push a joint_states frame with the given positions. */
  sendJoints(positions: Record<string, number>, stamp = Date.now() / 1000): void {
    const name = Object.keys(positions)
    this.broadcast({
      type: 'joint_states',
      data: { stamp, seq: 0, name, position: name.map((n) => positions[n]), velocity: [], effort: [] },
    })
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
    const answer = handler ? handler(recorded) : { status: 404, body: { detail: 'Not Found' } }
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
}
