/**
 * QuestSession: one Durable Object per live quest session, named by the session's canonical id.
 * The rules of a live quest on the live-object core (`../core`): who plays, the session's status
 * and clock, server-authoritative objectives, and the completion, decided once here and written
 * once to Postgres (`sync.ts`).
 *
 * - The session is opened by the Worker with everything it runs on (`SessionDefinition`), before
 *   the `quest_instances` row is inserted; later quest edits do not reach it.
 * - Lifecycle changes come by RPC from the Worker's gateway
 *   (`functions/quest-sessions/session-gateway.ts`): join, leave, start, pause, resume, abandon.
 *   Each check and its change run without an await between them, so two requests cannot both take
 *   the last place or both start the session; the change is in storage before the answer, and
 *   Postgres is written at once (then by the alarm, with backoff, if that failed).
 * - Claims come as WebSocket frames (`protocol.ts`). The session judges them by the position it
 *   accepted for the player: the instance room's (RPC `acceptedPosition`, under the room's speed
 *   limit) when the session runs in a holodeck, else the player's own `move` frames under the same
 *   limit (`../core/movement.ts`). After the await for a position the claim is checked again, so
 *   two players finishing the last objective in one tick complete the session once.
 * - The alarm serves the core's Postgres sync and the session's deadlines: the time limit
 *   (quest time, pauses excluded) and abandonment (every participant disconnected for 5 minutes).
 */
import { createHash } from 'node:crypto'
import type { NexusClient } from '../../db/client'
import { RoomGateway } from '../../functions/instances/room-gateway'
import type { Env } from '../../functions/lib/env'
import { createLogger, log } from '../../functions/lib/logger'
import { CLOSE_NORMAL } from '../core/config'
import { closeQuietly, LiveObject, sendJson, sendText } from '../core/live-object'
import { assertNever, parseJsonHeader } from '../core/frames'
import {
  checkMove,
  reachableWithin,
  startTrack,
  type MovementTrack,
  type Point,
} from '../core/movement'
import { accept, refusalResponse, refuse, type Answer } from '../core/refusal'
import { VersionCounter } from '../core/storage'
import { TokenBucket, type TokenBucketState } from '../instance-room/rate-limit'
import {
  CLOSE_LEFT_SESSION,
  DEFAULT_QUEST_MAX_SPEED_MPS,
  MAX_BAD_QUEST_FRAMES,
  QUEST_TICK_MS,
} from './config'
import {
  allRequiredCompleted,
  claimableObjective,
  decideClaim,
  everyObjectiveCompleted,
  maxPossibleScore,
  needsPosition,
  objectiveView,
  scoresByUser,
  type ClaimRefusal,
  type ObjectiveLedger,
} from './objectives'
import {
  parseQuestFrame,
  type ClaimFrame,
  type EndReason,
  type QuestClientFrame,
  type QuestErrorCode,
  type QuestEvent,
  type QuestServerMessage,
  type SessionStatus,
} from './protocol'
import type { Objective } from './quest-data'
import {
  SESSION_CONNECTION_HEADER,
  sessionConnectionSchema,
  type CompletionRecord,
  type SessionActor,
  type SessionDefinition,
  type SessionView,
} from './rpc'
import {
  QUEST_SESSION_MIGRATIONS,
  type CreditRow,
  type ObjectiveRow,
  type ParticipantRow,
} from './schema'
import { writeQuestSessionSync, type QuestSyncSnapshot } from './sync'
import { sessionView, syncSnapshot, type SessionSource } from './views'
import {
  abandonDeadlineMs,
  elapsedMs,
  dueDeadline,
  isTerminal,
  nextDeadlineMs,
  timeLimitDeadlineMs,
  transition,
  wholeSeconds,
  type SessionState,
} from './timing'

/** Per-socket state that survives hibernation. */
export interface QuestAttachment {
  userId: string
  username: string
  connectionId: string
  /** A `hello` was received: the socket gets batches from now on. */
  greeted: boolean
  badFrames: number
  bucket: TokenBucketState
  rateLimited: boolean
}

/** Where every player starts when the session starts. */
const SPAWN: Point = { x: 0, y: 0, z: 0 }

/** A refusal of a claim or move, answered with an error frame. */
type Refused = { ok: false; refusal: ClaimRefusal }

/** The QuestSession Durable Object. */
export class QuestSession extends LiveObject<QuestAttachment, QuestEvent, QuestSyncSnapshot> {
  private readonly version: VersionCounter
  private definition: SessionDefinition | null
  private state: SessionState | null
  /** Open sockets: connection id → user id (a replaced or closing socket is not in here). */
  private readonly live = new Map<string, string>()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { migrations: QUEST_SESSION_MIGRATIONS, tickMs: QUEST_TICK_MS })
    this.version = new VersionCounter(this.meta, 'session')
    this.definition = this.meta.getJson<SessionDefinition | null>('definition', null)
    this.state = this.meta.getJson<SessionState | null>('state', null)
    this.restoreConnections((_ws, attachment) =>
      this.live.set(attachment.connectionId, attachment.userId),
    )
    // After a restart the sockets are gone without a goodbye: the abandonment clock starts now.
    if (
      this.state &&
      !isTerminal(this.state.status) &&
      this.state.disconnected_since_ms === null &&
      this.connectedParticipants().size === 0
    ) {
      this.markAllDisconnected(this.now())
      void ctx.blockConcurrencyWhile(() => this.armDeadlines())
    }
  }

  /** The session's clock (epoch ms). A test subclass moves it forward. */
  protected now(): number {
    return Date.now()
  }

  /** The wall-clock time at which the session's clock reads `sessionMs` (for alarms). */
  protected wallTimeOf(sessionMs: number): number {
    return sessionMs
  }

  // ---------------------------------------------------------------- RPC (the session gateway)

  /** Opens the session with what it runs on; opening it again with the same id is a no-op. */
  async open(definition: SessionDefinition): Promise<Answer<SessionView>> {
    if (this.definition) {
      return this.definition.session_id === definition.session_id
        ? accept(this.view())
        : refuse('conflict', 'this session object belongs to another session')
    }
    const nowMs = this.now()
    this.ctx.storage.transactionSync(() => {
      this.meta.setJson('definition', definition)
      definition.quest_data.objectives.forEach((objective, ordinal) => {
        this.sql.exec(
          `INSERT INTO objectives (objective_id, ordinal, status) VALUES (?, ?, 'open')`,
          objective.id,
          ordinal,
        )
      })
      this.addParticipant(definition.host.user_id, definition.host.username, nowMs)
      this.definition = definition
      this.saveState({
        status: 'waiting',
        end_reason: null,
        host_user_id: definition.host.user_id,
        created_at_ms: nowMs,
        started_at_ms: null,
        paused_at_ms: null,
        resumed_at_ms: null,
        total_pause_ms: 0,
        ended_at_ms: null,
        plays_at_start: 0,
        // Nobody is connected yet: a session nobody ever connects to is abandoned too.
        disconnected_since_ms: nowMs,
        is_abandoned: false,
      })
      this.appendEvent(nowMs, definition.host.user_id, 'opened', {
        quest_id: definition.quest_id,
        quest_version: definition.quest_version,
      })
    })
    void this.syncs.schedule()
    await this.armDeadlines()
    return accept(this.view())
  }

  /** The session as the API shows it. */
  async describe(): Promise<Answer<SessionView>> {
    const refused = await this.ready()
    if (refused) return refused
    return accept(this.view())
  }

  /** Adds `actor` as a participant of a waiting session (a no-op for a participant). */
  async join(actor: SessionActor): Promise<Answer<{ joined: boolean; session: SessionView }>> {
    const refused = await this.ready()
    if (refused) return refused
    const state = this.state!
    const max = this.definition!.max_participants
    if (this.isActiveParticipant(actor.user_id))
      return accept({ joined: false, session: this.view() })
    if (state.status !== 'waiting') {
      return refuse(
        'conflict',
        `this session is ${state.status}; only a waiting session takes new participants`,
      )
    }
    if (this.activeParticipants().length >= max) {
      return refuse('capacity_reached', `this session is full (${max} participants)`)
    }
    const nowMs = this.now()
    this.addParticipant(actor.user_id, actor.username, nowMs)
    this.appendEvent(nowMs, actor.user_id, 'joined', {})
    this.enqueue({ type: 'joined', user_id: actor.user_id, username: actor.username })
    if (this.connectedParticipants().has(actor.user_id)) this.markSomeoneConnected()
    this.version.bump()
    await this.writeNow()
    return accept({ joined: true, session: this.view() })
  }

  /**
   * `actor` leaves: they keep their progress but get no completion; the host's role passes to
   * the earliest remaining participant; a session nobody is left in is abandoned.
   */
  async leave(actor: SessionActor): Promise<Answer<SessionView>> {
    const refused = await this.ready()
    if (refused) return refused
    if (!this.isActiveParticipant(actor.user_id)) {
      return refuse('not_found', 'you are not a participant of this session')
    }
    if (isTerminal(this.state!.status)) return refuse('conflict', 'this session has ended')
    const nowMs = this.now()
    this.sql.exec('UPDATE participants SET left_at_ms = ? WHERE user_id = ?', nowMs, actor.user_id)
    this.appendEvent(nowMs, actor.user_id, 'left', {})
    this.enqueue({ type: 'left', user_id: actor.user_id })
    const remaining = this.activeParticipants()
    if (remaining.length === 0) {
      this.changeStatus('abandoned', 'all_left', nowMs, actor.user_id)
    } else if (this.state!.host_user_id === actor.user_id) {
      this.saveState({ ...this.state!, host_user_id: remaining[0].user_id })
      this.enqueue({ type: 'host', user_id: remaining[0].user_id })
    }
    if (this.connectedParticipants().size === 0) this.markAllDisconnected(nowMs)
    this.version.bump()
    for (const [ws, attachment] of this.connections(actor.user_id)) {
      this.live.delete(attachment.connectionId)
      closeQuietly(ws, CLOSE_LEFT_SESSION, 'you left the session')
    }
    await this.writeNow()
    return accept(this.view())
  }

  /** The host starts a waiting session with at least `min_participants`. */
  async start(actor: SessionActor): Promise<Answer<SessionView>> {
    const refused = await this.ready()
    if (refused) return refused
    if (actor.user_id !== this.state!.host_user_id) {
      return refuse('forbidden', 'only the host may start the session')
    }
    if (this.state!.status !== 'waiting') {
      return refuse('conflict', `this session is ${this.state!.status}, not waiting`)
    }
    const participants = this.activeParticipants()
    const min = this.definition!.min_participants
    if (participants.length < min) {
      return refuse(
        'conflict',
        `this quest needs at least ${min} participants; the session has ${participants.length}`,
      )
    }
    const nowMs = this.now()
    this.saveState({ ...this.state!, plays_at_start: participants.length })
    this.changeStatus('in_progress', null, nowMs, actor.user_id)
    if (this.definition!.instance_id === null) {
      const track = JSON.stringify(startTrack(SPAWN, nowMs, this.maxSpeedMps()))
      this.sql.exec('UPDATE participants SET track = ? WHERE left_at_ms IS NULL', track)
    }
    this.version.bump()
    await this.writeNow()
    return accept(this.view())
  }

  /** A participant pauses the quest's clock. */
  async pause(actor: SessionActor): Promise<Answer<SessionView>> {
    return this.hostOrParticipantChange(actor, 'participant', 'in_progress', 'paused')
  }

  /** The host resumes a paused session. */
  async resume(actor: SessionActor): Promise<Answer<SessionView>> {
    return this.hostOrParticipantChange(actor, 'host', 'paused', 'in_progress')
  }

  /** The host (or staff) ends the session for everyone. */
  async abandon(actor: SessionActor): Promise<Answer<SessionView>> {
    const refused = await this.ready()
    if (refused) return refused
    if (actor.user_id !== this.state!.host_user_id && !actor.staff) {
      return refuse('forbidden', 'only the host may abandon the session; participants leave it')
    }
    if (isTerminal(this.state!.status)) return refuse('conflict', 'this session has ended')
    this.changeStatus('abandoned', 'abandoned_by_host', this.now(), actor.user_id)
    this.version.bump()
    await this.writeNow()
    return accept(this.view())
  }

  private async hostOrParticipantChange(
    actor: SessionActor,
    who: 'host' | 'participant',
    from: SessionStatus,
    to: SessionStatus,
  ): Promise<Answer<SessionView>> {
    const refused = await this.ready()
    if (refused) return refused
    const allowed =
      who === 'host'
        ? actor.user_id === this.state!.host_user_id
        : this.isActiveParticipant(actor.user_id)
    if (!allowed) {
      return refuse(
        'forbidden',
        who === 'host' ? 'only the host may do this' : 'only a participant may do this',
      )
    }
    if (this.state!.status !== from) {
      return refuse('conflict', `this session is ${this.state!.status}, not ${from}`)
    }
    this.changeStatus(to, null, this.now(), actor.user_id)
    this.version.bump()
    await this.writeNow()
    return accept(this.view())
  }

  // ---------------------------------------------------------------- WebSocket entrance

  /** `GET /connect`, the WebSocket upgrade; anything else is refused. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (request.method !== 'GET' || url.pathname !== '/connect') {
      return refusalResponse('not_found', `no route ${request.method} ${url.pathname}`)
    }
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket') {
      return refusalResponse('bad_request', 'expected a WebSocket upgrade')
    }
    const parsed = sessionConnectionSchema.safeParse(
      parseJsonHeader(request.headers.get(SESSION_CONNECTION_HEADER)),
    )
    if (!parsed.success) {
      return refusalResponse(
        'bad_request',
        `missing or invalid ${SESSION_CONNECTION_HEADER} header`,
      )
    }
    const { session_id: sessionId, user_id: userId, username } = parsed.data
    if (!this.definition) return refusalResponse('not_found', 'no such quest session')
    if (this.definition.session_id !== sessionId) {
      return refusalResponse('conflict', 'this session object belongs to another session')
    }
    // One socket per user: a new connection replaces the old one.
    for (const [ws, attachment] of this.connections(userId)) {
      this.live.delete(attachment.connectionId)
      this.forgetConnection(ws)
      closeQuietly(ws, CLOSE_NORMAL, 'replaced by a new connection')
    }
    const connectionId = crypto.randomUUID()
    const webSocket = this.acceptConnection({
      userId,
      username,
      connectionId,
      greeted: false,
      badFrames: 0,
      bucket: TokenBucket.full(Date.now()).toState(),
      rateLimited: false,
    })
    this.live.set(connectionId, userId)
    if (this.isActiveParticipant(userId)) {
      this.markSomeoneConnected()
      this.enqueue({ type: 'connected', user_id: userId })
    }
    return new Response(null, { status: 101, webSocket })
  }

  // ---------------------------------------------------------------- client frames

  /** One client frame: rate limit, parse, then an exhaustive switch over frame types. */
  protected override async handleMessage(
    ws: WebSocket,
    message: string | ArrayBuffer,
  ): Promise<void> {
    const attachment = this.attachmentOf(ws)
    if (!attachment || !this.live.has(attachment.connectionId) || !this.definition) {
      closeQuietly(ws, 1008, 'session ended')
      return
    }
    const bucket = new TokenBucket(attachment.bucket)
    const allowed = bucket.take(Date.now())
    attachment.bucket = bucket.toState()
    if (!allowed) {
      if (!attachment.rateLimited) {
        attachment.rateLimited = true
        send(ws, { type: 'error', code: 'rate_limited', message: 'too many frames; dropping' })
      }
      this.saveAttachment(ws, attachment)
      return
    }
    attachment.rateLimited = false
    const parsed = parseQuestFrame(message)
    if (!parsed.ok) {
      if (parsed.code === 'frame_too_large') {
        await this.closeConnection(ws, 1009, parsed.message)
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
    this.saveAttachment(ws, attachment)
    await this.handleFrame(ws, attachment, frame)
  }

  private async handleFrame(
    ws: WebSocket,
    attachment: QuestAttachment,
    frame: QuestClientFrame,
  ): Promise<void> {
    switch (frame.type) {
      case 'hello':
        if (attachment.greeted) {
          await this.rejectFrame(ws, attachment, 'invalid_frame', 'hello was already received')
          return
        }
        attachment.greeted = true
        this.saveAttachment(ws, attachment)
        this.greet(ws, attachment.userId, frame.last_seq)
        return
      case 'ping':
        send(ws, { type: 'pong', server_time_ms: this.now() })
        return
      case 'move':
        this.acceptMove(ws, attachment.userId, frame.position)
        return
      case 'reach':
      case 'collect':
      case 'interact':
      case 'answer':
        await this.claim(ws, attachment.userId, frame)
        return
      default:
        assertNever(frame)
    }
  }

  /** Answers `hello`: the missed batches when the ring still holds them, else a `welcome`. */
  private greet(ws: WebSocket, userId: string, lastSeq: number | undefined): void {
    const missed = lastSeq === undefined ? null : this.missedBatches(lastSeq)
    if (missed !== null) {
      for (const batch of missed) send(ws, { type: 'batch', seq: batch.seq, events: batch.events })
      if (missed.length === 0) send(ws, { type: 'batch', seq: this.latestSeq, events: [] })
      return
    }
    send(ws, {
      type: 'welcome',
      seq: this.latestSeq,
      role: this.isActiveParticipant(userId) ? 'participant' : 'spectator',
      session: this.view(),
    })
  }

  /** A position of a session without an instance, under the speed limit. */
  private acceptMove(ws: WebSocket, userId: string, position: Point): void {
    const refusal = this.participantRefusal(userId, false)
    if (refusal) return this.refuseFrame(ws, refusal)
    if (this.definition!.instance_id !== null) {
      return this.refuseFrame(ws, {
        code: 'moves_in_instance',
        message: 'this session runs in an instance: move in its room, the session reads it there',
      })
    }
    const row = this.participant(userId)!
    const track = JSON.parse(row.track!) as MovementTrack
    const check = checkMove(track, position, this.now(), this.maxSpeedMps())
    if (!check.ok) {
      send(ws, {
        type: 'error',
        code: 'implausible_move',
        message: `moved ${check.distance_m.toFixed(1)} m where ${check.allowed_m.toFixed(1)} m was possible at ${this.maxSpeedMps()} m/s; you stay at your last accepted position`,
        position: track.position,
      })
      return
    }
    this.sql.exec(
      'UPDATE participants SET track = ? WHERE user_id = ?',
      JSON.stringify(check.track),
      userId,
    )
    this.enqueue({ type: 'position', user_id: userId, position: check.track.position })
  }

  /**
   * A claim: checked, then (for objectives judged by position) the player's accepted position is
   * fetched, then checked again, since other frames may have changed the session during the
   * await; only the last, synchronous step changes anything.
   */
  private async claim(ws: WebSocket, userId: string, frame: ClaimFrame): Promise<void> {
    await this.enforceDeadlinesNow()
    const first = this.claimCheck(userId, frame)
    if (!first.ok) return this.refuseFrame(ws, first.refusal, frame.ref)
    let position: Point | null = null
    if (needsPosition(first.objective)) {
      const located = await this.acceptedPositionOf(userId)
      if (!located.ok) return this.refuseFrame(ws, located.refusal, frame.ref)
      position = located.position
    }
    const nowMs = this.now()
    if (dueDeadline(this.state!, this.definition!.time_limit_seconds, nowMs) !== null) {
      await this.enforceDeadlinesNow()
    }
    const second = this.claimCheck(userId, frame)
    if (!second.ok) return this.refuseFrame(ws, second.refusal, frame.ref)
    const objective = second.objective
    if (position !== null && !this.reachableSinceStart(position, nowMs)) {
      return this.refuseFrame(
        ws,
        {
          code: 'too_soon',
          message: `no one could be there ${wholeSeconds(nowMs - this.state!.started_at_ms!)} s after the start at ${this.maxSpeedMps()} m/s`,
        },
        frame.ref,
      )
    }
    const decided = decideClaim(objective, this.ledger(), frame, position)
    if (!decided.ok) return this.refuseFrame(ws, decided.refusal, frame.ref)
    const decision = decided.decision
    if (decision.kind === 'wrong_answer') {
      this.recordWrongAnswer(objective, userId, decision.attempts_left, decision.fails, nowMs)
    } else {
      this.credit(objective, userId, decision.object_id, decision.points, decision.completes, nowMs)
    }
    this.version.bump()
    if (isTerminal(this.state!.status)) await this.writeNow()
    else void this.syncs.schedule()
  }

  /** The objective a claim names, if this user may claim it now. */
  private claimCheck(userId: string, frame: ClaimFrame) {
    const refusal = this.participantRefusal(userId, true)
    if (refusal) return { ok: false as const, refusal }
    return claimableObjective(this.definition!.quest_data, this.ledger(), frame)
  }

  /** Why `userId` may not act in the session now, or null. */
  private participantRefusal(userId: string, claim: boolean): ClaimRefusal | null {
    if (!this.isActiveParticipant(userId)) {
      return { code: 'not_participant', message: 'only participants of this session may play it' }
    }
    if (claim && this.state!.status === 'completed') {
      return { code: 'already_completed', message: 'this quest is already completed' }
    }
    if (this.state!.status !== 'in_progress') {
      return {
        code: 'not_in_progress',
        message: `this session is ${this.state!.status}; ${claim ? 'claims' : 'moves'} count only while it is in progress`,
      }
    }
    return null
  }

  /**
   * Where the session accepted `userId`: the instance room's accepted position (under the room's
   * speed limit, which must be at most the quest's), or the player's own track.
   */
  private async acceptedPositionOf(
    userId: string,
  ): Promise<{ ok: true; position: Point } | Refused> {
    const instanceId = this.definition!.instance_id
    if (instanceId === null) {
      const track = this.participant(userId)?.track
      if (!track) return refusedWith('no_position', 'no position was accepted for you yet')
      return { ok: true, position: (JSON.parse(track) as MovementTrack).position }
    }
    let accepted
    try {
      accepted = await new RoomGateway(
        this.env.INSTANCE_ROOM,
        createLogger(this.logFields()),
      ).acceptedPosition(instanceId, userId)
    } catch {
      return refusedWith('position_unavailable', 'the instance room cannot be reached; try again')
    }
    if (!accepted || !accepted.connected) {
      return refusedWith(
        'no_position',
        "enter the quest's instance first: positions come from its room",
      )
    }
    if (accepted.max_speed_mps === null || accepted.max_speed_mps > this.maxSpeedMps()) {
      return refusedWith(
        'position_unavailable',
        "the instance's speed limit was changed; its positions cannot be trusted for this quest",
      )
    }
    return { ok: true, position: accepted.position }
  }

  /**
   * Whether a player who set out from the spawn point at the start could be at `position` now
   * (wall time, pauses included: players in a holodeck keep walking while the quest is paused).
   */
  private reachableSinceStart(position: Point, nowMs: number): boolean {
    return reachableWithin(SPAWN, position, nowMs - this.state!.started_at_ms!, this.maxSpeedMps())
  }

  /** Records an accepted claim; completes the objective and, with it, maybe the session. */
  private credit(
    objective: Objective,
    userId: string,
    objectId: string,
    points: number,
    completes: boolean,
    nowMs: number,
  ): void {
    this.sql.exec(
      'INSERT INTO credits (objective_id, object_id, user_id, points, at_ms) VALUES (?, ?, ?, ?, ?)',
      objective.id,
      objectId,
      userId,
      points,
      nowMs,
    )
    if (completes) {
      this.sql.exec(
        `UPDATE objectives SET status = 'completed', completed_by = ?, completed_at_ms = ?
         WHERE objective_id = ?`,
        userId,
        nowMs,
        objective.id,
      )
    }
    this.appendEvent(nowMs, userId, 'credited', {
      objective_id: objective.id,
      object_id: objectId,
      points,
    })
    const ledger = this.ledger()
    if (objective.type === 'collect_items') {
      this.enqueue({
        type: 'collected',
        objective_id: objective.id,
        object_id: objectId,
        user_id: userId,
      })
    }
    this.enqueue({ type: 'objective', objective: objectiveView(objective, ledger) })
    this.enqueue({ type: 'score', user_id: userId, score: scoresByUser(ledger).get(userId) ?? 0 })
    if (completes && allRequiredCompleted(this.definition!.quest_data, ledger)) this.complete(nowMs)
  }

  /** A wrong answer: an attempt and a mistake; the last attempt fails the objective. */
  private recordWrongAnswer(
    objective: Objective,
    userId: string,
    attemptsLeft: number,
    fails: boolean,
    nowMs: number,
  ): void {
    this.sql.exec('UPDATE participants SET mistakes = mistakes + 1 WHERE user_id = ?', userId)
    this.sql.exec(
      `UPDATE objectives SET attempts = attempts + 1, status = ? WHERE objective_id = ?`,
      fails ? 'failed' : 'open',
      objective.id,
    )
    this.appendEvent(nowMs, userId, 'wrong_answer', { objective_id: objective.id })
    this.enqueue({
      type: 'answered',
      objective_id: objective.id,
      user_id: userId,
      correct: false,
      attempts_left: attemptsLeft,
    })
    this.enqueue({ type: 'objective', objective: objectiveView(objective, this.ledger()) })
    if (fails && objective.required) this.changeStatus('failed', 'objective_failed', nowMs, userId)
  }

  /** Every required objective is done: the completion is decided here, once. */
  private complete(nowMs: number): void {
    const data = this.definition!.quest_data
    const ledger = this.ledger()
    const scores = scoresByUser(ledger)
    const everything = everyObjectiveCompleted(data, ledger)
    const results = this.activeParticipants().map((p) => ({
      user_id: p.user_id,
      score: scores.get(p.user_id) ?? 0,
      mistakes_made: p.mistakes,
      perfect_completion: everything && p.mistakes === 0,
    }))
    this.changeStatus('completed', null, nowMs, null)
    const timeTaken = wholeSeconds(elapsedMs(this.state!, nowMs))
    const { seq, hash } = this.appendEvent(nowMs, null, 'completed', {
      time_taken_seconds: timeTaken,
      results,
    })
    const record: CompletionRecord = {
      completed_at_ms: nowMs,
      time_taken_seconds: timeTaken,
      max_possible_score: maxPossibleScore(data),
      verification_hash: hash,
      event_count: seq,
      results,
    }
    this.meta.setJson('completion', record)
    this.enqueue({
      type: 'completed',
      completed_at_ms: nowMs,
      time_taken_seconds: timeTaken,
      scores: results.map((r) => ({ user_id: r.user_id, score: r.score })),
      verification_hash: hash,
    })
  }

  private refuseFrame(ws: WebSocket, refusal: ClaimRefusal, ref?: string): void {
    send(ws, {
      type: 'error',
      code: refusal.code,
      message: refusal.message,
      ...(ref ? { ref } : {}),
    })
  }

  private async rejectFrame(
    ws: WebSocket,
    attachment: QuestAttachment,
    code: QuestErrorCode,
    message: string,
  ): Promise<void> {
    attachment.badFrames += 1
    send(ws, { type: 'error', code, message })
    if (attachment.badFrames >= MAX_BAD_QUEST_FRAMES) {
      await this.closeConnection(ws, 1008, 'too many invalid frames')
      return
    }
    this.saveAttachment(ws, attachment)
  }

  // ---------------------------------------------------------------- status, clock, deadlines

  /** Moves the session to `status` at `atMs`, with its event. */
  private changeStatus(
    status: SessionStatus,
    reason: EndReason | null,
    atMs: number,
    actorId: string | null,
  ): void {
    this.saveState(transition(this.state!, status, atMs, reason))
    this.appendEvent(atMs, actorId, 'status', { status, reason })
    this.enqueue({ type: 'status', status, reason, at_ms: atMs })
  }

  /**
   * Ends the session when a deadline passed (at the deadline, not when it was noticed) and writes
   * it at once; callers re-read the state.
   */
  private async enforceDeadlinesNow(): Promise<void> {
    if (!this.state || !this.definition || isTerminal(this.state.status)) return
    const due = dueDeadline(this.state, this.definition.time_limit_seconds, this.now())
    if (due === null) return
    if (due === 'time_limit') {
      const at = timeLimitDeadlineMs(this.state, this.definition.time_limit_seconds)!
      this.changeStatus('failed', 'time_limit', at, null)
    } else {
      this.changeStatus('abandoned', 'all_disconnected', abandonDeadlineMs(this.state)!, null)
    }
    this.version.bump()
    await this.writeNow()
  }

  /** Sets the alarm for the next deadline unless an earlier one is set. */
  private async armDeadlines(): Promise<void> {
    if (!this.state || !this.definition) return
    const deadline = nextDeadlineMs(this.state, this.definition.time_limit_seconds)
    if (deadline === null) return
    const at = this.wallTimeOf(deadline)
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
  }

  /** The alarm: deadlines first, then the core's sync, then the next deadline. */
  override async alarm(): Promise<void> {
    await this.enforceDeadlinesNow()
    await super.alarm()
    await this.armDeadlines()
  }

  /** Ends the tick and writes Postgres now (a status change); a failure is retried by the alarm. */
  private async writeNow(): Promise<void> {
    this.flushTick()
    await this.syncs.flush()
    await this.armDeadlines()
  }

  private markSomeoneConnected(): void {
    if (this.state!.disconnected_since_ms !== null) {
      this.saveState({ ...this.state!, disconnected_since_ms: null }, false)
    }
  }

  private markAllDisconnected(nowMs: number): void {
    if (this.state!.disconnected_since_ms === null) {
      this.saveState({ ...this.state!, disconnected_since_ms: nowMs }, false)
    }
  }

  private maxSpeedMps(): number {
    return this.definition!.quest_data.max_speed_mps ?? DEFAULT_QUEST_MAX_SPEED_MPS
  }

  // ---------------------------------------------------------------- connections

  /** A socket is gone; the last participant to go starts the abandonment clock. */
  protected override async handleDeparture(
    _ws: WebSocket,
    attachment: QuestAttachment,
  ): Promise<void> {
    // A replaced socket, or one of a user who left: already accounted for.
    if (!this.live.delete(attachment.connectionId)) return
    if (this.definition && this.isActiveParticipant(attachment.userId)) {
      this.enqueue({ type: 'disconnected', user_id: attachment.userId })
      if (this.connectedParticipants().size === 0) {
        this.markAllDisconnected(this.now())
        await this.armDeadlines()
      }
    }
    if (this.live.size === 0) await this.flushAfterLastClient()
  }

  /** Sends each greeted, live socket the tick's batch. */
  protected override deliverBatch(seq: number, events: QuestEvent[]): void {
    const frame = JSON.stringify({ type: 'batch', seq, events } satisfies QuestServerMessage)
    for (const [ws, attachment] of this.connections()) {
      if (attachment.greeted && this.live.has(attachment.connectionId)) sendText(ws, frame)
    }
  }

  /** Users with a live socket who are active participants. */
  private connectedParticipants(): Set<string> {
    const active = new Set(this.activeParticipants().map((p) => p.user_id))
    return new Set([...this.live.values()].filter((userId) => active.has(userId)))
  }

  // ---------------------------------------------------------------- storage

  /** Null when the session is open (its due deadlines enforced first), else the refusal. */
  private async ready() {
    if (!this.definition || !this.state) return refuse('not_found', 'no such quest session')
    await this.enforceDeadlinesNow()
    return null
  }

  private saveState(next: SessionState, dirty = true): void {
    this.state = next
    this.meta.setJson('state', next)
    if (dirty) this.version.bump()
  }

  private addParticipant(userId: string, username: string, nowMs: number): void {
    this.sql.exec(
      `INSERT INTO participants (user_id, username, joined_at_ms) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET username = excluded.username,
         joined_at_ms = excluded.joined_at_ms, left_at_ms = NULL`,
      userId,
      username,
      nowMs,
    )
  }

  private participants(): ParticipantRow[] {
    return this.sql
      .exec('SELECT * FROM participants ORDER BY joined_at_ms, user_id')
      .toArray() as unknown as ParticipantRow[]
  }

  private activeParticipants(): ParticipantRow[] {
    return this.participants().filter((p) => p.left_at_ms === null)
  }

  private participant(userId: string): ParticipantRow | undefined {
    const [row] = this.sql.exec('SELECT * FROM participants WHERE user_id = ?', userId).toArray()
    return row as unknown as ParticipantRow | undefined
  }

  private isActiveParticipant(userId: string): boolean {
    const row = this.participant(userId)
    return row !== undefined && row.left_at_ms === null
  }

  private ledger(): ObjectiveLedger {
    const rows = this.sql.exec('SELECT * FROM objectives').toArray() as unknown as ObjectiveRow[]
    const credits = this.sql
      .exec('SELECT * FROM credits ORDER BY at_ms, objective_id, object_id')
      .toArray() as unknown as CreditRow[]
    return { rows: new Map(rows.map((row) => [row.objective_id, row])), credits }
  }

  /**
   * Appends to the event log, chained: each row's hash is SHA-256 over the previous hash and the
   * row, so the head hash verifies the whole log.
   */
  private appendEvent(
    atMs: number,
    userId: string | null,
    type: string,
    data: Record<string, unknown>,
  ): { seq: number; hash: string } {
    const last = this.sql
      .exec('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1')
      .toArray()[0]
    const seq = last === undefined ? 1 : Number(last.seq) + 1
    const body = JSON.stringify([seq, atMs, userId, type, data])
    const hash = createHash('sha256')
      .update(`${last === undefined ? '' : String(last.hash)}\n${body}`)
      .digest('hex')
    this.sql.exec(
      'INSERT INTO events (seq, at_ms, user_id, type, data, hash) VALUES (?, ?, ?, ?, ?, ?)',
      seq,
      atMs,
      userId,
      type,
      JSON.stringify(data),
      hash,
    )
    return { seq, hash }
  }

  // ---------------------------------------------------------------- views (views.ts)

  /** What the views and snapshots are made of, read from storage. */
  private source(): SessionSource {
    return {
      definition: this.definition!,
      state: this.state!,
      participants: this.participants(),
      ledger: this.ledger(),
      completion: this.meta.getJson<CompletionRecord | null>('completion', null),
      connected: new Set(this.live.values()),
      nowMs: this.now(),
    }
  }

  private view(): SessionView {
    return sessionView(this.source())
  }

  // ---------------------------------------------------------------- Postgres sync (sync.ts)

  protected override collectSync(): QuestSyncSnapshot | null {
    const version = this.version.pending()
    if (version === null || !this.definition || !this.state) return null
    return syncSnapshot(this.source(), version)
  }

  protected override async writeSync(
    db: NexusClient['db'],
    snapshot: QuestSyncSnapshot,
  ): Promise<void> {
    const outcome = await writeQuestSessionSync(db, snapshot)
    if (outcome === 'gone') {
      log('warn', 'quest session row not found; the sync is dropped', this.logFields())
    }
  }

  protected override markSynced(snapshot: QuestSyncSnapshot): void {
    this.version.markSynced(snapshot.version)
  }

  protected override logFields(): Record<string, unknown> {
    return { quest_session_id: this.definition?.session_id ?? null }
  }
}

function refusedWith(code: QuestErrorCode, message: string): Refused {
  return { ok: false, refusal: { code, message } }
}

/** Sends a server frame (typed, so every frame the session builds is a `QuestServerMessage`). */
function send(ws: WebSocket, message: QuestServerMessage): void {
  sendJson(ws, message)
}
