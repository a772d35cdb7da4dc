/**
 * The QuestSession's contract with the Worker (its gateway,
 * `functions/quest-sessions/session-gateway.ts`): the WebSocket upgrade request, and the arguments
 * and results of its RPC methods. snake_case keys, like every other boundary of the API.
 */
import { z } from 'zod'
import type { EndReason, ObjectiveView, ParticipantView, SessionStatus } from './protocol'
import type { QuestData, QuestRewards } from './quest-data'

/** The upgrade request's header carrying `SessionConnection` as JSON. */
export const SESSION_CONNECTION_HEADER = 'X-Nexus-Connection'

/**
 * Who connects, as the Worker authenticated them. The session decides from its own participants
 * whether they play or only watch.
 */
export const sessionConnectionSchema = z.strictObject({
  session_id: z.uuid(),
  user_id: z.uuid(),
  username: z.string().min(1).max(64),
})

/** A connection request. */
export type SessionConnection = z.infer<typeof sessionConnectionSchema>

/** The session types of the seed (`quest_instances.session_type`). */
export const SESSION_TYPES = ['standard', 'ranked', 'practice', 'speedrun'] as const
/** A session type. */
export type SessionType = (typeof SESSION_TYPES)[number]

/** Everything a session runs on, fixed when it is opened (later quest edits do not reach it). */
export interface SessionDefinition {
  session_id: string
  quest_id: string
  quest_title: string
  quest_version: number
  /** The holodeck the session runs in; null: the session tracks positions itself. */
  instance_id: string | null
  session_type: SessionType
  /** Completions count on leaderboards (`is_ranked_attempt`). */
  is_ranked: boolean
  host: { user_id: string; username: string }
  /** With the answer keys: only the session reads them. */
  quest_data: QuestData
  rewards: QuestRewards
  time_limit_seconds: number | null
  min_participants: number
  max_participants: number
}

/** Who asks for a lifecycle change, as the Worker authenticated them. */
export interface SessionActor {
  user_id: string
  username: string
  /** A platform moderator or admin (may end any session). */
  staff: boolean
}

/** What one participant earned, fixed when the session completes. */
export interface ParticipantResult {
  user_id: string
  score: number
  mistakes_made: number
  perfect_completion: boolean
}

/** The completion, decided once by the session and written once to Postgres. */
export interface CompletionRecord {
  completed_at_ms: number
  time_taken_seconds: number
  max_possible_score: number
  verification_hash: string
  event_count: number
  results: ParticipantResult[]
}

/** The live session as the API answers it. */
export interface SessionView {
  id: string
  quest_id: string
  quest_title: string
  instance_id: string | null
  session_type: SessionType
  is_ranked: boolean
  status: SessionStatus
  end_reason: EndReason | null
  host_user_id: string
  min_participants: number
  max_participants: number
  participants: ParticipantView[]
  objectives: ObjectiveView[]
  created_at: string | null
  started_at: string | null
  paused_at: string | null
  resumed_at: string | null
  completed_at: string | null
  ended_at: string | null
  total_pause_duration_seconds: number
  elapsed_seconds: number
  time_limit_seconds: number | null
  time_remaining_seconds: number | null
  is_abandoned: boolean
  completion: {
    time_taken_seconds: number
    max_possible_score: number
    verification_hash: string
    scores: { user_id: string; score: number; perfect_completion: boolean }[]
  } | null
}
