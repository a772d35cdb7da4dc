/**
 * Quest session representations: the live session as its QuestSession object answers it
 * (`SessionView` in durable-objects/quest-session/rpc.ts), and the caller's sessions from Postgres.
 */
import { z } from '@hono/zod-openapi'
import { SESSION_STATUSES } from '../../durable-objects/quest-session/protocol'
import { SESSION_TYPES } from '../../durable-objects/quest-session/rpc'
import { idSchema } from '../lib/ids'
import { TimestampIdPageQuerySchema } from '../lib/pagination'

const timestamp = z.string().nullable().openapi({ format: 'date-time' })

export const SessionParticipantSchema = z
  .object({
    user_id: z.uuid(),
    username: z.string(),
    joined_at_ms: z.number().int(),
    left_at_ms: z.number().int().nullable(),
    connected: z.boolean(),
    score: z.number().int(),
    mistakes: z.number().int(),
  })
  .openapi('SessionParticipant')

export const SessionObjectiveSchema = z
  .object({
    id: z.string(),
    type: z.enum(['reach_location', 'collect_items', 'interact', 'answer']),
    status: z.enum(['locked', 'open', 'completed', 'failed']),
    required: z.boolean(),
    points: z.number().int(),
    progress: z.number().int(),
    target: z.number().int(),
    completed_by: z.uuid().nullable(),
    completed_at_ms: z.number().int().nullable(),
  })
  .catchall(z.unknown())
  .openapi('SessionObjective', {
    description:
      "An objective with its live state and its type's public fields (a quiz's answer key is never included)",
  })

/** The live session. */
export const SessionSchema = z
  .object({
    id: z.uuid(),
    quest_id: z.uuid(),
    quest_title: z.string(),
    instance_id: z.uuid().nullable().openapi({
      description:
        'The holodeck the session runs in (positions come from its room); null: `move` frames',
    }),
    session_type: z.enum(SESSION_TYPES),
    is_ranked: z.boolean(),
    status: z.enum(SESSION_STATUSES),
    end_reason: z
      .enum(['time_limit', 'objective_failed', 'abandoned_by_host', 'all_disconnected', 'all_left'])
      .nullable(),
    host_user_id: z.uuid(),
    min_participants: z.number().int(),
    max_participants: z.number().int(),
    participants: z.array(SessionParticipantSchema),
    objectives: z.array(SessionObjectiveSchema),
    created_at: timestamp,
    started_at: timestamp,
    paused_at: timestamp,
    resumed_at: timestamp,
    completed_at: timestamp,
    ended_at: timestamp,
    total_pause_duration_seconds: z.number().int(),
    elapsed_seconds: z.number().int().openapi({ description: 'Quest time, pauses excluded' }),
    time_limit_seconds: z.number().int().nullable(),
    time_remaining_seconds: z.number().int().nullable(),
    is_abandoned: z.boolean(),
    completion: z
      .object({
        time_taken_seconds: z.number().int(),
        max_possible_score: z.number().int(),
        verification_hash: z.string(),
        scores: z.array(
          z.object({ user_id: z.uuid(), score: z.number().int(), perfect_completion: z.boolean() }),
        ),
      })
      .nullable(),
  })
  .openapi('QuestSession')

/** One of the caller's sessions, as Postgres holds it. */
export const SessionSummarySchema = z
  .object({
    id: z.uuid(),
    quest_id: z.uuid().nullable(),
    instance_id: z.uuid().nullable(),
    host_user_id: z.uuid().nullable(),
    participants: z.array(z.uuid()),
    session_type: z.string(),
    status: z.enum(SESSION_STATUSES),
    started_at: timestamp,
    completed_at: timestamp,
    ended_at: timestamp,
    total_pause_duration_seconds: z.number().int(),
    is_abandoned: z.boolean(),
    created_at: timestamp,
    last_sync_at: timestamp,
  })
  .openapi('QuestSessionSummary')

export const SessionIdParamSchema = z.object({ id: idSchema('id') })

/** The caller's sessions, newest first by (created_at, id). */
export const ListSessionsQuerySchema = TimestampIdPageQuerySchema.extend({
  status: z.enum(SESSION_STATUSES).optional(),
})
