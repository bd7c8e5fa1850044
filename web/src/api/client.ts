import createClient, { type Client } from 'openapi-fetch'
import type { paths } from './schema'

/** The typed client of the bridge's HTTP API, generated from web/openapi.json. */
export type Api = Client<paths>

type JsonOf<P extends keyof paths, M extends 'get' | 'post', S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } }
}
  ? T
  : never

export type Health = JsonOf<'/api/health', 'get', 200>
export type SystemStatus = JsonOf<'/system/status', 'get', 200>
export type JointStates = JsonOf<'/api/joints', 'get', 200>
export type Diagnostics = JsonOf<'/api/diagnostics', 'get', 200>
export type DiagnosticStatus = Diagnostics['status'][number]
export type EventPage = JsonOf<'/api/events', 'get', 200>
export type RobotEvent = EventPage['items'][number]
export type Telemetry = JsonOf<'/api/telemetry', 'get', 200>
export type TelemetryPoint = Telemetry['points'][number]
export type EventsQuery = NonNullable<paths['/api/events']['get']['parameters']['query']>
export type TelemetryQuery = NonNullable<paths['/api/telemetry']['get']['parameters']['query']>

/** Create the API client for a bridge at baseUrl (the page's own origin by default). */
export function createApi(baseUrl: string = window.location.origin): Api {
  return createClient<paths>({ baseUrl })
}
