/**
 * The QuestSession WebSocket protocol: zod schemas of client frames, TypeScript types of server
 * frames. JSON text frames with snake_case keys, like the instance room's.
 *
 * A client reports what it does; the session decides. No claim frame carries a position: the
 * session uses the position it accepted for that player (from the instance room when the session
 * runs in one, else from the player's `move` frames, both under the speed limit). A refused frame
 * is answered with an `error` frame and changes nothing.
 */
import { z } from 'zod'
import { parseJsonFrame, type FrameErrorCode } from '../core/frames'
import { positionSchema } from '../instance-room/protocol'
import { MAX_QUEST_FRAME_BYTES } from './config'
import { questSlugSchema, type PublicObjective } from './quest-data'

/** An optional client-chosen id echoed in the `error` frame that answers the claim. */
const ref = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
  .optional()

/** `hello`: first frame; `last_seq` asks to resume after that batch. */
export const questHelloFrameSchema = z.strictObject({
  type: z.literal('hello'),
  last_seq: z.int().min(0).optional(),
})

/** `move`: the sender's position, in a session that runs without an instance. */
export const questMoveFrameSchema = z.strictObject({
  type: z.literal('move'),
  position: positionSchema,
})

/** `reach`: "I am at the location of this `reach_location` objective". */
export const reachFrameSchema = z.strictObject({
  type: z.literal('reach'),
  objective_id: questSlugSchema,
  ref,
})

/** `collect`: "I pick up this object of this `collect_items` objective". */
export const collectFrameSchema = z.strictObject({
  type: z.literal('collect'),
  objective_id: questSlugSchema,
  object_id: questSlugSchema,
  ref,
})

/** `interact`: "I interact with the target of this `interact` objective". */
export const interactFrameSchema = z.strictObject({
  type: z.literal('interact'),
  objective_id: questSlugSchema,
  target_id: questSlugSchema,
  ref,
})

/** `answer`: an answer to the question of this `answer` objective. */
export const answerFrameSchema = z.strictObject({
  type: z.literal('answer'),
  objective_id: questSlugSchema,
  answer: z.string().trim().min(1).max(200),
  ref,
})

/** `ping`: answered with `pong`. */
export const questPingFrameSchema = z.strictObject({ type: z.literal('ping') })

/** Every frame a client may send, discriminated on `type`. */
export const questClientFrameSchema = z.discriminatedUnion('type', [
  questHelloFrameSchema,
  questMoveFrameSchema,
  reachFrameSchema,
  collectFrameSchema,
  interactFrameSchema,
  answerFrameSchema,
  questPingFrameSchema,
])

/** A validated client frame. */
export type QuestClientFrame = z.infer<typeof questClientFrameSchema>
/** A claim: a frame that asks the session to credit an objective. */
export type ClaimFrame = Extract<QuestClientFrame, { objective_id: string }>

/** Parses one raw WebSocket message (size, UTF-8, JSON, schema); never throws. */
export const parseQuestFrame = (raw: string | ArrayBuffer) =>
  parseJsonFrame(raw, questClientFrameSchema, MAX_QUEST_FRAME_BYTES)

/** Session statuses (`quest_instances.status`, `state.status`). */
export const SESSION_STATUSES = [
  'waiting',
  'in_progress',
  'paused',
  'completed',
  'failed',
  'abandoned',
] as const
/** A session status. */
export type SessionStatus = (typeof SESSION_STATUSES)[number]
/** Statuses a session never leaves. */
export const TERMINAL_STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'abandoned']

/** Why a session ended, when it did not complete. */
export type EndReason =
  'time_limit' | 'objective_failed' | 'abandoned_by_host' | 'all_disconnected' | 'all_left'

/** An objective's live state. */
export type ObjectiveStatus = 'locked' | 'open' | 'completed' | 'failed'

/** One objective as the session shows it. */
export type ObjectiveView = PublicObjective & {
  status: ObjectiveStatus
  /** Objects collected (collect_items) or 1 when done; `target` is what completes it. */
  progress: number
  target: number
  completed_by: string | null
  completed_at_ms: number | null
  /** collect_items: who collected which object. */
  collected?: { object_id: string; user_id: string }[]
  /** answer: wrong answers still allowed. */
  attempts_left?: number
}

/** A participant as the session shows them. */
export interface ParticipantView {
  user_id: string
  username: string
  joined_at_ms: number
  left_at_ms: number | null
  connected: boolean
  score: number
  mistakes: number
}

/** Why a frame was refused. */
export type QuestErrorCode =
  | FrameErrorCode
  | 'rate_limited'
  | 'internal'
  | 'not_participant'
  | 'not_in_progress'
  | 'unknown_objective'
  | 'wrong_objective_type'
  | 'locked'
  | 'already_completed'
  | 'objective_failed'
  | 'unknown_object'
  | 'already_collected'
  | 'wrong_target'
  | 'out_of_reach'
  | 'too_soon'
  | 'implausible_move'
  | 'no_position'
  | 'position_unavailable'
  | 'moves_in_instance'
  | 'no_attempts_left'

/** One event inside a `batch`. */
export type QuestEvent =
  | { type: 'status'; status: SessionStatus; reason: EndReason | null; at_ms: number }
  | { type: 'joined'; user_id: string; username: string }
  | { type: 'left'; user_id: string }
  | { type: 'connected'; user_id: string }
  | { type: 'disconnected'; user_id: string }
  | { type: 'host'; user_id: string }
  | { type: 'position'; user_id: string; position: { x: number; y: number; z: number } }
  | { type: 'objective'; objective: ObjectiveView }
  | { type: 'collected'; objective_id: string; object_id: string; user_id: string }
  | {
      type: 'answered'
      objective_id: string
      user_id: string
      correct: boolean
      attempts_left: number
    }
  | { type: 'score'; user_id: string; score: number }
  | {
      type: 'completed'
      completed_at_ms: number
      time_taken_seconds: number
      scores: { user_id: string; score: number }[]
      verification_hash: string
    }

/** First server frame after `hello` (and the answer to a `hello` the ring cannot resume). */
export interface QuestWelcomeMessage {
  type: 'welcome'
  seq: number
  role: 'participant' | 'spectator'
  session: unknown
}

/** All events of one tick. */
export interface QuestBatchMessage {
  type: 'batch'
  seq: number
  events: QuestEvent[]
}

/** A refused frame; nothing changed. */
export interface QuestErrorMessage {
  type: 'error'
  code: QuestErrorCode
  message: string
  /** The claim's `ref`, when it had one. */
  ref?: string
  /** With `implausible_move`: where the player stays. */
  position?: { x: number; y: number; z: number }
}

/** Answer to `ping`. */
export interface QuestPongMessage {
  type: 'pong'
  server_time_ms: number
}

/** Every frame the session sends. */
export type QuestServerMessage =
  QuestWelcomeMessage | QuestBatchMessage | QuestErrorMessage | QuestPongMessage
