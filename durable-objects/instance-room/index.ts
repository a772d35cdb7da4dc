/**
 * InstanceRoom: one Durable Object per live instance (addressed by the instance id). The class
 * lives in room.ts; the Postgres sync in sync.ts.
 */
export { InstanceRoom } from './room'
export type { SocketAttachment, SyncOutcome } from './room'
export type { Audience, RoomEnvelope } from './fanout'
export type { RoomNotice, RoomPermissions } from './notices'
