/**
 * What a QuestSession shows: the session as the API and its clients see it (`sessionView`) and the
 * snapshot its Postgres sync writes (`syncSnapshot`, in the seed's shapes of `quest_instances.state`
 * and `quest_progress`). Pure functions of what the session read from storage.
 */
import { isoTimestamp } from '../../functions/lib/time'
import {
  completionPercentage,
  maxPossibleScore,
  objectiveView,
  scoresByUser,
  type ObjectiveLedger,
} from './objectives'
import type { Objective } from './quest-data'
import type { CompletionRecord, SessionDefinition, SessionView } from './rpc'
import type { ParticipantRow } from './schema'
import type { ProgressSnapshot, QuestSyncSnapshot } from './sync'
import { elapsedMs, wholeSeconds, type SessionState } from './timing'

/** A session as read from its storage at one moment. */
export interface SessionSource {
  definition: SessionDefinition
  state: SessionState
  /** Everyone who joined, earliest first (those who left too). */
  participants: ParticipantRow[]
  ledger: ObjectiveLedger
  completion: CompletionRecord | null
  /** Users with an open socket. */
  connected: Set<string>
  nowMs: number
}

/** The session as the API answers it and `welcome` carries it (no answer keys). */
export function sessionView(source: SessionSource): SessionView {
  const { definition, state, ledger, completion, nowMs } = source
  const scores = scoresByUser(ledger)
  const elapsed = elapsedMs(state, nowMs)
  const limit = definition.time_limit_seconds
  return {
    id: definition.session_id,
    quest_id: definition.quest_id,
    quest_title: definition.quest_title,
    instance_id: definition.instance_id,
    session_type: definition.session_type,
    is_ranked: definition.is_ranked,
    status: state.status,
    end_reason: state.end_reason,
    host_user_id: state.host_user_id,
    min_participants: definition.min_participants,
    max_participants: definition.max_participants,
    participants: source.participants.map((p) => ({
      user_id: p.user_id,
      username: p.username,
      joined_at_ms: p.joined_at_ms,
      left_at_ms: p.left_at_ms,
      connected: source.connected.has(p.user_id),
      score: scores.get(p.user_id) ?? 0,
      mistakes: p.mistakes,
    })),
    objectives: definition.quest_data.objectives.map((o) => objectiveView(o, ledger)),
    created_at: isoTimestamp(state.created_at_ms),
    started_at: isoTimestamp(state.started_at_ms),
    paused_at: isoTimestamp(state.paused_at_ms),
    resumed_at: isoTimestamp(state.resumed_at_ms),
    completed_at: isoTimestamp(completion?.completed_at_ms ?? null),
    ended_at: isoTimestamp(state.ended_at_ms),
    total_pause_duration_seconds: wholeSeconds(pausedMs(state, nowMs)),
    elapsed_seconds: wholeSeconds(elapsed),
    time_limit_seconds: limit,
    time_remaining_seconds:
      limit === null || state.started_at_ms === null
        ? null
        : Math.max(0, limit - wholeSeconds(elapsed)),
    is_abandoned: state.is_abandoned,
    completion: completion && {
      time_taken_seconds: completion.time_taken_seconds,
      max_possible_score: completion.max_possible_score,
      verification_hash: completion.verification_hash,
      scores: completion.results.map((r) => ({
        user_id: r.user_id,
        score: r.score,
        perfect_completion: r.perfect_completion,
      })),
    },
  }
}

/** Paused time so far, the current pause included. */
function pausedMs(state: SessionState, nowMs: number): number {
  const end = state.ended_at_ms ?? nowMs
  return (
    state.total_pause_ms +
    (state.status === 'paused' && state.paused_at_ms !== null ? end - state.paused_at_ms : 0)
  )
}

/** What the sync writes for the session at `version` (see sync.ts). */
export function syncSnapshot(source: SessionSource, version: number): QuestSyncSnapshot {
  const { definition, state, ledger, completion, participants } = source
  return {
    version,
    session_id: definition.session_id,
    quest_id: definition.quest_id,
    quest_title: definition.quest_title,
    host_user_id: state.host_user_id,
    participants: participants.filter((p) => p.left_at_ms === null).map((p) => p.user_id),
    status: state.status,
    state: seedState(source),
    started_at_ms: state.started_at_ms,
    paused_at_ms: state.paused_at_ms,
    resumed_at_ms: state.resumed_at_ms,
    ended_at_ms: state.ended_at_ms,
    total_pause_duration_seconds: wholeSeconds(state.total_pause_ms),
    last_activity_ms: Math.max(
      state.created_at_ms,
      state.started_at_ms ?? 0,
      state.ended_at_ms ?? 0,
      ...ledger.credits.map((c) => c.at_ms),
    ),
    is_abandoned: state.is_abandoned,
    plays_at_start: state.plays_at_start,
    progress: progressOf(source),
    completion: completion && {
      record: completion,
      is_ranked: definition.is_ranked,
      rewards: definition.rewards,
      session_type: definition.session_type,
    },
  }
}

/** Each participant's `quest_progress` row (db/README decision 46). */
function progressOf(source: SessionSource): ProgressSnapshot[] {
  const { definition, state, ledger, completion } = source
  const data = definition.quest_data
  const scores = scoresByUser(ledger)
  const results = new Map(completion?.results.map((r) => [r.user_id, r]) ?? [])
  const percentage = completionPercentage(data, ledger)
  const objectiveOf = new Map(data.objectives.map((o) => [o.id, o]))
  return source.participants.map((p): ProgressSnapshot => {
    const mine = ledger.credits.filter((c) => c.user_id === p.user_id)
    const ofType = (type: Objective['type']) =>
      mine.filter((c) => objectiveOf.get(c.objective_id)?.type === type)
    const result = results.get(p.user_id)
    return {
      user_id: p.user_id,
      tokens_collected: ofType('collect_items').map((c) => c.object_id),
      puzzles_solved: ofType('answer').map((c) => c.objective_id),
      npcs_interacted: ofType('interact').map((c) => {
        const objective = objectiveOf.get(c.objective_id)
        return objective?.type === 'interact' ? objective.target_id : c.objective_id
      }),
      score: scores.get(p.user_id) ?? 0,
      max_possible_score: maxPossibleScore(data),
      time_taken_seconds: result ? completion!.time_taken_seconds : null,
      mistakes_made: p.mistakes,
      perfect_completion: result?.perfect_completion ?? false,
      challenge_specific_data: {
        objectives_credited: [...new Set(mine.map((c) => c.objective_id))],
        locations_reached: ofType('reach_location').map((c) => c.objective_id),
        wrong_answers: p.mistakes,
        left: p.left_at_ms !== null,
      },
      completion_percentage: percentage,
      current_checkpoint: mine.at(-1)?.objective_id.slice(0, 50) ?? null,
      started_at_ms: state.started_at_ms ?? p.joined_at_ms,
      last_update_ms: Math.max(p.joined_at_ms, p.left_at_ms ?? 0, ...mine.map((c) => c.at_ms)),
      completed_at_ms: result ? completion!.completed_at_ms : null,
    }
  })
}

/** `quest_instances.state` in the seed's shape (never an answer key). */
function seedState(source: SessionSource): Record<string, unknown> {
  const { definition, state, ledger, participants } = source
  return {
    status: state.status,
    end_reason: state.end_reason,
    quest_version: definition.quest_version,
    objectives: Object.fromEntries(
      definition.quest_data.objectives.map((o) => {
        const view = objectiveView(o, ledger)
        return [
          o.id,
          {
            status: view.status,
            progress: view.progress,
            target: view.target,
            completed_by: view.completed_by,
            completed_at: view.completed_at_ms,
          },
        ]
      }),
    ),
    team_data: {
      leader: state.host_user_id,
      size: participants.filter((p) => p.left_at_ms === null).length,
    },
    participants: participants.map((p) => ({
      user_id: p.user_id,
      joined_at: p.joined_at_ms,
      left_at: p.left_at_ms,
    })),
  }
}
