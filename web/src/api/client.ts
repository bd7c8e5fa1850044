import createClient, { type Client } from 'openapi-fetch'
import type { components, paths } from './schema'

/** The typed client of the bridge's HTTP API, generated from web/openapi.json. */
export type Api = Client<paths>

type Schemas = components['schemas']
export type Health = Schemas['HealthResponse']
export type SystemStatus = Schemas['SystemStatus']
export type DiagnosticsResponse = Schemas['DiagnosticsResponse']
export type EventPage = Schemas['EventsPage']
export type RobotEvent = Schemas['EventModel']
export type Telemetry = Schemas['TelemetryResponse']
export type TelemetryPoint = Schemas['TelemetryPointModel']
export type HeadPose = Required<Schemas['HeadPoseCommand']>
export type CommandResult = Schemas['CommandResult']
export type MoveCommandResult = Schemas['MoveCommandResult']
export type GotoCommand = Schemas['GotoCommand']
export type Interpolation = NonNullable<GotoCommand['interpolation']>
export type MotorMode = Schemas['MotorModeCommand']['mode']
export type RunningMove = Schemas['RunningMoveModel']
export type EventsQuery = NonNullable<paths['/api/events']['get']['parameters']['query']>
export type TelemetryQuery = NonNullable<paths['/api/telemetry']['get']['parameters']['query']>

/** Create the API client for a bridge at baseUrl (the page's own origin by default). */
export function createApi(baseUrl: string = window.location.origin): Api {
  return createClient<paths>({ baseUrl })
}
