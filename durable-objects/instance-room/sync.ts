/**
 * Postgres sync of an InstanceRoom (the callbacks it gives the core's SyncScheduler):
 * `collectRoomSync` reads what changed since the last sync from the room's storage,
 * `writeRoomSync` writes it in one transaction (player states, socket sessions, chat,
 * environment), `markRoomSynced` marks exactly the versions that were read.
 *
 * Every statement is idempotent, so a batch that committed but was not yet marked as synced in
 * the room's storage (the object died between COMMIT and the mark) can be written again safely:
 * user states and sessions are upserts guarded by their timestamps, chat rows carry ids chosen
 * by the room (`ON CONFLICT DO NOTHING`), deletes and `jsonb_set` repeat to the same result.
 *
 * Rows whose user or instance does not exist (deleted account, bad header) are skipped by the
 * `EXISTS` filters instead of failing the transaction, which would otherwise retry forever and
 * hold back every other player's state.
 */
import { sql } from 'drizzle-orm'
import type { NexusClient } from '../../db/client'
import type { MetaStore, VersionCounter } from '../core/storage'
import { CHAT_HISTORY_MESSAGES } from './config'
import type {
  Activity,
  ChatScope,
  InstanceEnvironment,
  Position,
  Rotation,
  Velocity,
} from './protocol'
import type { ChatRow, PlayerRow, SessionRow } from './schema'
import type { Zone } from './zones'

/** A player's state to upsert into `user_states`. */
export interface PendingUserState {
  userId: string
  position: Position
  velocity: Velocity
  rotation: Rotation
  zone: Zone
  activity: Activity
  updatedAtMs: number
}

/** An open socket session to insert into (or heartbeat in) `active_sessions`. */
export interface PendingSession {
  sessionId: string
  userId: string
  zone: Zone
  connectedAtMs: number
  heartbeatAtMs: number
}

/** A chat message or emote to insert into `chat_messages`. */
export interface PendingChatMessage {
  id: string
  senderId: string
  zone: Zone
  messageType: 'text' | 'emote'
  content: string
  scope: ChatScope
  sentAtMs: number
}

/** Everything one sync writes. */
export interface PendingSync {
  instanceId: string
  userStates: PendingUserState[]
  openSessions: PendingSession[]
  closedSessionIds: string[]
  chatMessages: PendingChatMessage[]
  /** The full environment to store in `instances.metadata.environment`, or null if unchanged. */
  environment: InstanceEnvironment | null
}

/** True when a sync would write nothing (so it is skipped without opening a connection). */
export function isEmptySync(pending: PendingSync): boolean {
  return (
    pending.userStates.length === 0 &&
    pending.openSessions.length === 0 &&
    pending.closedSessionIds.length === 0 &&
    pending.chatMessages.length === 0 &&
    pending.environment === null
  )
}

/** Writes one pending sync in a single transaction; throws (and commits nothing) on any error. */
export async function writeRoomSync(db: NexusClient['db'], pending: PendingSync): Promise<void> {
  const { instanceId } = pending
  await db.transaction(async (tx) => {
    if (pending.userStates.length > 0) {
      await tx.execute(sql`
        INSERT INTO user_states
          (user_id, position, velocity, rotation, zone, instance_id, activity_state, last_update)
        SELECT r.user_id, r.position, r.velocity, r.rotation, r.zone,
               -- NULL once the instance is deleted (user_states.instance_id has no foreign key).
               (SELECT i.id FROM instances i WHERE i.id = ${instanceId}::uuid),
               r.activity, to_timestamp(r.updated_at_ms / 1000.0)
        FROM jsonb_to_recordset(${JSON.stringify(pending.userStates.map(toUserStateRecord))}::jsonb)
          AS r(user_id uuid, position jsonb, velocity jsonb, rotation jsonb, zone text,
               activity text, updated_at_ms double precision)
        WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)
        ON CONFLICT (user_id) DO UPDATE SET
          position = excluded.position,
          velocity = excluded.velocity,
          rotation = excluded.rotation,
          zone = excluded.zone,
          instance_id = excluded.instance_id,
          activity_state = excluded.activity_state,
          last_update = excluded.last_update
        -- A retried old batch must not overwrite a newer state (e.g. from another instance).
        WHERE user_states.last_update IS NULL OR user_states.last_update <= excluded.last_update
      `)
    }
    if (pending.openSessions.length > 0) {
      await tx.execute(sql`
        INSERT INTO active_sessions
          (session_id, user_id, socket_id, instance_id, zone, connected_at, last_heartbeat)
        SELECT r.session_id, r.user_id, r.session_id, ${instanceId}::uuid, r.zone,
               to_timestamp(r.connected_at_ms / 1000.0), to_timestamp(r.heartbeat_at_ms / 1000.0)
        FROM jsonb_to_recordset(${JSON.stringify(pending.openSessions.map(toSessionRecord))}::jsonb)
          AS r(session_id text, user_id uuid, zone text, connected_at_ms double precision,
               heartbeat_at_ms double precision)
        WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)
          AND EXISTS (SELECT 1 FROM instances i WHERE i.id = ${instanceId}::uuid)
        ON CONFLICT (session_id) DO UPDATE SET
          zone = excluded.zone,
          last_heartbeat = GREATEST(active_sessions.last_heartbeat, excluded.last_heartbeat)
      `)
    }
    if (pending.closedSessionIds.length > 0) {
      await tx.execute(sql`
        DELETE FROM active_sessions
        WHERE session_id IN (
          SELECT jsonb_array_elements_text(${JSON.stringify(pending.closedSessionIds)}::jsonb))
      `)
    }
    if (pending.chatMessages.length > 0) {
      await tx.execute(sql`
        INSERT INTO chat_messages
          (id, sender_id, instance_id, zone, message_type, content, timestamp, metadata)
        SELECT r.id, r.sender_id, ${instanceId}::uuid, r.zone, r.message_type, r.content,
               to_timestamp(r.sent_at_ms / 1000.0), jsonb_build_object('scope', r.scope)
        FROM jsonb_to_recordset(${JSON.stringify(pending.chatMessages.map(toChatRecord))}::jsonb)
          AS r(id uuid, sender_id uuid, zone text, message_type text, content text, scope text,
               sent_at_ms double precision)
        WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = r.sender_id)
          AND EXISTS (SELECT 1 FROM instances i WHERE i.id = ${instanceId}::uuid)
        ON CONFLICT (id) DO NOTHING
      `)
    }
    if (pending.environment !== null) {
      await tx.execute(sql`
        UPDATE instances
        SET metadata = jsonb_set(COALESCE(metadata, '{}'::jsonb), '{environment}',
                                 ${JSON.stringify(pending.environment)}::jsonb, true)
        WHERE id = ${instanceId}::uuid
      `)
    }
  })
}

function toUserStateRecord(state: PendingUserState) {
  return {
    user_id: state.userId,
    position: state.position,
    velocity: state.velocity,
    rotation: state.rotation,
    zone: state.zone,
    activity: state.activity,
    updated_at_ms: state.updatedAtMs,
  }
}

function toSessionRecord(session: PendingSession) {
  return {
    session_id: session.sessionId,
    user_id: session.userId,
    zone: session.zone,
    connected_at_ms: session.connectedAtMs,
    heartbeat_at_ms: session.heartbeatAtMs,
  }
}

function toChatRecord(message: PendingChatMessage) {
  return {
    id: message.id,
    sender_id: message.senderId,
    zone: message.zone,
    message_type: message.messageType,
    content: message.content,
    scope: message.scope,
    sent_at_ms: message.sentAtMs,
  }
}

/** Meta key of the last chat seq that Postgres has. */
export const CHAT_SYNCED_THROUGH_KEY = 'chat_synced_through'

/** What a sync read from storage, with the versions to mark once Postgres committed. */
export interface RoomSyncSnapshot {
  pending: PendingSync
  playerVersions: [userId: string, version: number][]
  sessionVersions: [sessionId: string, version: number][]
  chatThroughSeq: number
  environmentVersion: number | null
}

/** The room state a sync needs besides its tables. */
export interface RoomSyncSource {
  sql: SqlStorage
  meta: MetaStore
  instanceId: string | null
  environment: InstanceEnvironment
  environmentVersion: VersionCounter
}

/** Reads everything changed since the last sync; null when nothing did (or no instance yet). */
export function collectRoomSync(source: RoomSyncSource): RoomSyncSnapshot | null {
  const { sql: storage, meta, instanceId } = source
  if (instanceId === null) return null
  const playerRows = storage
    .exec('SELECT * FROM players WHERE version > synced_version')
    .toArray() as unknown as PlayerRow[]
  const sessionRows = storage
    .exec('SELECT * FROM sessions WHERE version > synced_version')
    .toArray() as unknown as SessionRow[]
  const chatSyncedThrough = meta.getNumber(CHAT_SYNCED_THROUGH_KEY)
  const chatRows = storage
    .exec('SELECT * FROM chat WHERE seq > ? ORDER BY seq', chatSyncedThrough)
    .toArray() as unknown as ChatRow[]
  const environmentVersion = source.environmentVersion.pending()

  const pending: PendingSync = {
    instanceId,
    userStates: playerRows.map((row) => ({
      userId: row.user_id,
      position: JSON.parse(row.position),
      velocity: JSON.parse(row.velocity),
      rotation: JSON.parse(row.rotation),
      zone: row.zone as Zone,
      activity: row.activity as Activity,
      updatedAtMs: row.updated_at_ms,
    })),
    openSessions: sessionRows
      .filter((row) => row.closed_at_ms === null)
      .map((row) => ({
        sessionId: row.session_id,
        userId: row.user_id,
        zone: row.zone as Zone,
        connectedAtMs: row.connected_at_ms,
        heartbeatAtMs: row.heartbeat_at_ms,
      })),
    closedSessionIds: sessionRows
      .filter((row) => row.closed_at_ms !== null)
      .map((row) => row.session_id),
    chatMessages: chatRows.map((row) => ({
      id: row.message_id,
      senderId: row.user_id,
      zone: row.zone as Zone,
      messageType: row.message_type as 'text' | 'emote',
      content: row.text,
      scope: row.scope as ChatScope,
      sentAtMs: row.sent_at_ms,
    })),
    environment: environmentVersion === null ? null : source.environment,
  }
  if (isEmptySync(pending)) return null
  return {
    pending,
    playerVersions: playerRows.map((row) => [row.user_id, row.version]),
    sessionVersions: sessionRows.map((row) => [row.session_id, row.version]),
    chatThroughSeq: chatRows.length > 0 ? chatRows[chatRows.length - 1].seq : chatSyncedThrough,
    environmentVersion,
  }
}

/**
 * Marks what the committed sync contained, by the versions read before it: a change made while
 * the sync was in flight has a higher version and stays pending. Synced chat beyond the newest
 * CHAT_HISTORY_MESSAGES and synced closed sessions are deleted.
 */
export function markRoomSynced(source: RoomSyncSource, snapshot: RoomSyncSnapshot): void {
  const { sql: storage, meta } = source
  for (const [userId, version] of snapshot.playerVersions) {
    storage.exec(
      'UPDATE players SET synced_version = ? WHERE user_id = ? AND synced_version < ?',
      version,
      userId,
      version,
    )
  }
  for (const [sessionId, version] of snapshot.sessionVersions) {
    storage.exec(
      'UPDATE sessions SET synced_version = ? WHERE session_id = ? AND synced_version < ?',
      version,
      sessionId,
      version,
    )
  }
  storage.exec('DELETE FROM sessions WHERE closed_at_ms IS NOT NULL AND synced_version >= version')
  if (snapshot.chatThroughSeq > meta.getNumber(CHAT_SYNCED_THROUGH_KEY)) {
    meta.setNumber(CHAT_SYNCED_THROUGH_KEY, snapshot.chatThroughSeq)
  }
  storage.exec(
    `DELETE FROM chat WHERE seq <= ? AND seq <= (SELECT MAX(seq) FROM chat) - ?`,
    snapshot.chatThroughSeq,
    CHAT_HISTORY_MESSAGES,
  )
  if (snapshot.environmentVersion !== null) {
    source.environmentVersion.markSynced(snapshot.environmentVersion)
  }
}
