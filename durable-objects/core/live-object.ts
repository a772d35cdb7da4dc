/**
 * `LiveObject`: the machinery every live Durable Object shares, so an object is its rules plus
 * its table migrations plus its sync callbacks (see durable-objects/README.md).
 *
 * Why a base class and not plain composition: workerd calls the handlers it knows by name on the
 * exported class (`webSocketMessage`, `webSocketClose`, `webSocketError`, `alarm`). With
 * composition alone every object would repeat those handlers, and with them the error boundary,
 * the departure bookkeeping and the alarm wiring: copies that drift. So this thin class owns the
 * runtime entry points and nothing else; the machinery behind them is composed of parts that
 * stand alone and are tested alone (`migrate`/`MetaStore`, `BatchLog`, `SyncScheduler`).
 * A subclass implements the abstract hooks and calls the protected helpers.
 *
 * Guarantees (for every subclass):
 * - Storage: its tables are migrated to the latest version before anything else runs.
 * - Ticks: `enqueue`d events go out once per `tickMs` as one sequenced batch (`deliverBatch`),
 *   stored for resume before delivery; `missedBatches(lastSeq)` answers a resuming client.
 * - Connections: attachments are cached in memory and serialized on the socket, so they survive
 *   hibernation; `restoreConnections` rebuilds the object's view of them after a wake-up.
 * - Errors: a frame whose handling throws is logged (object fields and user id) and closes that
 *   socket with 1011; the object keeps serving every other socket.
 * - Sync: `SyncScheduler` (alarm, skip when unchanged, flush on last leave, backoff).
 */
import { DurableObject } from 'cloudflare:workers'
import { createNexusClient, type NexusClient } from '../../db/client'
import { getConfig, type Env } from '../../functions/lib/env'
import { describeError, log } from '../../functions/lib/logger'
import { BatchLog, CORE_MIGRATIONS } from './batch-log'
import type { SequencedBatch } from './batch-ring'
import { CLOSE_INTERNAL_ERROR, CLOSE_NORMAL, RESUME_RING_BATCHES } from './config'
import { MetaStore, migrate, type Migration } from './storage'
import { SyncScheduler, type SyncOutcome } from './sync-scheduler'

/** What every connection's attachment carries. */
export interface ConnectionAttachment {
  userId: string
}

/** The static part of an object: its tables and its tick. */
export interface LiveObjectOptions {
  /** The object's own table migrations, version 1 first (see storage.ts). */
  migrations: readonly Migration[]
  /** How long events are collected before they go out as one batch per client. */
  tickMs: number
  /** Batches kept for resume. */
  resumeBatches?: number
}

/**
 * Where a tick's time goes, as the object sees it (cumulative since the last reset). Times are
 * the runtime's clock, which advances between events, not inside one: `wait` and `late` are
 * measured across events and are exact; work done inside one event shows as 0.
 */
export interface TickStats {
  ticks: number
  events: number
  /** Sum and largest of (tick flushed − event enqueued), over events: the tick wait. */
  wait_ms_sum: number
  wait_ms_max: number
  /** Sum and largest of (tick flushed − tick due): how late the timer ran (a busy object). */
  late_ms_sum: number
  late_ms_max: number
  /** Ticks whose storage confirmation was timed, and the sum and largest of those times. */
  confirmed_ticks: number
  confirm_ms_sum: number
  confirm_ms_max: number
  /** Recent lateness, smoothed (ms): the object's load signal. */
  late_ms_smoothed: number
}

const EMPTY_TICK_STATS: TickStats = {
  ticks: 0,
  events: 0,
  wait_ms_sum: 0,
  wait_ms_max: 0,
  late_ms_sum: 0,
  late_ms_max: 0,
  confirmed_ticks: 0,
  confirm_ms_sum: 0,
  confirm_ms_max: 0,
  late_ms_smoothed: 0,
}

/** Weight of the newest tick in `late_ms_smoothed`. */
const LATENESS_SMOOTHING = 0.2

/** Meta key of the object's own schema version; the core's tables have `core_schema_version`. */
const SCHEMA_VERSION_KEY = 'schema_version'
const CORE_SCHEMA_VERSION_KEY = 'core_schema_version'

/** Base class of live objects; see the file comment. */
export abstract class LiveObject<
  TAttachment extends ConnectionAttachment,
  TEvent,
  TSyncSnapshot,
> extends DurableObject<Env> {
  protected readonly sql: SqlStorage
  protected readonly meta: MetaStore
  protected readonly syncs: SyncScheduler<TSyncSnapshot>
  private readonly batches: BatchLog<TEvent>
  /** Attachments of live sockets, cached so a tick does not deserialize every socket. */
  private readonly attachments = new Map<WebSocket, TAttachment>()
  private readonly tickMs: number
  private tickEvents: TEvent[] = []
  /** When each event of the open tick was enqueued (parallel to `tickEvents`). */
  private tickEnqueuedAt: number[] = []
  private tickTimer: ReturnType<typeof setTimeout> | null = null
  private tickDueAt = 0
  private stats: TickStats = { ...EMPTY_TICK_STATS }

  constructor(ctx: DurableObjectState, env: Env, options: LiveObjectOptions) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    try {
      this.meta = new MetaStore(this.sql)
      migrate(ctx.storage, CORE_SCHEMA_VERSION_KEY, CORE_MIGRATIONS)
      migrate(ctx.storage, SCHEMA_VERSION_KEY, options.migrations)
    } catch (error) {
      // The object cannot start; every call to it fails (a gateway answers 503) until fixed.
      log('error', 'live object storage migration failed', {
        object: new.target.name,
        objectId: ctx.id.toString(),
        ...describeError(error),
      })
      throw error
    }
    this.batches = new BatchLog(this.sql, this.meta, options.resumeBatches ?? RESUME_RING_BATCHES)
    this.syncs = new SyncScheduler(ctx.storage, this.meta, {
      collect: () => this.collectSync(),
      write: (snapshot) => this.writeWithDatabase(snapshot),
      markSynced: (snapshot) => this.markSynced(snapshot),
      logFields: () => this.logFields(),
    })
    this.tickMs = options.tickMs
    // Transport keepalive answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'))
  }

  // ---------------------------------------------------------------- hooks

  /** One client frame of `ws`. May throw: the error boundary closes that socket with 1011. */
  protected abstract handleMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void>

  /** `ws` is gone (closed by either side, errored, or failed); its attachment is already forgotten. */
  protected abstract handleDeparture(ws: WebSocket, attachment: TAttachment): Promise<void>

  /** Sends one tick's batch (already stored under `seq`) to the connected clients. */
  protected abstract deliverBatch(seq: number, events: TEvent[]): void

  /** Runs at the start of every tick, e.g. to persist state coalesced during the tick. */
  protected onTick(): void {}

  /** Reads what changed since the last sync, or null when nothing did. */
  protected abstract collectSync(): TSyncSnapshot | null

  /** Writes a snapshot to Postgres in one idempotent transaction. */
  protected abstract writeSync(db: NexusClient['db'], snapshot: TSyncSnapshot): Promise<void>

  /** Marks what a committed snapshot contained as synced. */
  protected abstract markSynced(snapshot: TSyncSnapshot): void

  /** Fields that identify the object in log lines (e.g. `{ instanceId }`). */
  protected abstract logFields(): Record<string, unknown>

  /** The database client of one sync; tests override it to simulate an outage. */
  protected openDatabase(): NexusClient {
    const config = getConfig(this.env)
    return createNexusClient(config.NEXUS_DATABASE_URL, { wsProxy: config.NEON_WS_PROXY })
  }

  // ---------------------------------------------------------------- runtime entry points

  /** A client frame, behind the error boundary. */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      await this.handleMessage(ws, message)
    } catch (error) {
      log('error', 'live object failed on a frame; closing that socket', {
        ...this.logFields(),
        user_id: this.attachmentOf(ws)?.userId ?? null,
        ...describeError(error),
      })
      closeQuietly(ws, CLOSE_INTERNAL_ERROR, 'internal error')
      await this.departQuietly(ws)
    }
  }

  /** The client closed (or the connection broke): its user leaves. */
  override async webSocketClose(ws: WebSocket): Promise<void> {
    closeQuietly(ws, CLOSE_NORMAL, 'closed')
    await this.departQuietly(ws)
  }

  /** A socket error: treated as a close. */
  override async webSocketError(ws: WebSocket): Promise<void> {
    closeQuietly(ws, CLOSE_NORMAL, 'error')
    await this.departQuietly(ws)
  }

  /** The periodic Postgres sync (see SyncScheduler). */
  override async alarm(): Promise<void> {
    await this.syncs.onAlarm()
  }

  /** Syncs to Postgres now (serialized with any running sync). */
  async syncToPostgres(): Promise<SyncOutcome> {
    return this.syncs.sync()
  }

  // ---------------------------------------------------------------- connections

  /** Accepts a hibernatable socket with `attachment`; returns the client end for the 101. */
  protected acceptConnection(attachment: TAttachment): WebSocket {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket]
    this.ctx.acceptWebSocket(server)
    this.saveAttachment(server, attachment)
    return client
  }

  /** The attachment of `ws` (cached), or null for a socket without one. */
  protected attachmentOf(ws: WebSocket): TAttachment | null {
    const cached = this.attachments.get(ws)
    if (cached) return cached
    const attachment = ws.deserializeAttachment() as TAttachment | null
    if (attachment) this.attachments.set(ws, attachment)
    return attachment
  }

  /** Stores a changed attachment in the cache and on the socket (survives hibernation). */
  protected saveAttachment(ws: WebSocket, attachment: TAttachment): void {
    this.attachments.set(ws, attachment)
    ws.serializeAttachment(attachment)
  }

  /**
   * Stores a changed attachment in the cache only, for state a hibernation may lose without
   * harm (a rate bucket, which starts full again). Serializing the attachment on every movement
   * frame was a measurable part of a crowded room's CPU.
   */
  protected rememberAttachment(ws: WebSocket, attachment: TAttachment): void {
    this.attachments.set(ws, attachment)
  }

  /** Drops `ws` from the cache (a socket being replaced; its close then finds nothing to do). */
  protected forgetConnection(ws: WebSocket): void {
    this.attachments.delete(ws)
  }

  /** Open sockets with their attachments, of one user or (for null) of everyone. */
  protected connections(userId: string | null = null): [WebSocket, TAttachment][] {
    const found: [WebSocket, TAttachment][] = []
    for (const ws of this.ctx.getWebSockets()) {
      const attachment = this.attachmentOf(ws)
      if (attachment && (userId === null || attachment.userId === userId)) {
        found.push([ws, attachment])
      }
    }
    return found
  }

  /** Server-side close (policy, size, eviction): the user leaves at once. */
  protected async closeConnection(ws: WebSocket, code: number, reason: string): Promise<void> {
    closeQuietly(ws, code, reason)
    await this.depart(ws)
  }

  /**
   * After a hibernation wake-up the sockets are still there but the object is new: calls
   * `restore` for each socket with an attachment, so the subclass can rebuild its state.
   */
  protected restoreConnections(restore: (ws: WebSocket, attachment: TAttachment) => void): void {
    for (const [ws, attachment] of this.connections()) restore(ws, attachment)
  }

  private async depart(ws: WebSocket): Promise<void> {
    const attachment = this.attachmentOf(ws)
    this.attachments.delete(ws)
    if (attachment) await this.handleDeparture(ws, attachment)
  }

  private async departQuietly(ws: WebSocket): Promise<void> {
    try {
      await this.depart(ws)
    } catch (error) {
      log('error', 'live object failed while a socket left', {
        ...this.logFields(),
        ...describeError(error),
      })
    }
  }

  // ---------------------------------------------------------------- ticks and batches

  /** Queues an event for the current tick (starting one if none is open). */
  protected enqueue(event: TEvent): void {
    const now = Date.now()
    this.tickEvents.push(event)
    this.tickEnqueuedAt.push(now)
    if (this.tickTimer === null) {
      this.tickDueAt = now + this.tickMs
      this.tickTimer = setTimeout(() => this.flushTick(), this.tickMs)
    }
  }

  /**
   * Ends the tick: `onTick`, then the events as the next batch, stored for resume and then
   * delivered. The timer only runs while the object is awake; nothing durable depends on it.
   */
  protected flushTick(): void {
    if (this.tickTimer !== null) clearTimeout(this.tickTimer)
    this.tickTimer = null
    try {
      this.onTick()
      if (this.tickEvents.length === 0) return
      const events = this.tickEvents
      const enqueuedAt = this.tickEnqueuedAt
      this.tickEvents = []
      this.tickEnqueuedAt = []
      this.deliverBatch(this.batches.append(events), events)
      this.recordTick(enqueuedAt)
    } catch (error) {
      log('error', 'live object tick failed', { ...this.logFields(), ...describeError(error) })
    }
  }

  /** How late recent ticks ran, smoothed (ms): above a tick, the object cannot keep up. */
  protected get tickLatenessMs(): number {
    return this.stats.late_ms_smoothed
  }

  /** The tick statistics since the last reset (see `TickStats`); `reset` starts them anew. */
  protected tickStats(reset = false): TickStats {
    const stats = { ...this.stats }
    if (reset) this.stats = { ...EMPTY_TICK_STATS, late_ms_smoothed: stats.late_ms_smoothed }
    return stats
  }

  /**
   * Counts a delivered tick. The storage confirmation (how long the runtime holds the tick's
   * frames until its writes are durable) is timed by waiting for `storage.sync()`, which
   * resolves when those writes are; it changes nothing about when the frames go out.
   */
  private recordTick(enqueuedAt: number[]): void {
    const now = Date.now()
    const stats = this.stats
    const late = Math.max(0, now - this.tickDueAt)
    stats.ticks += 1
    stats.events += enqueuedAt.length
    for (const at of enqueuedAt) {
      const wait = now - at
      stats.wait_ms_sum += wait
      if (wait > stats.wait_ms_max) stats.wait_ms_max = wait
    }
    stats.late_ms_sum += late
    if (late > stats.late_ms_max) stats.late_ms_max = late
    stats.late_ms_smoothed += (late - stats.late_ms_smoothed) * LATENESS_SMOOTHING
    void this.ctx.storage.sync().then(() => {
      const confirm = Date.now() - now
      this.stats.confirmed_ticks += 1
      this.stats.confirm_ms_sum += confirm
      if (confirm > this.stats.confirm_ms_max) this.stats.confirm_ms_max = confirm
    })
  }

  /** Seq of the last batch (a fresh snapshot is "as of" this seq). */
  protected get latestSeq(): number {
    return this.batches.latestSeq
  }

  /** The batches after `lastSeq`, or null when the client needs a fresh snapshot. */
  protected missedBatches(lastSeq: number): SequencedBatch<TEvent>[] | null {
    return this.batches.since(lastSeq)
  }

  /** The last client left: end the tick and sync now instead of waiting for the alarm. */
  protected async flushAfterLastClient(): Promise<void> {
    this.flushTick()
    await this.syncs.flush()
  }

  private async writeWithDatabase(snapshot: TSyncSnapshot): Promise<void> {
    let client: NexusClient | null = null
    try {
      client = this.openDatabase()
      await this.writeSync(client.db, snapshot)
    } finally {
      await client?.close()
    }
  }
}

/** Sends a JSON frame; a closing socket is ignored (its close handler cleans up). */
export function sendJson(ws: WebSocket, message: unknown): void {
  sendText(ws, JSON.stringify(message))
}

/** Sends an already serialized frame; a closing socket is ignored. */
export function sendText(ws: WebSocket, text: string): void {
  try {
    ws.send(text)
  } catch {
    // The socket is closing; its close handler does the cleanup.
  }
}

/** Sends a binary frame; a closing socket is ignored. */
export function sendBinary(ws: WebSocket, bytes: Uint8Array): void {
  try {
    ws.send(bytes)
  } catch {
    // The socket is closing; its close handler does the cleanup.
  }
}

/** Closes `ws`, ignoring a socket that is already closed. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason)
  } catch {
    // Already closed.
  }
}
