/**
 * `RoomClient`: a live connection to one instance's room, for browsers and Node.
 *
 * - Reconnects with exponential backoff (partysocket's ReconnectingWebSocket), asking for a
 *   fresh access token on every attempt, and stops for good on the closes that mean "do not come
 *   back" (left, removed, instance deleted, replaced by another connection, policy).
 * - Resumes: every (re)connection starts with `hello { last_seq }`, so the room sends exactly
 *   the batches missed while the socket was down, or a fresh `welcome` when its resume ring no
 *   longer holds them (the tracked players are then rebuilt from that snapshot).
 * - Typed events, named after the protocol's frames and events (`move`, `enter`, `leave`,
 *   `chat`, `emote`, `env`, `join`, `left`, `welcome`, `batch`, `error`, `pong`, and any event
 *   type the protocol adds), plus `status`, `disconnect` and `players`.
 * - Tracks the players around the caller (`players`, `me`, `environment`).
 *
 * Observers (`mode: 'observer'`, moderators and admins) watch through `/observe`: they see every
 * player and zone, are never in the room themselves, and may only say hello and ping.
 */
import ReconnectingWebSocket, { CloseEvent as InternalClose } from 'partysocket/ws'
import type {
  Activity,
  AreaBoundsSnapshot,
  BatchMessage,
  ChatScope,
  ClientFrame,
  EnvironmentSettings,
  ErrorMessage,
  InstanceEnvironment,
  ObserverWelcomeMessage,
  PlayerSnapshot,
  PongMessage,
  Position,
  Rotation,
  ServerEvent,
  ServerMessage,
  Velocity,
  WelcomeMessage,
} from '../../durable-objects/instance-room/protocol'
import { Emitter } from '../events'
import {
  encodeClientFrame,
  peekBatchSeq,
  PROTOCOL_V2,
  RoomCodec,
  subprotocolsFor,
  type RoomProtocol,
  type WireData,
} from './codec'
import { PlayerTracker } from './players'

/** Where the connection is. */
export type RoomStatus = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** Every event a RoomClient emits, by name. */
export type RoomEvents = {
  [K in ServerEvent['type']]: Extract<ServerEvent, { type: K }>
} & {
  welcome: WelcomeMessage
  observer_welcome: ObserverWelcomeMessage
  /** Every batch, after its events were applied and emitted one by one. */
  batch: BatchMessage
  /** The room refused a frame (the connection stays open unless a close follows). */
  error: ErrorMessage
  pong: PongMessage
  status: RoomStatus
  /** A socket closed; `will_reconnect` tells whether the client comes back by itself. */
  disconnect: { code: number; reason: string; will_reconnect: boolean }
  /** The players around the caller changed (after a snapshot or a batch). */
  players: ReadonlyMap<string, PlayerSnapshot>
  /** `batches: 'raw'` only: a batch left undecoded. */
  raw_batch: { seq: number; data: WireData }
}

/** Reconnection backoff, in milliseconds. */
export interface ReconnectOptions {
  minDelayMs?: number
  maxDelayMs?: number
  growFactor?: number
  /** Attempts after a drop before giving up (status `closed`); unlimited by default. */
  maxRetries?: number
}

/** How to reach one room. */
export interface RoomClientOptions {
  /** The API's base URL, e.g. `http://localhost:8787`. */
  baseUrl: string
  instanceId: string
  /** The access token for each (re)connection; `NexusClient` passes its session's. */
  accessToken: () => string | null | Promise<string | null>
  /** `observer`: watch read-only through `/observe` (moderators and admins). */
  mode?: 'player' | 'observer'
  /** The WebSocket class; the global one by default (pass `ws`'s in Node 20). */
  WebSocket?: unknown
  /** Reconnection backoff, or false to never reconnect. */
  reconnect?: ReconnectOptions | false
  /**
   * `raw`: leave batches undecoded (`raw_batch` events, no tracking), for load generators that
   * must stay light; resume still works (the seq is read without decoding).
   */
  batches?: 'decoded' | 'raw'
  /** How long one connection attempt may take before it is retried. */
  connectTimeoutMs?: number
  /**
   * The encoding to ask for: `nexus.v2` (default; compact binary moves, docs/protocol-v2.md,
   * falling back to v1 on a server without it) or `nexus.v1` (JSON only). Events are the same.
   */
  protocol?: RoomProtocol
}

/**
 * Closes after which the client does not reconnect: normal (e.g. replaced by a newer connection
 * of the same user), policy (too many bad frames, session ended), frame too big, left the
 * instance over HTTP, removed by its host, instance deleted.
 */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1008, 1009, 4001, 4003, 4004])

const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  minDelayMs: 500,
  maxDelayMs: 10_000,
  growFactor: 1.5,
  maxRetries: Number.POSITIVE_INFINITY,
}

/** The movement a player sends; omitted parts keep their last value. */
export interface MoveInput {
  position: Position
  velocity?: Velocity
  rotation?: Rotation
  activity?: Activity
}

const AT_REST: Velocity = { x: 0, y: 0, z: 0 }
const FACING_NORTH: Rotation = { x: 0, y: 0, z: 0, w: 1 }

/** A live connection to one instance's room; see the file comment. */
export class RoomClient extends Emitter<RoomEvents> {
  readonly instanceId: string
  readonly mode: 'player' | 'observer'
  /** The last batch seq received: what `hello { last_seq }` resumes from. Null before a welcome. */
  lastSeq: number | null = null
  /** The area of the instance (observers only; players get it from the instance's metadata). */
  bounds: AreaBoundsSnapshot | null = null
  status: RoomStatus = 'connecting'
  /** Resolves on the first welcome; rejects when the client closes for good before one. */
  readonly ready: Promise<void>

  private readonly tracker = new PlayerTracker()
  private readonly codec = new RoomCodec()
  private readonly socket: ReconnectingWebSocket
  private readonly rawBatches: boolean
  private resolveReady!: () => void
  private rejectReady!: (error: Error) => void
  private closedByCaller = false
  private readonly maxRetries: number
  /** Drops since the last snapshot or batch: the attempts `maxRetries` counts. */
  private failedAttempts = 0

  constructor(options: RoomClientOptions) {
    super()
    this.instanceId = options.instanceId
    this.mode = options.mode ?? 'player'
    this.rawBatches = options.batches === 'raw'
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve
      this.rejectReady = reject
    })
    // Nobody has to handle a failed start (the `status` event says it too).
    this.ready.catch(() => undefined)

    const reconnect =
      options.reconnect === false ? null : { ...DEFAULT_RECONNECT, ...options.reconnect }
    const route = this.mode === 'observer' ? 'observe' : 'ws'
    const url = `${options.baseUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/v1/instances/${encodeURIComponent(options.instanceId)}/${route}`
    this.socket = new ReconnectingWebSocket(
      url,
      async () => {
        const token = await options.accessToken()
        if (!token) throw new Error('no access token: sign in first')
        return subprotocolsFor(token, options.protocol ?? PROTOCOL_V2)
      },
      {
        WebSocket: options.WebSocket,
        minReconnectionDelay: reconnect?.minDelayMs ?? 0,
        maxReconnectionDelay: reconnect?.maxDelayMs ?? 0,
        reconnectionDelayGrowFactor: reconnect?.growFactor ?? 1,
        maxRetries: reconnect ? Number.POSITIVE_INFINITY : 0,
        connectionTimeout: options.connectTimeoutMs ?? 10_000,
        // Frames sent while disconnected are dropped, never replayed late: a stale move is
        // worse than none, and `hello` must be the first frame of every connection.
        maxEnqueuedMessages: 0,
        // partysocket reports its own failures (refused upgrade, timeout) as a close of its own
        // with code 1000: those are retried; a close the room sent is final for FINAL_CLOSE_CODES.
        shouldReconnectOnClose: (event: { code: number }) =>
          reconnect !== null &&
          (event instanceof InternalClose || !FINAL_CLOSE_CODES.has(event.code)),
      },
    )
    this.maxRetries = reconnect?.maxRetries ?? 0
    // Binary frames as ArrayBuffers (a browser's default is Blob).
    this.socket.binaryType = 'arraybuffer'
    this.socket.addEventListener('open', () => this.greet())
    this.socket.addEventListener('message', (event) => this.receive(event.data as WireData))
    this.socket.addEventListener('close', (event) => this.dropped(event.code, event.reason))
  }

  /** The encoding the server selected for the current connection. */
  get protocol(): RoomProtocol {
    return this.codec.protocol
  }

  /** Players around the caller (every player, for an observer), by user id. */
  get players(): ReadonlyMap<string, PlayerSnapshot> {
    return this.tracker.players
  }

  /** The caller's own state (null for an observer, and before the welcome). */
  get me(): PlayerSnapshot | null {
    return this.tracker.me
  }

  /** The instance's environment as the room last sent it. */
  get environment(): InstanceEnvironment {
    return this.tracker.environment
  }

  /** Sends the caller's movement; false when not connected (the move is dropped). */
  move(input: MoveInput): boolean {
    const me = this.tracker.me
    const frame = {
      type: 'move',
      position: input.position,
      velocity: input.velocity ?? me?.velocity ?? AT_REST,
      rotation: input.rotation ?? me?.rotation ?? FACING_NORTH,
      activity: input.activity ?? 'moving',
    } satisfies ClientFrame
    const sent = this.send(frame)
    if (sent && me) {
      this.tracker.me = {
        ...me,
        position: frame.position,
        velocity: frame.velocity,
        rotation: frame.rotation,
        activity: frame.activity,
      }
    }
    return sent
  }

  /** Says something to the players around (`zone`) or to the whole instance. */
  chat(text: string, scope: ChatScope = 'zone'): boolean {
    return this.send({ type: 'chat', text, scope })
  }

  /** Plays a named emote. */
  emote(name: string): boolean {
    return this.send({ type: 'emote', name })
  }

  /** Changes the environment (needs `can_change_environment` in the instance). */
  setEnvironment(environment: EnvironmentSettings): boolean {
    return this.send({ type: 'env.set', environment })
  }

  /** Asks for a `pong` (latency probe). */
  ping(): boolean {
    return this.send({ type: 'ping' })
  }

  /** Sends any client frame; false when the socket is not open. */
  send(frame: ClientFrame): boolean {
    if (this.socket.readyState !== ReconnectingWebSocket.OPEN) return false
    return this.socket.send(this.codec.encode(frame))
  }

  /**
   * Resolves with the next `type` event that passes `test` (after this call), or rejects after
   * `timeoutMs`.
   */
  next<K extends keyof RoomEvents>(
    type: K,
    test: (event: RoomEvents[K]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<RoomEvents[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off()
        reject(new Error(`no "${String(type)}" event within ${timeoutMs} ms`))
      }, timeoutMs)
      const off = this.on(type, (event) => {
        if (!test(event)) return
        clearTimeout(timer)
        off()
        resolve(event)
      })
    })
  }

  /** Closes the connection for good. */
  close(): void {
    this.closedByCaller = true
    this.socket.close(1000, 'client closed')
    this.setStatus('closed')
  }

  private greet(): void {
    this.codec.opened(this.socket.protocol)
    this.setStatus('open')
    this.socket.send(
      encodeClientFrame(
        this.lastSeq === null ? { type: 'hello' } : { type: 'hello', last_seq: this.lastSeq },
      ),
    )
  }

  private receive(data: WireData): void {
    this.failedAttempts = 0
    const seq = peekBatchSeq(data)
    if (this.rawBatches && seq !== null) {
      if (this.lastSeq === null || seq > this.lastSeq) this.lastSeq = seq
      this.emit('raw_batch', { seq, data })
      return
    }
    // A batch at or before the last one seen (a resume's confirmation, or a duplicate) is
    // ignored whole, before decoding applies its moves.
    if (seq !== null && this.lastSeq !== null && seq <= this.lastSeq) return
    let message: ServerMessage
    try {
      message = this.codec.decode(data)
    } catch (error) {
      console.error('room: a message that is not a frame was ignored', error)
      return
    }
    switch (message.type) {
      case 'welcome':
      case 'observer_welcome':
        this.lastSeq = message.seq
        if (message.type === 'observer_welcome') this.bounds = message.bounds
        this.tracker.reset(message)
        if (message.type === 'welcome') this.emit('welcome', message)
        else this.emit('observer_welcome', message)
        this.emit('players', this.tracker.players)
        this.resolveReady()
        break
      case 'batch':
        this.receiveBatch(message)
        break
      case 'error':
        this.emit('error', message)
        break
      case 'pong':
        this.emit('pong', message)
        break
      default:
        // A frame type this SDK does not know yet (a newer server): ignored.
        break
    }
  }

  private receiveBatch(batch: BatchMessage): void {
    this.lastSeq = batch.seq
    let changed = false
    // Moves of a binary batch were applied to their snapshots as they were decoded.
    const applied = this.codec.lastBatchApplied
    batch.events.forEach((event, i) => {
      if (applied?.[i] || this.tracker.apply(event)) changed = true
      this.emit(event.type, event as never)
    })
    this.emit('batch', batch)
    if (changed) this.emit('players', this.tracker.players)
  }

  private dropped(code: number, reason: string): void {
    this.failedAttempts += 1
    let willReconnect = !this.closedByCaller && this.socket.shouldReconnect
    if (willReconnect && this.failedAttempts > this.maxRetries) {
      willReconnect = false
      this.socket.close(1000, 'gave up reconnecting')
    }
    this.emit('disconnect', { code, reason, will_reconnect: willReconnect })
    if (willReconnect) {
      this.setStatus('reconnecting')
      return
    }
    this.setStatus('closed')
    this.rejectReady(new Error(`the room closed the connection (${code} ${reason})`))
  }

  private setStatus(status: RoomStatus): void {
    if (this.status === status) return
    this.status = status
    this.emit('status', status)
  }
}
