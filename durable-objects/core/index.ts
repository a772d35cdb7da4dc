/**
 * The live-object core: what every live Durable Object reuses (durable-objects/README.md).
 */
export { LiveObject, closeQuietly, sendJson, sendText } from './live-object'
export type { ConnectionAttachment, LiveObjectOptions } from './live-object'
export { MetaStore, VersionCounter, migrate, META_TABLE } from './storage'
export type { Migration, MigrationResult } from './storage'
export { SyncScheduler, retryDelayMs } from './sync-scheduler'
export type { SyncCallbacks, SyncOutcome } from './sync-scheduler'
export { BatchLog } from './batch-log'
export { BatchRing } from './batch-ring'
export type { SequencedBatch } from './batch-ring'
export { accept, refuse, refusalResponse } from './refusal'
export type { Answer, Refusal } from './refusal'
export { checkMove, distanceMeters, reachableWithin, startTrack } from './movement'
export type { MoveCheck, MovementTrack, Point } from './movement'
