/**
 * The NEXUS SDK: a typed HTTP client generated from the API's OpenAPI document, with sessions
 * that refresh themselves, and a reconnecting, resuming client of the live rooms. See README.md.
 */
export { NexusApiError, NexusClient, unwrap } from './nexus'
export type { JoinRoomOptions, NexusApi, NexusClientOptions } from './nexus'
export { NexusSession, tokenExpiresAtMs, tokenRoles } from './session'
export type { SessionOptions, SessionTokens, TokenPair } from './session'
export { FINAL_CLOSE_CODES, RoomClient } from './room/client'
export type {
  MoveInput,
  ReconnectOptions,
  RoomClientOptions,
  RoomEvents,
  RoomStatus,
} from './room/client'
export { ROOM_SUBPROTOCOL } from './room/codec'
export type { components, paths } from './generated/openapi'
export type {
  Activity,
  AreaBoundsSnapshot,
  ChatScope,
  ClientFrame,
  EnvironmentSettings,
  InstanceEnvironment,
  PlayerSnapshot,
  Position,
  Rotation,
  ServerEvent,
  ServerMessage,
  Velocity,
} from '../durable-objects/instance-room/protocol'
export type { Zone } from '../durable-objects/instance-room/zones'
