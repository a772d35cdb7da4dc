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
import { closeQuietly, LiveObject, sendBinary, sendJson, sendText } from '../core/live-object'
import { assertNever, parseJsonHeader } from '../core/frames'
import { accept, refusalResponse, refuse, type Answer } from '../core/refusal'
import { VersionCounter } from '../core/storage'
import { CLOSE_NORMAL } from '../core/config'
import { checkMove, startTrack, type MovementTrack } from '../core/movement'
import {
  CHAT_PAGE_MAX_MESSAGES,
  CLOSE_BANNED,
  CLOSE_INSTANCE_DELETED,
  CLOSE_LEFT_INSTANCE,
  CLOSE_MESSAGE_TOO_BIG,
  CLOSE_POLICY_VIOLATION,
  CLOSE_REMOVED,
  CLOSE_ROOM_FULL,
  MAX_BAD_FRAMES,
  RESUME_HISTORY_MS,
  ROOM_OVERLOAD_LATE_MS,
} from './config'
import { BUILDINGS_VERSION_SEEN_KEY } from './buildings'
import { RoomCompanions } from './companions'
import {
  deliversTo,
  deliversToObserver,
  TickFanout,
  type RoomEnvelope,
  type TickFrame,
} from './fanout'
import {
  encodeBatchHeader,
  MAX_MOVER_NUMBER,
  moverChanges,
  PROTOCOL_V1,
  PROTOCOL_V2,
  type RoomProtocol,
} from './wire'
import {
  roomNoticeSchema,
  type RoomCharacter,
  type RoomNotice,
  type RoomPermissions,
} from './notices'
import {
  environmentSettingsSchema,
  parseBinaryMove,
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
  type ServerEvent,
  type Rotation,
  type ServerErrorCode,
  type ServerMessage,
  type Velocity,
} from './protocol'
import { maxSpeedOf, type AcceptedPosition } from './movement-limit'
import { livePlayerCapOf, roomTickMsOf } from './capacity'
import { TokenBucket, type TokenBucketState } from './rate-limit'
import {
  ROOM_CONNECTION_HEADER,
  roomConnectionSchema,
  type ChatHistoryItem,
  type ChatHistoryQuery,
  type ChatHistorySlice,
  type RoomLoad,
  type RoomPresence,
} from './rpc'
import { ROOM_MIGRATIONS, type ChatRow, type PlayerRow } from './schema'
import { RoomSocial } from './social'
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
  /**
   * Staff watching the room read-only (`role: 'observer'`): not a player, never in presence or
   * in events; `sessionId` is the observer's own. Absent on players' attachments.
   */
  observer?: true
  /** The subprotocol the connection speaks (wire.ts); absent means `nexus.v1`. */
  protocol?: RoomProtocol
  /** The player's per-room number (players only; attachments from before numbers lack it). */
  number?: number
}

/** Nothing a player may do: the permissions an observer's attachment carries. */
const NO_PERMISSIONS: RoomPermissions = { can_chat: false, can_change_environment: false }

/** A connected player as the room holds them. */
interface PlayerState {
  userId: string
  username: string
  sessionId: string
  /** Short per-room number while connected (`nexus.v2` mover records). */
  number: number
  zone: Zone
  position: Position
  velocity: Velocity
  rotation: Rotation
  activity: Activity
  updatedAtMs: number
  /** The last accepted position and its distance budget, while the room has a speed limit. */
  track: MovementTrack | null
  character: RoomCharacter | null
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
  /** Player numbers in use (one per connected player). */
  private readonly playerNumbers = new Set<number>()
  private readonly environmentVersion: VersionCounter
  /** Block pairs and sanctions (issue 15). */
  private readonly social: RoomSocial
  /** Companions following their owners (issue 14). */
  private readonly companions: RoomCompanions
  private instanceId: string | null
  private bounds: AreaBounds
  /** The instance's speed limit (movement-limit.ts); null accepts any position. */
  private maxSpeedMps: number | null
  /** Players this room takes (capacity.ts). */
  private livePlayerCap: number
  private environment: InstanceEnvironment

  constructor(ctx: DurableObjectState, env: Env) {
    const tickMs = roomTickMsOf(env)
    super(ctx, env, {
      migrations: ROOM_MIGRATIONS,
      tickMs,
      resumeBatches: Math.ceil(RESUME_HISTORY_MS / tickMs),
    })
    this.environmentVersion = new VersionCounter(this.meta, 'environment')
    this.instanceId = this.meta.get('instance_id')
    this.bounds = parseAreaBounds(this.meta.getJson('metadata', {}))
    this.maxSpeedMps = maxSpeedOf(this.meta.getJson('metadata', {}))
    this.livePlayerCap = livePlayerCapOf(this.meta.getJson('metadata', {}))
    this.environment = this.meta.getJson<InstanceEnvironment>('environment', {})
    this.social = new RoomSocial(this.sql)
    this.companions = new RoomCompanions(this.sql, (position) => zoneOf(position, this.bounds))
    this.restoreConnectedPlayers()
    this.companions.retainOwners(new Set(this.players.keys()))
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
    const protocol = parsed.data.protocol ?? PROTOCOL_V1
    if (this.social.refusesConnection(userId, Date.now())) {
      return refusalResponse('forbidden', 'this account is banned')
    }
    if (this.instanceId === null) {
      this.instanceId = instanceId
      this.meta.set('instance_id', instanceId)
    } else if (this.instanceId !== instanceId) {
      return refusalResponse('conflict', 'this room belongs to another instance')
    }
    const metadata = parsed.data.metadata
    this.noteBuildingsVersion(parsed.data.buildings_version ?? 0)
    this.bounds = parseAreaBounds(metadata)
    this.maxSpeedMps = maxSpeedOf(metadata)
    this.livePlayerCap = livePlayerCapOf(metadata)
    this.meta.setJson('metadata', { custom_properties: metadata.custom_properties })
    // Postgres seeds the environment once; after that the room's copy is authoritative.
    if (this.meta.get('environment') === null) {
      this.environment = parseInstanceEnvironment(metadata)
      this.meta.setJson('environment', this.environment)
    }

    if (parsed.data.role === 'observer') {
      const webSocket = this.acceptConnection({
        userId,
        username,
        sessionId: crypto.randomUUID(),
        zone: 'center',
        permissions: NO_PERMISSIONS,
        greeted: false,
        badFrames: 0,
        bucket: TokenBucket.full(Date.now()).toState(),
        rateLimited: false,
        observer: true,
        protocol,
      })
      return new Response(null, { status: 101, webSocket })
    }

    const previous = this.players.get(userId)
    const full = this.admissionRefusal(previous !== undefined)
    if (full !== null) return roomFullResponse(full)
    this.social.addPairs(userId, parsed.data.blocked_user_ids)
    this.social.applySanctions(
      userId,
      {
        mutedUntilMs: parsed.data.muted_until_ms,
        banned: false,
        updatedAtMs: parsed.data.sanctions_updated_at_ms,
      },
      Date.now(),
    )
    if (previous) this.replaceConnection(previous)
    const player = this.joinPlayer(userId, username, parsed.data.character)
    this.enqueueAll(this.companions.arrive(userId, player.position, parsed.data.companions))
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
      protocol,
      number: player.number,
    })
    return new Response(null, { status: 101, webSocket })
  }

  /**
   * Why a new player cannot come in now (back-pressure), or null: the room is at
   * `ROOM_MAX_PLAYERS`, or its ticks run late (it cannot keep up with the players it has). A
   * player replacing their own connection is never refused for the count.
   */
  private admissionRefusal(replacing: boolean): string | null {
    if (!replacing && this.players.size >= this.livePlayerCap) {
      return `the room holds its ${this.livePlayerCap} players`
    }
    if (this.tickLatenessMs > ROOM_OVERLOAD_LATE_MS) return 'the room is overloaded'
    return null
  }

  /** RPC: how the room is doing (players, sockets, ticks); `reset` restarts the tick counters. */
  roomLoad(reset = false): RoomLoad {
    return {
      players: this.players.size,
      sockets: this.ctx.getWebSockets().length,
      refusing_players: this.admissionRefusal(false) !== null,
      ...this.tickStats(reset),
    }
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
        character: player.character,
      })),
      companions: this.companions.present(),
    }
  }

  /**
   * RPC: where the room last accepted `userId` (for a quest session running in this instance), or
   * null for a player who never entered.
   */
  acceptedPosition(userId: string): AcceptedPosition | null {
    const live = this.players.get(userId)
    if (live) {
      return {
        user_id: userId,
        connected: true,
        position: live.track?.position ?? live.position,
        accepted_at_ms: live.track?.at_ms ?? live.updatedAtMs,
        max_speed_mps: this.maxSpeedMps,
      }
    }
    const stored = this.sql
      .exec('SELECT position, updated_at_ms FROM players WHERE user_id = ?', userId)
      .toArray()[0]
    if (!stored) return null
    return {
      user_id: userId,
      connected: false,
      position: JSON.parse(String(stored.position)) as Position,
      accepted_at_ms: Number(stored.updated_at_ms),
      max_speed_mps: this.maxSpeedMps,
    }
  }

  /** RPC: one chat message or emote of the room's history by id (for reports), or null. */
  chatMessage(messageId: string): ChatHistoryItem | null {
    const row = this.sql
      .exec('SELECT * FROM chat WHERE message_id = ?', messageId)
      .toArray()[0] as unknown as ChatRow | undefined
    return row ? this.chatHistoryItem(row) : null
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
    const items = page.map((row) => this.chatHistoryItem(row))
    const hasMore = rows.length > limit
    return accept({ items, next_before_seq: hasMore ? page[page.length - 1].seq : null })
  }

  private chatHistoryItem(row: ChatRow): ChatHistoryItem {
    return {
      message_id: row.message_id,
      user_id: row.user_id,
      username: row.username,
      message_type: row.message_type as ChatHistoryItem['message_type'],
      scope: row.scope as ChatHistoryItem['scope'],
      zone: row.zone as Zone,
      text: row.text,
      sent_at: new Date(row.sent_at_ms).toISOString(),
      synced: row.seq <= this.meta.getNumber(CHAT_SYNCED_THROUGH_KEY),
    }
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
      case 'block_changed':
        this.social.setPair(notice.user_id, notice.other_user_id, notice.blocked)
        break
      case 'sanctions_changed': {
        const state = {
          mutedUntilMs: notice.muted_until_ms,
          banned: notice.banned,
          updatedAtMs: notice.updated_at_ms,
        }
        const applied = this.social.applySanctions(notice.user_id, state, Date.now())
        if (applied && notice.banned) {
          await this.evict(notice.user_id, CLOSE_BANNED, 'your account is banned')
        }
        break
      }
      case 'character_changed':
        this.changeCharacter(notice.user_id, notice.character)
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
      case 'companion_changed': {
        const owner = this.players.get(notice.user_id)
        this.enqueueAll(
          this.companions.change(
            notice.user_id,
            notice.companion_id,
            notice.companion,
            owner?.position ?? null,
          ),
        )
        break
      }
      case 'environment_command':
        return this.environmentCommand(notice.user_id, notice.changes)
      default:
        assertNever(notice)
    }
    return accept(null)
  }

  /**
   * A companion's tool command for `userId`: applied as that player's own `env.set` would be, so
   * only while they are connected here with `can_change_environment`, and only what the room's
   * environment rules accept.
   */
  private environmentCommand(userId: string, changes: Record<string, unknown>): Answer<null> {
    const player = this.players.get(userId)
    if (!player) return refuse('not_found', 'the player is not connected to this live room')
    const attachment = [...this.connections(userId)].find(([, a]) => !a.observer)?.[1]
    if (!attachment?.permissions.can_change_environment) {
      return refuse('forbidden', 'the player may not change the environment here')
    }
    const parsed = environmentSettingsSchema.safeParse(changes)
    if (!parsed.success || Object.values(parsed.data).every((v) => v === undefined)) {
      const issue = parsed.success ? 'nothing to change' : parsed.error.issues[0]?.message
      return refuse('validation_error', `the room refuses this environment: ${issue}`)
    }
    this.changeEnvironment(parsed.data, userId, Date.now())
    return accept(null)
  }

  /** Queues the events of one change (companions.ts answers with several). */
  private enqueueAll(envelopes: RoomEnvelope[]): void {
    for (const envelope of envelopes) this.enqueue(envelope)
  }

  /** Remembers the highest building version heard of (buildings.ts); welcomes carry it. */
  private noteBuildingsVersion(version: number): void {
    if (version > this.meta.getNumber(BUILDINGS_VERSION_SEEN_KEY)) {
      this.meta.setNumber(BUILDINGS_VERSION_SEEN_KEY, version)
    }
  }

  /**
   * Closes the sockets of one user (or of everyone, for null); they leave the room. A user's
   * observer sockets stay: watching is a staff role, not a visit.
   */
  private async evict(userId: string | null, code: number, reason: string): Promise<void> {
    for (const [ws, attachment] of this.connections(userId)) {
      if (userId !== null && attachment.observer) continue
      await this.closeConnection(ws, code, reason)
    }
  }

  // ---------------------------------------------------------------- client frames

  /** One client frame: rate limit, size, parse, then an exhaustive switch over frame types. */
  protected override async handleMessage(
    ws: WebSocket,
    message: string | ArrayBuffer,
  ): Promise<void> {
    const attachment = this.attachmentOf(ws)
    const player = attachment && !attachment.observer ? this.players.get(attachment.userId) : null
    const isLive = attachment?.observer || (player && player.sessionId === attachment?.sessionId)
    if (!attachment || !isLive) {
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
        this.saveAttachment(ws, attachment)
      } else {
        this.rememberAttachment(ws, attachment)
      }
      return
    }
    if (attachment.rateLimited) {
      // The streak ended: saved, as moves keep the rest of the attachment in memory.
      attachment.rateLimited = false
      this.saveAttachment(ws, attachment)
    }

    const parsed =
      attachment.protocol === PROTOCOL_V2 && typeof message !== 'string'
        ? parseBinaryMove(message, player ?? { velocity: AT_REST, rotation: FACING_NORTH })
        : parseClientFrame(message)
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
    if (player) await this.handleFrame(ws, attachment, player, frame, nowMs)
    else await this.handleObserverFrame(ws, attachment, frame, nowMs)
  }

  /** An observer's frame: `hello` and `ping`; anything else is refused (read-only). */
  private async handleObserverFrame(
    ws: WebSocket,
    attachment: SocketAttachment,
    frame: ClientFrame,
    nowMs: number,
  ): Promise<void> {
    switch (frame.type) {
      case 'hello':
        if (!(await this.acceptHello(ws, attachment, () => this.greetObserver(ws, frame)))) return
        break
      case 'ping':
        send(ws, { type: 'pong', server_time_ms: nowMs })
        break
      default:
        await this.rejectFrame(ws, attachment, 'forbidden', 'observers only watch the room')
        return
    }
    this.saveAttachment(ws, attachment)
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
        if (!(await this.acceptHello(ws, attachment, () => this.greet(ws, player, frame)))) return
        break
      case 'move': {
        const zoneBefore = attachment.zone
        if (!this.refuseImplausibleMove(ws, player, frame, nowMs)) {
          this.acceptMove(attachment, player, frame, nowMs)
        }
        // A move within a zone changes only the socket's rate bucket: kept in memory.
        if (attachment.zone === zoneBefore) this.rememberAttachment(ws, attachment)
        else this.saveAttachment(ws, attachment)
        return
      }
      case 'chat':
      case 'emote': {
        if (!attachment.permissions.can_chat) {
          send(ws, { type: 'error', code: 'forbidden', message: 'you may not chat here' })
          break
        }
        const mutedUntilMs = this.social.mutedUntil(player.userId, nowMs)
        if (mutedUntilMs !== null) {
          const until = new Date(mutedUntilMs).toISOString()
          send(ws, { type: 'error', code: 'muted', message: `you are muted until ${until}` })
          break
        }
        this.acceptChat(player, frame, nowMs)
        break
      }
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

  /** Marks the socket greeted and answers its `hello`; a second `hello` is a bad frame (false). */
  private async acceptHello(
    ws: WebSocket,
    attachment: SocketAttachment,
    answer: () => void,
  ): Promise<boolean> {
    if (attachment.greeted) {
      await this.rejectFrame(ws, attachment, 'invalid_frame', 'hello was already received')
      return false
    }
    attachment.greeted = true
    answer()
    return true
  }

  /** Answers `hello`: the missed batches when the ring still holds them, else a `welcome`. */
  private greet(ws: WebSocket, player: PlayerState, frame: HelloFrame): void {
    const blocked = this.social.blockPairs.get(player.userId)
    const resumed = this.resume(ws, frame, (envelopes) =>
      envelopes.filter((envelope) => deliversTo(envelope, player, blocked)),
    )
    if (resumed) return
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
      companions: this.companions.snapshots((zone) => canSee(player.zone, zone), blocked),
    })
  }

  /**
   * With a speed limit, refuses (and answers) a move the player could not have made since their
   * last accepted position; otherwise advances their track. True when refused.
   */
  private refuseImplausibleMove(
    ws: WebSocket,
    player: PlayerState,
    frame: MoveFrame,
    nowMs: number,
  ): boolean {
    if (this.maxSpeedMps === null) return false
    const track = player.track ?? startTrack(player.position, player.updatedAtMs, this.maxSpeedMps)
    const check = checkMove(track, frame.position, nowMs, this.maxSpeedMps)
    if (check.ok) {
      player.track = check.track
      return false
    }
    send(ws, {
      type: 'error',
      code: 'implausible_move',
      message: `moved ${check.distance_m.toFixed(1)} m where ${check.allowed_m.toFixed(1)} m was possible at ${this.maxSpeedMps} m/s; you stay at your last accepted position`,
      position: player.position,
    })
    return true
  }

  /** Answers an observer's `hello`: the missed batches, else an `observer_welcome`. */
  private greetObserver(ws: WebSocket, frame: HelloFrame): void {
    if (this.resume(ws, frame, (envelopes) => envelopes.filter(deliversToObserver))) return
    send(ws, {
      type: 'observer_welcome',
      session_id: this.attachmentOf(ws)!.sessionId,
      seq: this.latestSeq,
      players: [...this.players.values()].map(snapshotOf),
      environment: this.environment,
      bounds: {
        min_x: this.bounds.minX,
        max_x: this.bounds.maxX,
        min_z: this.bounds.minZ,
        max_z: this.bounds.maxZ,
      },
      companions: this.companions.snapshots(() => true, undefined),
    })
  }

  /**
   * Sends the batches after `hello.last_seq` (each cut by `select`) when the ring still holds
   * them; false when the client needs a fresh snapshot instead.
   */
  private resume(
    ws: WebSocket,
    frame: HelloFrame,
    select: (envelopes: RoomEnvelope[]) => RoomEnvelope[],
  ): boolean {
    const missed = frame.last_seq === undefined ? null : this.missedBatches(frame.last_seq)
    if (missed === null) return false
    const protocol = this.attachmentOf(ws)?.protocol ?? PROTOCOL_V1
    let sent = 0
    for (const batch of missed) {
      const envelopes = select(batch.events)
      if (envelopes.length === 0) continue
      if (protocol === PROTOCOL_V1) {
        send(ws, { type: 'batch', seq: batch.seq, events: envelopes.map((e) => e.event) })
      } else {
        sendFrame(ws, new TickFanout(batch.seq, envelopes).observerFrame(protocol)!)
      }
      sent++
    }
    // Nothing visible was missed: an empty batch at the latest seq confirms the resume.
    if (sent === 0) {
      if (protocol === PROTOCOL_V1) send(ws, { type: 'batch', seq: this.latestSeq, events: [] })
      else sendFrame(ws, encodeBatchHeader(this.latestSeq))
    }
    return true
  }

  private acceptMove(
    attachment: SocketAttachment,
    player: PlayerState,
    frame: MoveFrame,
    nowMs: number,
  ): void {
    const oldZone = player.zone
    const newZone = zoneOf(frame.position, this.bounds)
    const changes = moverChanges(player, { ...frame, zone: newZone })
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
      mover: { kind: 'player', number: player.number, changes },
    })
    this.enqueueAll(this.companions.ownerMoved(player.userId, player.position))
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

  /** A player's active character changed: stored, and shown to those who see them. */
  private changeCharacter(userId: string, character: RoomCharacter | null): void {
    const player = this.players.get(userId)
    const json = character === null ? null : JSON.stringify(character)
    this.sql.exec('UPDATE players SET character = ? WHERE user_id = ?', json, userId)
    if (!player) return
    player.character = character
    this.enqueue({
      event: { type: 'character', user_id: userId, character },
      to: { kind: 'seers', zone: player.zone },
      subject: userId,
    })
  }

  private joinPlayer(
    userId: string,
    username: string,
    character: RoomCharacter | null,
  ): PlayerState {
    const nowMs = Date.now()
    const stored = this.sql
      .exec('SELECT * FROM players WHERE user_id = ?', userId)
      .toArray()[0] as unknown as PlayerRow | undefined
    const position = stored ? (JSON.parse(stored.position) as Position) : ORIGIN
    const player: PlayerState = {
      userId,
      username,
      sessionId: crypto.randomUUID(),
      number: this.takePlayerNumber(),
      zone: zoneOf(position, this.bounds),
      position,
      velocity: AT_REST,
      rotation: stored ? (JSON.parse(stored.rotation) as Rotation) : FACING_NORTH,
      activity: 'idle',
      updatedAtMs: nowMs,
      track: this.maxSpeedMps === null ? null : startTrack(position, nowMs, this.maxSpeedMps),
      character,
    }
    this.players.set(userId, player)
    this.sql.exec(
      `INSERT INTO players (user_id, username, session_id, zone, position, velocity, rotation,
                            activity, updated_at_ms, version, synced_version, character)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?)
       ON CONFLICT (user_id) DO UPDATE SET
         username = excluded.username, session_id = excluded.session_id, zone = excluded.zone,
         velocity = excluded.velocity, activity = excluded.activity,
         updated_at_ms = excluded.updated_at_ms, version = players.version + 1,
         character = excluded.character`,
      userId,
      username,
      player.sessionId,
      player.zone,
      JSON.stringify(player.position),
      JSON.stringify(player.velocity),
      JSON.stringify(player.rotation),
      player.activity,
      nowMs,
      character === null ? null : JSON.stringify(character),
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

  /**
   * The lowest number no connected player holds. Numbers are reused only after a departure, whose
   * `left` every viewer receives before the `enter` that gives the number to someone else.
   */
  private takePlayerNumber(preferred?: number): number {
    let number = preferred !== undefined && !this.playerNumbers.has(preferred) ? preferred : 1
    while (this.playerNumbers.has(number)) number++
    if (number > MAX_MOVER_NUMBER) throw new Error('no player number left')
    this.playerNumbers.add(number)
    return number
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
    if (attachment.observer) return
    const player = this.players.get(attachment.userId)
    // A replaced or already departed session: nothing left to do.
    if (!player || player.sessionId !== attachment.sessionId) return
    this.departPlayer(player)
    this.social.forgetPairsOf(player.userId)
    if (this.players.size === 0) await this.flushAfterLastClient()
  }

  private departPlayer(player: PlayerState): void {
    const nowMs = Date.now()
    this.players.delete(player.userId)
    this.playerNumbers.delete(player.number)
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
    this.enqueueAll(this.companions.depart(subject))
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
      if (attachment.observer) return
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
        number: this.takePlayerNumber(attachment.number),
        zone: row.zone as Zone,
        position: JSON.parse(row.position),
        velocity: JSON.parse(row.velocity),
        rotation: JSON.parse(row.rotation),
        activity: row.activity as Activity,
        updatedAtMs: row.updated_at_ms,
        track: null,
        character: row.character === null ? null : JSON.parse(row.character),
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

  /** Sends each greeted socket its cut of the tick (fanout.ts), in its connection's encoding. */
  protected override deliverBatch(seq: number, envelopes: RoomEnvelope[]): void {
    const fanout = new TickFanout(seq, envelopes, this.social.blockPairs)
    for (const [ws, attachment] of this.connections()) {
      if (!attachment.greeted) continue
      const protocol = attachment.protocol ?? PROTOCOL_V1
      if (attachment.observer) {
        const frame = fanout.observerFrame(protocol)
        if (frame !== null) sendFrame(ws, frame)
        continue
      }
      const viewer = this.players.get(attachment.userId)
      if (!viewer || viewer.sessionId !== attachment.sessionId) continue
      const frame = fanout.frameFor(viewer, protocol)
      if (frame !== null) sendFrame(ws, frame)
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
    number: player.number,
    zone: player.zone,
    position: player.position,
    velocity: player.velocity,
    rotation: player.rotation,
    activity: player.activity,
    character: player.character,
  }
}

/**
 * The answer to a player the room cannot take (`admissionRefusal`): the upgrade succeeds and the
 * socket closes at once with 4013 `room_full`, which every WebSocket client can read (a refused
 * upgrade's status is hidden from browsers).
 */
function roomFullResponse(reason: string): Response {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket]
  server.accept()
  server.close(CLOSE_ROOM_FULL, `room_full: ${reason}`)
  return new Response(null, { status: 101, webSocket: client })
}

/** Sends a tick's frame: JSON text (`nexus.v1`) or binary (`nexus.v2`). */
function sendFrame(ws: WebSocket, frame: TickFrame): void {
  if (typeof frame === 'string') sendText(ws, frame)
  else sendBinary(ws, frame)
}

/** Sends a server frame (typed, so every frame the room builds is a `ServerMessage`). */
function send(ws: WebSocket, message: ServerMessage): void {
  sendJson(ws, message)
}
