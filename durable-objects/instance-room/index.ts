/**
 * InstanceRoom: one Durable Object per live instance (named by the instance's canonical id). The
 * class lives in room.ts, on the live-object core (`../core`); its Postgres sync in sync.ts, its
 * tables in schema.ts, its contract with the Worker in rpc.ts and notices.ts.
 */
export { InstanceRoom } from './room'
export type { SocketAttachment } from './room'
export type { SyncOutcome } from '../core/sync-scheduler'
export type { Audience, RoomEnvelope } from './fanout'
export type { RoomNotice, RoomPermissions } from './notices'
export type { ChatHistoryItem, ChatHistorySlice, RoomConnection, RoomPresence } from './rpc'
export type { AcceptedPosition } from './movement-limit'
