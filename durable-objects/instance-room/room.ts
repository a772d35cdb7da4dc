/**
 * InstanceRoom: one Durable Object per live instance (addressed by the instance id). Players
 * connect over hibernatable WebSockets; the room keeps their positions in the 9-zone grid, fans
 * out moves, chat, emotes and environment changes in per-tick batches filtered by area of
 * interest, writes every accepted change to its own SQLite storage, and syncs to Postgres from
 * an alarm (sync.ts).
 *
 * Storage (SQLite, `ctx.storage.sql`):
 * - `room_meta(key, value)`: instance id, area bounds, environment and its version, the last
 *   batch seq, the chat sync marker, the environment sync marker, consecutive sync failures.
 * - `players`: last known state of every player who joined, `session_id` set while connected;
 *   `version` is bumped on each change and `synced_version` records what Postgres has.
 * - `sessions`: socket sessions (open, or closed and not yet deleted from `active_sessions`).
 * - `chat`: chat and emotes by room seq; rows up to the `chat_synced_through` marker are in
 *   Postgres and are kept as history (CHAT_HISTORY_MESSAGES) for `GET /chat`.
 * - `batches`: the resume ring, one row per batch seq, trimmed to RESUME_RING_BATCHES.
 *
 * Ticks: events are collected for TICK_MS (a setTimeout, which only runs while the object is
 * awake with sockets; nothing durable depends on it) and go out as one `batch` per client.
 */
import { DurableObject } from 'cloudflare:workers'
import { z } from 'zod'
import { createNexusClient, type NexusClient } from '../../db/client'
import { getConfig, type Config, type Env } from '../../functions/lib/env'
import { describeError, log } from '../../functions/lib/logger'
import { BatchRing, type SequencedBatch } from './batch-ring'
import {
  CHAT_HISTORY_MESSAGES,
  CHAT_PAGE_DEFAULT_MESSAGES,
  CHAT_PAGE_MAX_MESSAGES,
  CLOSE_INSTANCE_DELETED,
  CLOSE_LEFT_INSTANCE,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_NORMAL,
  CLOSE_POLICY_VIOLATION,
  CLOSE_REMOVED,
  MAX_BAD_FRAMES,
  RESUME_RING_BATCHES,
  SYNC_INTERVAL_MS,
  SYNC_RETRY_BASE_MS,
  SYNC_RETRY_MAX_MS,
  TICK_MS,
} from './config'
import {
  parseClientFrame,
  parseInstanceEnvironment,
  type Activity,
  type ChatFrame,
  type ClientFrame,
  type EmoteFrame,
  type HelloFrame,
  type InstanceEnvironment,
  type MoveFrame,
  type PlayerSnapshot,
  type Position,
  type Rotation,
  type ServerErrorCode,
  type ServerMessage,
  type Velocity,
} from './protocol'
import { eventsFor, TickFanout, type RoomEnvelope } from './fanout'
import { roomNoticeSchema, roomPermissionsOf, type RoomPermissions } from './notices'
import { TokenBucket, type TokenBucketState } from './rate-limit'
import { isEmptySync, writeRoomSync, type PendingSync } from './sync'
import {
  areaOfInterest,
  canSee,
  parseAreaBounds,
  visibilityChange,
  zoneOf,
  type AreaBounds,
  type Zone,
} from './zones'

/** Per-socket state that survives hibernation (`serializeAttachment`). */
export interface SocketAttachment {
  userId: string
  username: string
  sessionId: string
  zone: Zone
  permissions: RoomPermissions
  /** A `hello` was received: the socket gets batches from now on. */
  greeted: boolean
  badFrames: number
  bucket: TokenBucketState
  /** True while frames are being dropped, so `rate_limited` is sent once per streak. */
  rateLimited: boolean
}

/** A connected player as the room holds them. */
interface PlayerState {
  userId: string
  username: string
  sessionId: string
  zone: Zone
  position: Position
  velocity: Velocity
  rotation: Rotation
  activity: Activity
  updatedAtMs: number
}

/** Result of one Postgres sync attempt. */
export type SyncOutcome = 'skipped' | 'synced' | 'failed'

/** What a sync read from storage, with the versions to mark once Postgres committed. */
interface SyncSnapshot {
  pending: PendingSync
  playerVersions: [userId: string, version: number][]
  sessionVersions: [sessionId: string, version: number][]
  chatThroughSeq: number
  environmentVersion: number | null
}

const ORIGIN: Position = { x: 0, y: 0, z: 0 }
const AT_REST: Velocity = { x: 0, y: 0, z: 0 }
const FACING_NORTH: Rotation = { x: 0, y: 0, z: 0, w: 1 }

const connectHeadersSchema = z.object({
  instanceId: z.uuid(),
  userId: z.uuid(),
  username: z.string().min(1).max(64),
  isOwner: z.enum(['0', '1']),
  permissions: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.unknown()),
})

/** The InstanceRoom Durable Object. */
export class InstanceRoom extends DurableObject<Env> {
  private readonly sql: SqlStorage
  /** Connected players by user id (one session per user). */
  private readonly players = new Map<string, PlayerState>()
  /** Attachments of live sockets, cached so a tick does not deserialize every socket. */
  private readonly attachments = new Map<WebSocket, SocketAttachment>()
  private ring: BatchRing<RoomEnvelope>
  private tickEvents: RoomEnvelope[] = []
  private readonly movedPlayers = new Set<string>()
  private tickTimer: ReturnType<typeof setTimeout> | null = null
  private instanceId: string | null
  private bounds: AreaBounds
  private environment: InstanceEnvironment
  private syncInFlight: Promise<SyncOutcome> | null = null
  private alarmKnownScheduled = false

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    this.createTables()
    this.instanceId = this.getMeta('instance_id')
    this.bounds = parseAreaBounds(JSON.parse(this.getMeta('metadata') ?? '{}'))
    this.environment = JSON.parse(this.getMeta('environment') ?? '{}') as InstanceEnvironment
    this.ring = this.loadRing()
    // Transport keepalive answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'))
    this.restoreConnectedPlayers()
  }

  // ---------------------------------------------------------------- HTTP

  /**
   * `/connect` (WebSocket upgrade), `GET /presence`, `GET /chat`, `POST /notice`; anything else
   * is a 404.
   */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (request.method === 'GET' && url.pathname === '/connect')
      return this.acceptConnection(request)
    if (request.method === 'GET' && url.pathname === '/presence') return this.presence()
    if (request.method === 'GET' && url.pathname === '/chat') return this.chatHistory(url)
    if (request.method === 'POST' && url.pathname === '/notice') return this.applyNotice(request)
    return errorResponse(404, 'not_found', `no route ${request.method} ${url.pathname}`)
  }

  private acceptConnection(request: Request): Response {
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return errorResponse(426, 'bad_request', 'expected a WebSocket upgrade')
    }
    const headers = connectHeadersSchema.safeParse({
      instanceId: request.headers.get('X-Nexus-Instance-Id'),
      userId: request.headers.get('X-Nexus-User-Id'),
      username: request.headers.get('X-Nexus-Username'),
      isOwner: request.headers.get('X-Nexus-Is-Owner'),
      permissions: parseJsonHeader(request.headers.get('X-Nexus-Permissions')),
      metadata: parseJsonHeader(request.headers.get('X-Nexus-Instance-Metadata')),
    })
    if (!headers.success) {
      return errorResponse(400, 'bad_request', 'missing or invalid X-Nexus-* headers')
    }
    const { instanceId, userId, username, isOwner, permissions, metadata } = headers.data
    if (this.instanceId === null) {
      this.instanceId = instanceId
      this.setMeta('instance_id', instanceId)
    } else if (this.instanceId !== instanceId) {
      return errorResponse(409, 'conflict', 'this room belongs to another instance')
    }
    this.bounds = parseAreaBounds(metadata)
    this.setMeta('metadata', JSON.stringify({ custom_properties: metadata.custom_properties }))
    // Postgres seeds the environment once; after that the room's copy is authoritative.
    if (this.getMeta('environment') === null) {
      this.environment = parseInstanceEnvironment(metadata)
      this.setMeta('environment', JSON.stringify(this.environment))
    }

    const roomPermissions = roomPermissionsOf(permissions, isOwner === '1')

    const previous = this.players.get(userId)
    if (previous) this.replaceConnection(previous)

    const pair = new WebSocketPair()
    const [client, server] = Object.values(pair) as [WebSocket, WebSocket]
    this.ctx.acceptWebSocket(server)
    const player = this.joinPlayer(userId, username)
    const attachment: SocketAttachment = {
      userId,
      username,
      sessionId: player.sessionId,
      zone: player.zone,
      permissions: roomPermissions,
      greeted: false,
      badFrames: 0,
      bucket: TokenBucket.full(Date.now()).toState(),
      rateLimited: false,
    }
    this.saveAttachment(server, attachment)
    return new Response(null, { status: 101, webSocket: client })
  }

  /** A change made over HTTP (notices.ts): evict a player, or change what they may do. */
  private async applyNotice(request: Request): Promise<Response> {
    const parsed = roomNoticeSchema.safeParse(await request.json().catch(() => null))
    if (!parsed.success) return errorResponse(400, 'bad_request', 'invalid room notice')
    const notice = parsed.data
    switch (notice.type) {
      case 'visitor_left':
        await this.evict(notice.userId, CLOSE_LEFT_INSTANCE, 'you left the instance')
        break
      case 'visitor_removed':
        await this.evict(notice.userId, CLOSE_REMOVED, 'you were removed from the instance')
        break
      case 'instance_deleted':
        await this.evict(null, CLOSE_INSTANCE_DELETED, 'the instance was deleted')
        break
      case 'environment_changed': {
        // A room nobody has entered yet reads the environment from Postgres on the first connect.
        if (this.instanceId === null) break
        const {
          last_changed_by: _by,
          last_changed_at: _at,
          ...changes
        } = parseInstanceEnvironment({ environment: notice.changes })
        if (Object.keys(changes).length > 0) {
          this.changeEnvironment(changes, notice.changedBy, Date.now())
        }
        break
      }
      case 'permissions_changed':
        for (const [ws, attachment] of this.liveSockets(notice.userId)) {
          attachment.permissions = notice.permissions
          this.saveAttachment(ws, attachment)
        }
        break
      default:
        assertNever(notice)
    }
    return new Response(null, { status: 204 })
  }

  /** Closes the sockets of one user (or of everyone, for null); they leave the room. */
  private async evict(userId: string | null, code: number, reason: string): Promise<void> {
    for (const [ws, attachment] of this.liveSockets(userId)) {
      await this.closeConnection(ws, attachment, code, reason)
    }
  }

  /** Open sockets with their attachments, of one user or (for null) of everyone. */
  private liveSockets(userId: string | null): [WebSocket, SocketAttachment][] {
    const found: [WebSocket, SocketAttachment][] = []
    for (const ws of this.ctx.getWebSockets()) {
      const attachment = this.attachmentOf(ws)
      if (attachment && (userId === null || attachment.userId === userId)) {
        found.push([ws, attachment])
      }
    }
    return found
  }

  private presence(): Response {
    const players = [...this.players.values()].map((player) => ({
      userId: player.userId,
      username: player.username,
      zone: player.zone,
      position: player.position,
      activity: player.activity,
    }))
    return Response.json({ instanceId: this.instanceId, players })
  }

  private chatHistory(url: URL): Response {
    const before = url.searchParams.get('before')
    const limitText = url.searchParams.get('limit')
    const limit = limitText === null ? CHAT_PAGE_DEFAULT_MESSAGES : Number(limitText)
    if (!Number.isInteger(limit) || limit < 1 || limit > CHAT_PAGE_MAX_MESSAGES) {
      return errorResponse(400, 'bad_request', `limit must be 1–${CHAT_PAGE_MAX_MESSAGES}`)
    }
    let rows: Record<string, SqlStorageValue>[]
    if (before === null) {
      rows = this.sql.exec('SELECT * FROM chat ORDER BY seq DESC LIMIT ?', limit).toArray()
    } else if (/^\d+$/.test(before)) {
      rows = this.sql
        .exec('SELECT * FROM chat WHERE seq < ? ORDER BY seq DESC LIMIT ?', Number(before), limit)
        .toArray()
    } else if (!Number.isNaN(Date.parse(before))) {
      rows = this.sql
        .exec(
          'SELECT * FROM chat WHERE sent_at_ms < ? ORDER BY seq DESC LIMIT ?',
          Date.parse(before),
          limit,
        )
        .toArray()
    } else {
      return errorResponse(400, 'bad_request', 'before must be a chat seq or an ISO timestamp')
    }
    const syncedThrough = Number(this.getMeta('chat_synced_through') ?? 0)
    const messages = rows.map((row) => ({
      seq: Number(row.seq),
      id: String(row.message_id),
      userId: String(row.user_id),
      username: String(row.username),
      type: String(row.message_type),
      scope: String(row.scope),
      zone: String(row.zone),
      text: String(row.text),
      sentAt: new Date(Number(row.sent_at_ms)).toISOString(),
      synced: Number(row.seq) <= syncedThrough,
    }))
    // Newest first; the next page is `before=<seq of the last message>`.
    const oldest = messages[messages.length - 1]
    return Response.json({ messages, nextBefore: oldest === undefined ? null : String(oldest.seq) })
  }

  // ---------------------------------------------------------------- WebSocket handlers

  /** One client frame: rate limit, size, parse, then an exhaustive switch over frame types. */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = this.attachmentOf(ws)
    const player = attachment && this.players.get(attachment.userId)
    if (!attachment || !player || player.sessionId !== attachment.sessionId) {
      closeQuietly(ws, CLOSE_POLICY_VIOLATION, 'session ended')
      return
    }
    const nowMs = Date.now()
    const bucket = new TokenBucket(attachment.bucket)
    const allowed = bucket.take(nowMs)
    attachment.bucket = bucket.toState()
    if (!allowed) {
      // Dropped and counted, never processed; one notice per streak so a flood is not echoed.
      if (!attachment.rateLimited) {
        attachment.rateLimited = true
        send(ws, { type: 'error', code: 'rate_limited', message: 'too many frames; dropping' })
      }
      this.saveAttachment(ws, attachment)
      return
    }
    attachment.rateLimited = false

    const parsed = parseClientFrame(message)
    if (!parsed.ok) {
      if (parsed.code === 'frame_too_large') {
        await this.closeConnection(ws, attachment, CLOSE_MESSAGE_TOO_BIG, parsed.message)
        return
      }
      await this.rejectFrame(ws, attachment, parsed.code, parsed.message)
      return
    }
    const frame = parsed.frame
    if (!attachment.greeted && frame.type !== 'hello' && frame.type !== 'ping') {
      await this.rejectFrame(ws, attachment, 'invalid_frame', 'send hello first')
      return
    }
    await this.handleFrame(ws, attachment, player, frame, nowMs)
  }

  /** Client closed (or the connection broke): the player leaves the room. */
  override async webSocketClose(ws: WebSocket): Promise<void> {
    closeQuietly(ws, CLOSE_NORMAL, 'closed')
    await this.handleDeparture(ws)
  }

  /** Socket error: treated as a close. */
  override async webSocketError(ws: WebSocket): Promise<void> {
    closeQuietly(ws, CLOSE_NORMAL, 'error')
    await this.handleDeparture(ws)
  }

  private async handleFrame(
    ws: WebSocket,
    attachment: SocketAttachment,
    player: PlayerState,
    frame: ClientFrame,
    nowMs: number,
  ): Promise<void> {
    switch (frame.type) {
      case 'hello':
        if (attachment.greeted) {
          await this.rejectFrame(ws, attachment, 'invalid_frame', 'hello was already received')
          return
        }
        attachment.greeted = true
        this.greet(ws, player, frame)
        break
      case 'move':
        this.acceptMove(attachment, player, frame, nowMs)
        break
      case 'chat':
      case 'emote':
        if (!attachment.permissions.canChat) {
          send(ws, { type: 'error', code: 'forbidden', message: 'you may not chat here' })
          break
        }
        this.acceptChat(player, frame, nowMs)
        break
      case 'env.set':
        if (!attachment.permissions.canChangeEnvironment) {
          send(ws, {
            type: 'error',
            code: 'forbidden',
            message: 'you may not change the environment here',
          })
          break
        }
        this.changeEnvironment(frame.environment, player.userId, nowMs)
        break
      case 'ping':
        send(ws, { type: 'pong', serverTimeMs: nowMs })
        break
      default:
        assertNever(frame)
    }
    this.saveAttachment(ws, attachment)
  }

  /** Answers `hello`: the missed batches when the ring still holds them, else a `welcome`. */
  private greet(ws: WebSocket, player: PlayerState, frame: HelloFrame): void {
    const missed = frame.lastSeq === undefined ? null : this.ring.since(frame.lastSeq)
    if (missed !== null) {
      let sent = 0
      for (const batch of missed) {
        const events = eventsFor(batch.events, player)
        if (events.length === 0) continue
        send(ws, { type: 'batch', seq: batch.seq, events })
        sent++
      }
      // Nothing visible was missed: an empty batch at the latest seq confirms the resume.
      if (sent === 0) send(ws, { type: 'batch', seq: this.ring.latestSeq, events: [] })
      return
    }
    const players = [...this.players.values()]
      .filter((other) => other.userId !== player.userId && canSee(player.zone, other.zone))
      .map(snapshotOf)
    send(ws, {
      type: 'welcome',
      sessionId: player.sessionId,
      seq: this.ring.latestSeq,
      you: snapshotOf(player),
      players,
      environment: this.environment,
    })
  }

  private acceptMove(
    attachment: SocketAttachment,
    player: PlayerState,
    frame: MoveFrame,
    nowMs: number,
  ): void {
    const oldZone = player.zone
    const newZone = zoneOf(frame.position, this.bounds)
    player.position = frame.position
    player.velocity = frame.velocity
    player.rotation = frame.rotation
    player.activity = frame.activity
    player.zone = newZone
    player.updatedAtMs = nowMs
    attachment.zone = newZone
    this.movedPlayers.add(player.userId)

    if (newZone !== oldZone) {
      const change = visibilityChange(oldZone, newZone)
      const subject = player.userId
      if (change.gained.length > 0) {
        this.enqueue({
          event: { type: 'enter', player: snapshotOf(player) },
          to: { kind: 'zones', zones: change.gained },
          subject,
        })
      }
      if (change.lost.length > 0) {
        this.enqueue({
          event: { type: 'leave', userId: subject },
          to: { kind: 'zones', zones: change.lost },
          subject,
        })
      }
      // The mover's own view: players it starts or stops seeing.
      for (const other of this.players.values()) {
        if (other.userId === subject) continue
        if (change.gained.includes(other.zone)) {
          this.enqueue({
            event: { type: 'enter', player: snapshotOf(other) },
            to: { kind: 'user', userId: subject },
          })
        } else if (change.lost.includes(other.zone)) {
          this.enqueue({
            event: { type: 'leave', userId: other.userId },
            to: { kind: 'user', userId: subject },
          })
        }
      }
    }
    this.enqueue({
      event: {
        type: 'move',
        userId: player.userId,
        zone: newZone,
        position: player.position,
        velocity: player.velocity,
        rotation: player.rotation,
        activity: player.activity,
      },
      to: { kind: 'seers', zone: newZone },
      subject: player.userId,
    })
  }

  private acceptChat(player: PlayerState, frame: ChatFrame | EmoteFrame, nowMs: number): void {
    const messageId = crypto.randomUUID()
    const isText = frame.type === 'chat'
    const scope = isText ? frame.scope : 'zone'
    const text = isText ? frame.text : frame.name
    this.sql.exec(
      `INSERT INTO chat (message_id, user_id, username, message_type, scope, zone, text, sent_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      messageId,
      player.userId,
      player.username,
      isText ? 'text' : 'emote',
      scope,
      player.zone,
      text,
      nowMs,
    )
    this.enqueue(
      isText
        ? {
            event: {
              type: 'chat',
              messageId,
              userId: player.userId,
              scope,
              zone: player.zone,
              text,
              sentAtMs: nowMs,
            },
            to: scope === 'instance' ? { kind: 'all' } : { kind: 'seers', zone: player.zone },
          }
        : {
            event: { type: 'emote', userId: player.userId, name: text },
            to: { kind: 'seers', zone: player.zone },
          },
    )
    void this.ensureSyncAlarm()
  }

  /** Merges `changes` into the environment, stores it for the next sync and tells everyone. */
  private changeEnvironment(
    changes: Partial<InstanceEnvironment>,
    changedBy: string,
    nowMs: number,
  ): void {
    const next: InstanceEnvironment = { ...this.environment }
    for (const [key, value] of Object.entries(changes)) {
      if (value !== undefined) (next as Record<string, unknown>)[key] = value
    }
    next.last_changed_by = changedBy
    next.last_changed_at = nowMs
    this.environment = next
    this.setMeta('environment', JSON.stringify(next))
    this.setMeta(
      'environment_version',
      String(Number(this.getMeta('environment_version') ?? 0) + 1),
    )
    this.enqueue({ event: { type: 'env', environment: next }, to: { kind: 'all' } })
    void this.ensureSyncAlarm()
  }

  private async rejectFrame(
    ws: WebSocket,
    attachment: SocketAttachment,
    code: ServerErrorCode,
    message: string,
  ): Promise<void> {
    attachment.badFrames += 1
    send(ws, { type: 'error', code, message })
    if (attachment.badFrames >= MAX_BAD_FRAMES) {
      await this.closeConnection(ws, attachment, CLOSE_POLICY_VIOLATION, 'too many invalid frames')
      return
    }
    this.saveAttachment(ws, attachment)
  }

  // ---------------------------------------------------------------- joining and leaving

  private joinPlayer(userId: string, username: string): PlayerState {
    const nowMs = Date.now()
    const stored = this.sql
      .exec('SELECT * FROM players WHERE user_id = ?', userId)
      .toArray()[0] as unknown as PlayerRow | undefined
    const position = stored ? (JSON.parse(stored.position) as Position) : ORIGIN
    const player: PlayerState = {
      userId,
      username,
      sessionId: crypto.randomUUID(),
      zone: zoneOf(position, this.bounds),
      position,
      velocity: AT_REST,
      rotation: stored ? (JSON.parse(stored.rotation) as Rotation) : FACING_NORTH,
      activity: 'idle',
      updatedAtMs: nowMs,
    }
    this.players.set(userId, player)
    this.sql.exec(
      `INSERT INTO players (user_id, username, session_id, zone, position, velocity, rotation,
                            activity, updated_at_ms, version, synced_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0)
       ON CONFLICT (user_id) DO UPDATE SET
         username = excluded.username, session_id = excluded.session_id, zone = excluded.zone,
         velocity = excluded.velocity, activity = excluded.activity,
         updated_at_ms = excluded.updated_at_ms, version = players.version + 1`,
      userId,
      username,
      player.sessionId,
      player.zone,
      JSON.stringify(player.position),
      JSON.stringify(player.velocity),
      JSON.stringify(player.rotation),
      player.activity,
      nowMs,
    )
    this.sql.exec(
      `INSERT INTO sessions (session_id, user_id, zone, connected_at_ms, heartbeat_at_ms,
                             closed_at_ms, version, synced_version)
       VALUES (?, ?, ?, ?, ?, NULL, 1, 0)`,
      player.sessionId,
      userId,
      player.zone,
      nowMs,
      nowMs,
    )
    this.enqueue({ event: { type: 'join', userId }, to: { kind: 'all' }, subject: userId })
    this.enqueue({
      event: { type: 'enter', player: snapshotOf(player) },
      to: { kind: 'zones', zones: [...areaOfInterest(player.zone)] },
      subject: userId,
    })
    void this.ensureSyncAlarm()
    return player
  }

  /** A second connection of the same user replaces the first. */
  private replaceConnection(previous: PlayerState): void {
    for (const ws of this.ctx.getWebSockets()) {
      const attachment = this.attachmentOf(ws)
      if (attachment?.sessionId !== previous.sessionId) continue
      closeQuietly(ws, CLOSE_NORMAL, 'replaced by a new connection')
      this.attachments.delete(ws)
    }
    this.departPlayer(previous)
  }

  /** Server-side close (policy, size); the player leaves at once. */
  private async closeConnection(
    ws: WebSocket,
    attachment: SocketAttachment,
    code: number,
    reason: string,
  ): Promise<void> {
    closeQuietly(ws, code, reason)
    await this.handleDeparture(ws, attachment)
  }

  private async handleDeparture(ws: WebSocket, known?: SocketAttachment): Promise<void> {
    const attachment = known ?? this.attachmentOf(ws)
    this.attachments.delete(ws)
    if (!attachment) return
    const player = this.players.get(attachment.userId)
    // A replaced or already departed session: nothing left to do.
    if (!player || player.sessionId !== attachment.sessionId) return
    this.departPlayer(player)
    if (this.players.size === 0) await this.flushAfterLastPlayer()
  }

  private departPlayer(player: PlayerState): void {
    const nowMs = Date.now()
    this.players.delete(player.userId)
    this.movedPlayers.delete(player.userId)
    player.activity = 'idle'
    player.velocity = AT_REST
    player.updatedAtMs = nowMs
    this.persistPlayer(player, null)
    this.sql.exec(
      `UPDATE sessions SET closed_at_ms = ?, version = version + 1 WHERE session_id = ?`,
      nowMs,
      player.sessionId,
    )
    const subject = player.userId
    this.enqueue({ event: { type: 'left', userId: subject }, to: { kind: 'all' }, subject })
    this.enqueue({
      event: { type: 'leave', userId: subject },
      to: { kind: 'zones', zones: [...areaOfInterest(player.zone)] },
      subject,
    })
    void this.ensureSyncAlarm()
  }

  /** The last player left: persist and sync now instead of waiting for the alarm. */
  private async flushAfterLastPlayer(): Promise<void> {
    this.flushTick()
    const outcome = await this.syncToPostgres()
    // Re-check after the await: someone may have joined, or more changed, meanwhile.
    if (outcome === 'failed') await this.scheduleRetry()
    else if (this.collectPendingSync() !== null) await this.ensureSyncAlarm()
  }

  // ---------------------------------------------------------------- ticks

  private enqueue(envelope: RoomEnvelope): void {
    this.tickEvents.push(envelope)
    this.tickTimer ??= setTimeout(() => this.flushTick(), TICK_MS)
  }

  /** Ends the tick: persists moved players, stores the batch in the ring, sends one frame each. */
  private flushTick(): void {
    if (this.tickTimer !== null) clearTimeout(this.tickTimer)
    this.tickTimer = null
    try {
      const persisted = this.persistMovedPlayers()
      if (this.tickEvents.length > 0) {
        const envelopes = this.tickEvents
        this.tickEvents = []
        const seq = this.ring.latestSeq + 1
        this.ring.push(seq, envelopes)
        this.sql.exec(
          'INSERT INTO batches (seq, events) VALUES (?, ?)',
          seq,
          JSON.stringify(envelopes),
        )
        this.sql.exec('DELETE FROM batches WHERE seq <= ?', seq - RESUME_RING_BATCHES)
        this.setMeta('batch_seq', String(seq))
        const fanout = new TickFanout(seq, envelopes)
        for (const ws of this.ctx.getWebSockets()) {
          const attachment = this.attachmentOf(ws)
          if (!attachment?.greeted) continue
          const viewer = this.players.get(attachment.userId)
          if (!viewer || viewer.sessionId !== attachment.sessionId) continue
          const frame = fanout.frameFor(viewer)
          if (frame !== null) sendRaw(ws, frame)
        }
      }
      if (persisted) void this.ensureSyncAlarm()
    } catch (error) {
      log('error', 'instance room tick failed', {
        instanceId: this.instanceId,
        ...describeError(error),
      })
    }
  }

  private persistMovedPlayers(): boolean {
    const moved = [...this.movedPlayers]
      .map((userId) => this.players.get(userId))
      .filter((player) => player !== undefined)
      .map((player) => ({ player, sessionId: player.sessionId }))
    this.movedPlayers.clear()
    this.persistPlayers(moved)
    return moved.length > 0
  }

  private persistPlayer(player: PlayerState, sessionId: string | null): void {
    this.persistPlayers([{ player, sessionId }])
  }

  /**
   * Writes players' states (and their sessions' heartbeats) in two statements whatever their
   * number: one statement per player per tick was most of the tick's time with 200 players.
   */
  private persistPlayers(entries: Array<{ player: PlayerState; sessionId: string | null }>): void {
    if (entries.length === 0) return
    const rows = JSON.stringify(
      entries.map(({ player, sessionId }) => ({
        user_id: player.userId,
        session_id: sessionId,
        heartbeat_session_id: player.sessionId,
        zone: player.zone,
        position: JSON.stringify(player.position),
        velocity: JSON.stringify(player.velocity),
        rotation: JSON.stringify(player.rotation),
        activity: player.activity,
        updated_at_ms: player.updatedAtMs,
      })),
    )
    this.sql.exec(
      `UPDATE players SET session_id = r.value ->> 'session_id', zone = r.value ->> 'zone',
         position = r.value ->> 'position', velocity = r.value ->> 'velocity',
         rotation = r.value ->> 'rotation', activity = r.value ->> 'activity',
         updated_at_ms = r.value ->> 'updated_at_ms', version = version + 1
       FROM json_each(?) AS r
       WHERE players.user_id = r.value ->> 'user_id'`,
      rows,
    )
    // Activity is the session's heartbeat.
    this.sql.exec(
      `UPDATE sessions SET zone = r.value ->> 'zone', heartbeat_at_ms = r.value ->> 'updated_at_ms',
         version = version + 1
       FROM json_each(?) AS r
       WHERE sessions.session_id = r.value ->> 'heartbeat_session_id' AND closed_at_ms IS NULL`,
      rows,
    )
  }

  // ---------------------------------------------------------------- Postgres sync

  /** Alarm: the periodic Postgres sync, rescheduled with backoff on failure. */
  override async alarm(): Promise<void> {
    this.alarmKnownScheduled = false
    const outcome = await this.syncToPostgres()
    if (outcome === 'failed') await this.scheduleRetry()
    else if (this.collectPendingSync() !== null) await this.ensureSyncAlarm()
  }

  /**
   * Writes everything changed since the last sync to Postgres in one transaction, then marks it
   * synced. Skipped when nothing changed; serialized so two callers never send the same batch
   * concurrently. On failure nothing is marked, so the next attempt sends the batch again.
   */
  async syncToPostgres(): Promise<SyncOutcome> {
    while (this.syncInFlight !== null) await this.syncInFlight
    const run = this.runSync()
    this.syncInFlight = run
    try {
      return await run
    } finally {
      this.syncInFlight = null
    }
  }

  private async runSync(): Promise<SyncOutcome> {
    this.persistMovedPlayers()
    const snapshot = this.collectPendingSync()
    if (snapshot === null) return 'skipped'
    let client: NexusClient | null = null
    try {
      client = this.openDatabase(getConfig(this.env))
      await writeRoomSync(client.db, snapshot.pending)
    } catch (error) {
      const failures = Number(this.getMeta('sync_failures') ?? 0) + 1
      this.setMeta('sync_failures', String(failures))
      log('error', 'instance room sync failed', {
        instanceId: this.instanceId,
        failures,
        ...describeError(error),
      })
      return 'failed'
    } finally {
      await client?.close()
    }
    this.markSynced(snapshot)
    return 'synced'
  }

  /** The database client of one sync; a seam for tests that simulate an outage. */
  protected openDatabase(config: Config): NexusClient {
    return createNexusClient(config.NEXUS_DATABASE_URL, { wsProxy: config.NEON_WS_PROXY })
  }

  private collectPendingSync(): SyncSnapshot | null {
    if (this.instanceId === null) return null
    const playerRows = this.sql
      .exec('SELECT * FROM players WHERE version > synced_version')
      .toArray() as unknown as PlayerRow[]
    const sessionRows = this.sql
      .exec('SELECT * FROM sessions WHERE version > synced_version')
      .toArray() as unknown as SessionRow[]
    const chatSyncedThrough = Number(this.getMeta('chat_synced_through') ?? 0)
    const chatRows = this.sql
      .exec('SELECT * FROM chat WHERE seq > ? ORDER BY seq', chatSyncedThrough)
      .toArray() as unknown as ChatRow[]
    const environmentVersion = Number(this.getMeta('environment_version') ?? 0)
    const environmentSynced = Number(this.getMeta('environment_synced_version') ?? 0)
    const environmentChanged = environmentVersion > environmentSynced

    const pending: PendingSync = {
      instanceId: this.instanceId,
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
        scope: row.scope as 'zone' | 'instance',
        sentAtMs: row.sent_at_ms,
      })),
      environment: environmentChanged ? this.environment : null,
    }
    if (isEmptySync(pending)) return null
    return {
      pending,
      playerVersions: playerRows.map((row) => [row.user_id, row.version]),
      sessionVersions: sessionRows.map((row) => [row.session_id, row.version]),
      chatThroughSeq: chatRows.length > 0 ? chatRows[chatRows.length - 1].seq : chatSyncedThrough,
      environmentVersion: environmentChanged ? environmentVersion : null,
    }
  }

  /**
   * Marks what the committed sync contained, by the versions read before it: a change made while
   * the sync was in flight has a higher version and stays pending.
   */
  private markSynced(snapshot: SyncSnapshot): void {
    for (const [userId, version] of snapshot.playerVersions) {
      this.sql.exec(
        'UPDATE players SET synced_version = ? WHERE user_id = ? AND synced_version < ?',
        version,
        userId,
        version,
      )
    }
    for (const [sessionId, version] of snapshot.sessionVersions) {
      this.sql.exec(
        'UPDATE sessions SET synced_version = ? WHERE session_id = ? AND synced_version < ?',
        version,
        sessionId,
        version,
      )
    }
    this.sql.exec(
      'DELETE FROM sessions WHERE closed_at_ms IS NOT NULL AND synced_version >= version',
    )
    const chatSyncedThrough = Number(this.getMeta('chat_synced_through') ?? 0)
    if (snapshot.chatThroughSeq > chatSyncedThrough) {
      this.setMeta('chat_synced_through', String(snapshot.chatThroughSeq))
    }
    this.sql.exec(
      `DELETE FROM chat WHERE seq <= ? AND seq <= (SELECT MAX(seq) FROM chat) - ?`,
      snapshot.chatThroughSeq,
      CHAT_HISTORY_MESSAGES,
    )
    if (snapshot.environmentVersion !== null) {
      this.setMeta('environment_synced_version', String(snapshot.environmentVersion))
    }
    this.setMeta('sync_failures', '0')
  }

  private async ensureSyncAlarm(): Promise<void> {
    if (this.alarmKnownScheduled) return
    this.alarmKnownScheduled = true
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + SYNC_INTERVAL_MS)
    }
  }

  private async scheduleRetry(): Promise<void> {
    const failures = Math.max(1, Number(this.getMeta('sync_failures') ?? 1))
    const delayMs = Math.min(SYNC_RETRY_BASE_MS * 2 ** (failures - 1), SYNC_RETRY_MAX_MS)
    this.alarmKnownScheduled = true
    await this.ctx.storage.setAlarm(Date.now() + delayMs)
  }

  // ---------------------------------------------------------------- storage

  private createTables(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS room_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS players (
        user_id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        session_id TEXT,
        zone TEXT NOT NULL,
        position TEXT NOT NULL,
        velocity TEXT NOT NULL,
        rotation TEXT NOT NULL,
        activity TEXT NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        version INTEGER NOT NULL,
        synced_version INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS sessions (
        session_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        zone TEXT NOT NULL,
        connected_at_ms INTEGER NOT NULL,
        heartbeat_at_ms INTEGER NOT NULL,
        closed_at_ms INTEGER,
        version INTEGER NOT NULL,
        synced_version INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS chat (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        username TEXT NOT NULL,
        message_type TEXT NOT NULL,
        scope TEXT NOT NULL,
        zone TEXT NOT NULL,
        text TEXT NOT NULL,
        sent_at_ms INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS batches (seq INTEGER PRIMARY KEY, events TEXT NOT NULL);
    `)
  }

  private getMeta(key: string): string | null {
    const row = this.sql.exec('SELECT value FROM room_meta WHERE key = ?', key).toArray()[0]
    return row === undefined ? null : String(row.value)
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec(
      'INSERT INTO room_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      key,
      value,
    )
  }

  private loadRing(): BatchRing<RoomEnvelope> {
    const latestSeq = Number(this.getMeta('batch_seq') ?? 0)
    const batches = this.sql
      .exec(
        'SELECT seq, events FROM batches WHERE seq > ? ORDER BY seq',
        latestSeq - RESUME_RING_BATCHES,
      )
      .toArray()
      .map((row): SequencedBatch<RoomEnvelope> => ({
        seq: Number(row.seq),
        events: JSON.parse(String(row.events)) as RoomEnvelope[],
      }))
    return BatchRing.fromArray(batches, RESUME_RING_BATCHES, latestSeq)
  }

  /**
   * After hibernation the sockets are still there: rebuild the players from storage and the
   * attachments. After a restart they are gone: their sessions are closed so the next sync
   * removes them from `active_sessions`.
   */
  private restoreConnectedPlayers(): void {
    const liveSessions = new Set<string>()
    for (const ws of this.ctx.getWebSockets()) {
      const attachment = this.attachmentOf(ws)
      if (!attachment) continue
      const row = this.sql
        .exec(
          'SELECT * FROM players WHERE user_id = ? AND session_id = ?',
          attachment.userId,
          attachment.sessionId,
        )
        .toArray()[0] as unknown as PlayerRow | undefined
      if (!row) continue
      liveSessions.add(attachment.sessionId)
      this.players.set(attachment.userId, {
        userId: row.user_id,
        username: row.username,
        sessionId: attachment.sessionId,
        zone: row.zone as Zone,
        position: JSON.parse(row.position),
        velocity: JSON.parse(row.velocity),
        rotation: JSON.parse(row.rotation),
        activity: row.activity as Activity,
        updatedAtMs: row.updated_at_ms,
      })
    }
    const orphaned = this.sql
      .exec('SELECT user_id, session_id FROM players WHERE session_id IS NOT NULL')
      .toArray()
      .filter((row) => !liveSessions.has(String(row.session_id)))
    if (orphaned.length === 0) return
    const nowMs = Date.now()
    for (const row of orphaned) {
      this.sql.exec(
        `UPDATE players SET session_id = NULL, activity = 'idle', updated_at_ms = ?,
           version = version + 1 WHERE user_id = ?`,
        nowMs,
        row.user_id,
      )
      this.sql.exec(
        'UPDATE sessions SET closed_at_ms = ?, version = version + 1 WHERE session_id = ?',
        nowMs,
        row.session_id,
      )
    }
    void this.ensureSyncAlarm()
  }

  private attachmentOf(ws: WebSocket): SocketAttachment | null {
    const cached = this.attachments.get(ws)
    if (cached) return cached
    const attachment = ws.deserializeAttachment() as SocketAttachment | null
    if (attachment) this.attachments.set(ws, attachment)
    return attachment
  }

  private saveAttachment(ws: WebSocket, attachment: SocketAttachment): void {
    this.attachments.set(ws, attachment)
    ws.serializeAttachment(attachment)
  }
}

interface PlayerRow {
  user_id: string
  username: string
  session_id: string | null
  zone: string
  position: string
  velocity: string
  rotation: string
  activity: string
  updated_at_ms: number
  version: number
  synced_version: number
}

interface SessionRow {
  session_id: string
  user_id: string
  zone: string
  connected_at_ms: number
  heartbeat_at_ms: number
  closed_at_ms: number | null
  version: number
  synced_version: number
}

interface ChatRow {
  seq: number
  message_id: string
  user_id: string
  username: string
  message_type: string
  scope: string
  zone: string
  text: string
  sent_at_ms: number
}

function snapshotOf(player: PlayerState): PlayerSnapshot {
  return {
    userId: player.userId,
    zone: player.zone,
    position: player.position,
    velocity: player.velocity,
    rotation: player.rotation,
    activity: player.activity,
  }
}

function send(ws: WebSocket, message: ServerMessage): void {
  sendRaw(ws, JSON.stringify(message))
}

function sendRaw(ws: WebSocket, json: string): void {
  try {
    ws.send(json)
  } catch {
    // The socket is closing; its close handler does the cleanup.
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason)
  } catch {
    // Already closed.
  }
}

function parseJsonHeader(value: string | null): unknown {
  if (value === null || value === '') return {}
  try {
    // A visitor row without permissions (JSON null) means no explicit permissions.
    return JSON.parse(value) ?? {}
  } catch {
    return undefined
  }
}

function errorResponse(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message, requestId: '' } }, { status })
}

function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`)
}
