/**
 * InstanceRoom: one Durable Object per live instance, named by the instance's canonical id. The
 * rules of a live instance on the live-object core (`../core`): players in the 9-zone grid, moves,
 * chat and emotes, the environment, and the notices of changes made over HTTP.
 *
 * The core does the machinery: storage migrations (`schema.ts`), ticks and the resume ring,
 * socket attachments and hibernation, the error boundary, and the Postgres sync scheduler, for
 * which this class supplies the callbacks of `sync.ts`.
 *
 * The Worker reaches the room through `functions/instances/room-gateway.ts`: `fetch` for the
 * WebSocket upgrade only, RPC for presence, chat history and notices (`rpc.ts`).
 */
import type { NexusClient } from '../../db/client'
import type { Env } from '../../functions/lib/env'
import { closeQuietly, LiveObject, sendJson, sendText } from '../core/live-object'
import { accept, refusalResponse, refuse, type Answer } from '../core/refusal'
import { VersionCounter } from '../core/storage'
import { CLOSE_NORMAL } from '../core/config'
import {
  CHAT_PAGE_MAX_MESSAGES,
  CLOSE_INSTANCE_DELETED,
  CLOSE_LEFT_INSTANCE,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_POLICY_VIOLATION,
  CLOSE_REMOVED,
  MAX_BAD_FRAMES,
  TICK_MS,
} from './config'
import { BUILDINGS_VERSION_SEEN_KEY } from './buildings'
import { eventsFor, TickFanout, type RoomEnvelope } from './fanout'
import { roomNoticeSchema, type RoomNotice, type RoomPermissions } from './notices'
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
import { TokenBucket, type TokenBucketState } from './rate-limit'
import {
  ROOM_CONNECTION_HEADER,
  roomConnectionSchema,
  type ChatHistoryItem,
  type ChatHistoryQuery,
  type ChatHistorySlice,
  type RoomPresence,
} from './rpc'
import { ROOM_MIGRATIONS, type ChatRow, type PlayerRow } from './schema'
import {
  CHAT_SYNCED_THROUGH_KEY,
  collectRoomSync,
  markRoomSynced,
  writeRoomSync,
  type RoomSyncSnapshot,
  type RoomSyncSource,
} from './sync'
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

const ORIGIN: Position = { x: 0, y: 0, z: 0 }
const AT_REST: Velocity = { x: 0, y: 0, z: 0 }
const FACING_NORTH: Rotation = { x: 0, y: 0, z: 0, w: 1 }

/** The InstanceRoom Durable Object. */
export class InstanceRoom extends LiveObject<SocketAttachment, RoomEnvelope, RoomSyncSnapshot> {
  /** Connected players by user id (one session per user). */
  private readonly players = new Map<string, PlayerState>()
  /** Players that moved during the current tick; persisted once at its end. */
  private readonly movedPlayers = new Set<string>()
  private readonly environmentVersion: VersionCounter
  private instanceId: string | null
  private bounds: AreaBounds
  private environment: InstanceEnvironment

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { migrations: ROOM_MIGRATIONS, tickMs: TICK_MS })
    this.environmentVersion = new VersionCounter(this.meta, 'environment')
    this.instanceId = this.meta.get('instance_id')
    this.bounds = parseAreaBounds(this.meta.getJson('metadata', {}))
    this.environment = this.meta.getJson<InstanceEnvironment>('environment', {})
    this.restoreConnectedPlayers()
  }

  // ---------------------------------------------------------------- Worker boundary

  /** `GET /connect`, the WebSocket upgrade; anything else is refused. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (request.method !== 'GET' || url.pathname !== '/connect') {
      return refusalResponse('not_found', `no route ${request.method} ${url.pathname}`)
    }
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return refusalResponse('bad_request', 'expected a WebSocket upgrade')
    }
    const parsed = roomConnectionSchema.safeParse(
      parseJsonHeader(request.headers.get(ROOM_CONNECTION_HEADER)),
    )
    if (!parsed.success) {
      return refusalResponse('bad_request', `missing or invalid ${ROOM_CONNECTION_HEADER} header`)
    }
    const { instance_id: instanceId, user_id: userId, username, permissions } = parsed.data
    if (this.instanceId === null) {
      this.instanceId = instanceId
      this.meta.set('instance_id', instanceId)
    } else if (this.instanceId !== instanceId) {
      return refusalResponse('conflict', 'this room belongs to another instance')
    }
    const metadata = parsed.data.metadata
    this.noteBuildingsVersion(parsed.data.buildings_version ?? 0)
    this.bounds = parseAreaBounds(metadata)
    this.meta.setJson('metadata', { custom_properties: metadata.custom_properties })
    // Postgres seeds the environment once; after that the room's copy is authoritative.
    if (this.meta.get('environment') === null) {
      this.environment = parseInstanceEnvironment(metadata)
      this.meta.setJson('environment', this.environment)
    }

    const previous = this.players.get(userId)
    if (previous) this.replaceConnection(previous)
    const player = this.joinPlayer(userId, username)
    const webSocket = this.acceptConnection({
      userId,
      username,
      sessionId: player.sessionId,
      zone: player.zone,
      permissions,
      greeted: false,
      badFrames: 0,
      bucket: TokenBucket.full(Date.now()).toState(),
      rateLimited: false,
    })
    return new Response(null, { status: 101, webSocket })
  }

  /** RPC: the players connected now. */
  presence(): RoomPresence {
    return {
      instance_id: this.instanceId,
      players: [...this.players.values()].map((player) => ({
        user_id: player.userId,
        username: player.username,
        zone: player.zone,
        position: player.position,
        activity: player.activity,
      })),
    }
  }

  /** RPC: one page of chat history, newest first. */
  chatHistory(query: ChatHistoryQuery): Answer<ChatHistorySlice> {
    const { limit, before_seq: beforeSeq, before_ms: beforeMs } = query
    if (!Number.isInteger(limit) || limit < 1 || limit > CHAT_PAGE_MAX_MESSAGES) {
      return refuse('validation_error', `limit must be 1–${CHAT_PAGE_MAX_MESSAGES}`)
    }
    for (const bound of [beforeSeq, beforeMs]) {
      if (bound !== undefined && !Number.isSafeInteger(bound)) {
        return refuse('validation_error', 'before_seq and before_ms must be integers')
      }
    }
    // One row more than asked tells whether another page exists.
    const rows = this.sql
      .exec(
        'SELECT * FROM chat WHERE seq < ? AND sent_at_ms < ? ORDER BY seq DESC LIMIT ?',
        beforeSeq ?? Number.MAX_SAFE_INTEGER,
        beforeMs ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray() as unknown as ChatRow[]
    const page = rows.slice(0, limit)
    const syncedThrough = this.meta.getNumber(CHAT_SYNCED_THROUGH_KEY)
    const items = page.map((row): ChatHistoryItem => ({
      message_id: row.message_id,
      user_id: row.user_id,
      username: row.username,
      message_type: row.message_type as ChatHistoryItem['message_type'],
      scope: row.scope as ChatHistoryItem['scope'],
      zone: row.zone as Zone,
      text: row.text,
      sent_at: new Date(row.sent_at_ms).toISOString(),
      synced: row.seq <= syncedThrough,
    }))
    const hasMore = rows.length > limit
    return accept({ items, next_before_seq: hasMore ? page[page.length - 1].seq : null })
  }

  /** RPC: a change made over HTTP (notices.ts): evict a player, or change what they may do. */
  async applyNotice(input: RoomNotice): Promise<Answer<null>> {
    const parsed = roomNoticeSchema.safeParse(input)
    if (!parsed.success) return refuse('validation_error', 'invalid room notice')
    const notice = parsed.data
    switch (notice.type) {
      case 'visitor_left':
        await this.evict(notice.user_id, CLOSE_LEFT_INSTANCE, 'you left the instance')
        break
      case 'visitor_removed':
        await this.evict(notice.user_id, CLOSE_REMOVED, 'you were removed from the instance')
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
          this.changeEnvironment(changes, notice.changed_by, Date.now())
        }
        break
      }
      case 'permissions_changed':
        for (const [ws, attachment] of this.connections(notice.user_id)) {
          attachment.permissions = notice.permissions
          this.saveAttachment(ws, attachment)
        }
        break
      case 'building_changed':
        this.noteBuildingsVersion(notice.building.version)
        this.enqueue({
          event: { type: 'building', change: notice.change, building: notice.building },
          to: { kind: 'all' },
        })
        break
      case 'trade_changed':
        // News for one player: dropped when they are not connected here (trades.ts).
        if (this.players.has(notice.user_id)) {
          this.enqueue({
            event: { type: 'trade', change: notice.change, trade: notice.trade },
            to: { kind: 'user', userId: notice.user_id },
          })
        }
        break
      default:
        assertNever(notice)
    }
    return accept(null)
  }

  /** Remembers the highest building version heard of (buildings.ts); welcomes carry it. */
  private noteBuildingsVersion(version: number): void {
    if (version > this.meta.getNumber(BUILDINGS_VERSION_SEEN_KEY)) {
      this.meta.setNumber(BUILDINGS_VERSION_SEEN_KEY, version)
    }
  }

  /** Closes the sockets of one user (or of everyone, for null); they leave the room. */
  private async evict(userId: string | null, code: number, reason: string): Promise<void> {
    for (const [ws] of this.connections(userId)) await this.closeConnection(ws, code, reason)
  }

  // ---------------------------------------------------------------- client frames

  /** One client frame: rate limit, size, parse, then an exhaustive switch over frame types. */
  protected override async handleMessage(
    ws: WebSocket,
    message: string | ArrayBuffer,
  ): Promise<void> {
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
        await this.closeConnection(ws, CLOSE_MESSAGE_TOO_BIG, parsed.message)
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
        if (!attachment.permissions.can_chat) {
          send(ws, { type: 'error', code: 'forbidden', message: 'you may not chat here' })
          break
        }
        this.acceptChat(player, frame, nowMs)
        break
      case 'env.set':
        if (!attachment.permissions.can_change_environment) {
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
        send(ws, { type: 'pong', server_time_ms: nowMs })
        break
      default:
        assertNever(frame)
    }
    this.saveAttachment(ws, attachment)
  }

  /** Answers `hello`: the missed batches when the ring still holds them, else a `welcome`. */
  private greet(ws: WebSocket, player: PlayerState, frame: HelloFrame): void {
    const missed = frame.last_seq === undefined ? null : this.missedBatches(frame.last_seq)
    if (missed !== null) {
      let sent = 0
      for (const batch of missed) {
        const events = eventsFor(batch.events, player)
        if (events.length === 0) continue
        send(ws, { type: 'batch', seq: batch.seq, events })
        sent++
      }
      // Nothing visible was missed: an empty batch at the latest seq confirms the resume.
      if (sent === 0) send(ws, { type: 'batch', seq: this.latestSeq, events: [] })
      return
    }
    const players = [...this.players.values()]
      .filter((other) => other.userId !== player.userId && canSee(player.zone, other.zone))
      .map(snapshotOf)
    send(ws, {
      type: 'welcome',
      session_id: player.sessionId,
      seq: this.latestSeq,
      you: snapshotOf(player),
      players,
      environment: this.environment,
      buildings_version: this.meta.getNumber(BUILDINGS_VERSION_SEEN_KEY),
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
          event: { type: 'leave', user_id: subject },
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
            event: { type: 'leave', user_id: other.userId },
            to: { kind: 'user', userId: subject },
          })
        }
      }
    }
    this.enqueue({
      event: {
        type: 'move',
        user_id: player.userId,
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
              message_id: messageId,
              user_id: player.userId,
              scope,
              zone: player.zone,
              text,
              sent_at_ms: nowMs,
            },
            to: scope === 'instance' ? { kind: 'all' } : { kind: 'seers', zone: player.zone },
          }
        : {
            event: { type: 'emote', user_id: player.userId, name: text },
            to: { kind: 'seers', zone: player.zone },
          },
    )
    void this.syncs.schedule()
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
    this.meta.setJson('environment', next)
    this.environmentVersion.bump()
    this.enqueue({ event: { type: 'env', environment: next }, to: { kind: 'all' } })
    void this.syncs.schedule()
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
      await this.closeConnection(ws, CLOSE_POLICY_VIOLATION, 'too many invalid frames')
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
    this.enqueue({ event: { type: 'join', user_id: userId }, to: { kind: 'all' }, subject: userId })
    this.enqueue({
      event: { type: 'enter', player: snapshotOf(player) },
      to: { kind: 'zones', zones: [...areaOfInterest(player.zone)] },
      subject: userId,
    })
    void this.syncs.schedule()
    return player
  }

  /** A second connection of the same user replaces the first. */
  private replaceConnection(previous: PlayerState): void {
    for (const [ws, attachment] of this.connections(previous.userId)) {
      if (attachment.sessionId !== previous.sessionId) continue
      closeQuietly(ws, CLOSE_NORMAL, 'replaced by a new connection')
      this.forgetConnection(ws)
    }
    this.departPlayer(previous)
  }

  /** A socket is gone: its player leaves, and the last one to leave flushes the room. */
  protected override async handleDeparture(
    _ws: WebSocket,
    attachment: SocketAttachment,
  ): Promise<void> {
    const player = this.players.get(attachment.userId)
    // A replaced or already departed session: nothing left to do.
    if (!player || player.sessionId !== attachment.sessionId) return
    this.departPlayer(player)
    if (this.players.size === 0) await this.flushAfterLastClient()
  }

  private departPlayer(player: PlayerState): void {
    const nowMs = Date.now()
    this.players.delete(player.userId)
    this.movedPlayers.delete(player.userId)
    player.activity = 'idle'
    player.velocity = AT_REST
    player.updatedAtMs = nowMs
    this.persistPlayers([{ player, sessionId: null }])
    this.sql.exec(
      `UPDATE sessions SET closed_at_ms = ?, version = version + 1 WHERE session_id = ?`,
      nowMs,
      player.sessionId,
    )
    const subject = player.userId
    this.enqueue({ event: { type: 'left', user_id: subject }, to: { kind: 'all' }, subject })
    this.enqueue({
      event: { type: 'leave', user_id: subject },
      to: { kind: 'zones', zones: [...areaOfInterest(player.zone)] },
      subject,
    })
    void this.syncs.schedule()
  }

  /**
   * After hibernation the sockets are still there: rebuild the players from storage and the
   * attachments. After a restart they are gone: their sessions are closed so the next sync
   * removes them from `active_sessions`.
   */
  private restoreConnectedPlayers(): void {
    const liveSessions = new Set<string>()
    this.restoreConnections((_ws, attachment) => {
      const row = this.sql
        .exec(
          'SELECT * FROM players WHERE user_id = ? AND session_id = ?',
          attachment.userId,
          attachment.sessionId,
        )
        .toArray()[0] as unknown as PlayerRow | undefined
      if (!row) return
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
    })
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
    void this.syncs.schedule()
  }

  // ---------------------------------------------------------------- ticks

  /** Persists the players that moved during the tick, once each. */
  protected override onTick(): void {
    if (this.persistMovedPlayers()) void this.syncs.schedule()
  }

  /** Sends each greeted socket its cut of the tick (fanout.ts). */
  protected override deliverBatch(seq: number, envelopes: RoomEnvelope[]): void {
    const fanout = new TickFanout(seq, envelopes)
    for (const [ws, attachment] of this.connections()) {
      if (!attachment.greeted) continue
      const viewer = this.players.get(attachment.userId)
      if (!viewer || viewer.sessionId !== attachment.sessionId) continue
      const frame = fanout.frameFor(viewer)
      if (frame !== null) sendText(ws, frame)
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

  // ---------------------------------------------------------------- Postgres sync (sync.ts)

  protected override collectSync(): RoomSyncSnapshot | null {
    this.persistMovedPlayers()
    return collectRoomSync(this.syncSource())
  }

  protected override writeSync(db: NexusClient['db'], snapshot: RoomSyncSnapshot): Promise<void> {
    return writeRoomSync(db, snapshot.pending)
  }

  protected override markSynced(snapshot: RoomSyncSnapshot): void {
    markRoomSynced(this.syncSource(), snapshot)
  }

  protected override logFields(): Record<string, unknown> {
    return { instance_id: this.instanceId }
  }

  private syncSource(): RoomSyncSource {
    return {
      sql: this.sql,
      meta: this.meta,
      instanceId: this.instanceId,
      environment: this.environment,
      environmentVersion: this.environmentVersion,
    }
  }
}

function snapshotOf(player: PlayerState): PlayerSnapshot {
  return {
    user_id: player.userId,
    zone: player.zone,
    position: player.position,
    velocity: player.velocity,
    rotation: player.rotation,
    activity: player.activity,
  }
}

/** Sends a server frame (typed, so every frame the room builds is a `ServerMessage`). */
function send(ws: WebSocket, message: ServerMessage): void {
  sendJson(ws, message)
}

function parseJsonHeader(value: string | null): unknown {
  if (value === null || value === '') return undefined
  try {
    return JSON.parse(value)
  } catch {
    return undefined
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`)
}
