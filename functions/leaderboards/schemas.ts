/** Leaderboard requests and resources (snake_case, as the seed's columns). */
import { z } from '@hono/zod-openapi'
import { ATTRIBUTE_NAMES } from '../../db/schema/nexus'
import { idSchema } from '../lib/ids'
import { cursorParam, pageQuery, pageSchema, TimestampIdCursorSchema } from '../lib/pagination'
import { isPeriodStart, PERIODS } from './periods'

/** Rows of a top-N page: default and maximum. */
export const DEFAULT_TOP_LIMIT = 50
export const MAX_TOP_LIMIT = 100
/** Rows above and below the caller with `around=me`: default and maximum. */
export const DEFAULT_AROUND_LIMIT = 10
export const MAX_AROUND_LIMIT = 50

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/

/** `?period_start=`: a UTC date (`2026-03-02`) or instant (`2026-03-02T00:00:00Z`). */
const PeriodStartSchema = z
  .string()
  .max(32)
  .transform((text, ctx) => {
    const ms = DATE_ONLY.test(text) || DATE_TIME.test(text) ? Date.parse(text) : NaN
    // The calendar fields must survive a round trip (no February 31st).
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text.slice(0, 10)) {
      ctx.addIssue({ code: 'custom', message: 'period_start must be a UTC date or instant' })
      return z.NEVER
    }
    return new Date(ms)
  })
  .openapi({
    type: 'string',
    description: 'Start of a past or current period (UTC): a Monday for weekly, a day for daily',
    example: '2026-03-02',
  })

/** `?limit=` of a board: rows of a page, or rows above and below with `around=me`. */
const BoardLimitSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_TOP_LIMIT)
  .optional()
  .openapi({
    description: `Rows of a page (default ${DEFAULT_TOP_LIMIT}, at most ${MAX_TOP_LIMIT}); with around=me, rows above and below you (default ${DEFAULT_AROUND_LIMIT}, at most ${MAX_AROUND_LIMIT})`,
  })

const AroundSchema = z.literal('me').optional().openapi({
  description: 'Your own entry with the rows above and below it, instead of a page',
})

/** Refuses `around=me` with a cursor or too many rows around. */
function refineAround(
  query: { around?: 'me'; cursor?: unknown; limit?: number },
  ctx: z.RefinementCtx,
) {
  if (query.around && query.cursor !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['cursor'], message: 'cursor cannot be used with around' })
  }
  if (query.around && query.limit !== undefined && query.limit > MAX_AROUND_LIMIT) {
    ctx.addIssue({
      code: 'custom',
      path: ['limit'],
      message: `with around=me, limit is at most ${MAX_AROUND_LIMIT}`,
    })
  }
}

/** Position of a quest board row (its sort key), carried by cursors. */
const int32 = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1)
export const QuestBoardCursorSchema = z.object({
  s: int32,
  t: int32,
  c: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  u: z.uuid(),
})
export type QuestBoardCursor = z.infer<typeof QuestBoardCursorSchema>

/** Which board of a quest: the period and, for a closed one, its start. */
const QuestPeriodSchema = z.object({
  period: z.enum(PERIODS).default('all_time'),
  period_start: PeriodStartSchema.optional(),
})

/** Refuses a period_start on all_time, one that is not a period's start, or one in the future. */
function refinePeriodStart(
  query: { period: (typeof PERIODS)[number]; period_start?: Date },
  ctx: z.RefinementCtx,
) {
  const start = query.period_start
  if (start === undefined) return
  if (query.period === 'all_time') {
    ctx.addIssue({
      code: 'custom',
      path: ['period_start'],
      message: 'the all_time board has no period_start',
    })
  } else if (!isPeriodStart(query.period, start)) {
    ctx.addIssue({
      code: 'custom',
      path: ['period_start'],
      message:
        query.period === 'weekly'
          ? 'weekly periods start on Mondays at 00:00 UTC'
          : 'daily periods start at 00:00 UTC',
    })
  } else if (start.getTime() > Date.now()) {
    ctx.addIssue({ code: 'custom', path: ['period_start'], message: 'that period has not begun' })
  }
}

/** `GET /v1/quests/:id/leaderboard` query. */
export const QuestBoardQuerySchema = QuestPeriodSchema.extend({
  limit: BoardLimitSchema,
  cursor: cursorParam(QuestBoardCursorSchema),
  around: AroundSchema,
}).superRefine((query, ctx) => {
  refinePeriodStart(query, ctx)
  refineAround(query, ctx)
})

/** `GET /v1/users/:id/rank` query: a quest's board, or every global board without `quest_id`. */
export const UserRankQuerySchema = QuestPeriodSchema.extend({
  quest_id: idSchema('quest_id').optional(),
}).superRefine((query, ctx) => {
  refinePeriodStart(query, ctx)
  if (query.quest_id === undefined && query.period_start !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['period_start'],
      message: 'period_start needs a quest_id',
    })
  }
})

export const QuestIdParamSchema = z.object({ id: idSchema('id') })
export const UserIdParamSchema = z.object({ id: idSchema('id') })

const PlayerFields = {
  user_id: z.uuid(),
  username: z.string(),
  display_name: z.string().nullable(),
  avatar_url: z.string().nullable(),
}

/** One row of a quest board: a player's best completion in the period. */
export const QuestBoardEntrySchema = z
  .object({
    rank: z.number().int(),
    ...PlayerFields,
    score: z.number().int(),
    time_taken_seconds: z.number().int(),
    completed_at: z.string(),
    completion_id: z.uuid(),
  })
  .openapi('QuestLeaderboardEntry')

const BoardPeriodFields = {
  period: z.enum(PERIODS),
  period_start: z.string().nullable(),
  period_end: z.string().nullable(),
}

/** A page of a quest board, or the rows around the caller (`me`) with `around=me`. */
export const QuestBoardSchema = z
  .object({
    quest_id: z.uuid(),
    ...BoardPeriodFields,
    items: z.array(QuestBoardEntrySchema),
    next_cursor: z.string().nullable(),
    me: QuestBoardEntrySchema.nullable()
      .optional()
      .openapi({ description: 'With around=me: your entry, or null when you have none' }),
  })
  .openapi('QuestLeaderboard')

/** A user's rank on one quest board. */
export const QuestRankSchema = z
  .object({
    user_id: z.uuid(),
    quest_id: z.uuid(),
    ...BoardPeriodFields,
    rank: z.number().int().nullable(),
    entry: QuestBoardEntrySchema.nullable(),
  })
  .openapi('QuestRank')

/** The global boards: akashic (resonance, total essence) and the 12 attributes with their total. */
export const GLOBAL_BOARDS = [
  'akashic_resonance',
  'akashic_total_essence',
  'attr_strength',
  'attr_agility',
  'attr_endurance',
  'attr_magic',
  'attr_wisdom',
  'attr_cunning',
  'attr_leadership',
  'attr_faith',
  'attr_charisma',
  'attr_creativity',
  'attr_artistry',
  'attr_innovation',
  'attr_total',
] as const
export type GlobalBoard = (typeof GLOBAL_BOARDS)[number]

/** A user's rank on every global board (rank null: not on that board). */
export const GlobalRanksSchema = z
  .object({
    user_id: z.uuid(),
    boards: z.record(
      z.enum(GLOBAL_BOARDS),
      z.object({ rank: z.number().int().nullable(), value: z.number().int().nullable() }),
    ),
  })
  .openapi('GlobalRanks')

/** Position of a global board row, carried by cursors. */
export const GlobalBoardCursorSchema = z.object({
  v: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  u: z.uuid(),
})
export type GlobalBoardCursor = z.infer<typeof GlobalBoardCursorSchema>

const GlobalBoardQueryFields = {
  limit: BoardLimitSchema,
  cursor: cursorParam(GlobalBoardCursorSchema),
  around: AroundSchema,
}

/** `GET /v1/leaderboards/akashic` query. */
export const AkashicBoardQuerySchema = z
  .object({
    by: z.enum(['resonance', 'total_essence']).default('resonance').openapi({
      description:
        'resonance (the essence that decides rank and tier, as the seed ranks) or the total of the four essences',
    }),
    ...GlobalBoardQueryFields,
  })
  .superRefine(refineAround)

/** `GET /v1/leaderboards/attributes/:attribute` query. */
export const AttributeBoardQuerySchema = z.object(GlobalBoardQueryFields).superRefine(refineAround)

/** The attribute of an attribute board (`total`: the sum of the 12). */
export const AttributeParamSchema = z.object({ attribute: z.enum([...ATTRIBUTE_NAMES, 'total']) })

/** One row of a global board. Ties share a rank. */
export const GlobalBoardEntrySchema = z
  .object({
    rank: z.number().int(),
    ...PlayerFields,
    value: z.number().int(),
    akashic_rank: z.number().int(),
    akashic_rank_title: z.string(),
  })
  .openapi('GlobalLeaderboardEntry')

/** A page of a global board, or the rows around the caller. */
export const GlobalBoardSchema = z
  .object({
    board: z.enum(GLOBAL_BOARDS),
    items: z.array(GlobalBoardEntrySchema),
    next_cursor: z.string().nullable(),
    me: GlobalBoardEntrySchema.nullable().optional().openapi({
      description: 'With around=me: your entry, or null when you are not on the board',
    }),
  })
  .openapi('GlobalLeaderboard')

/** `GET /v1/users/:id/personal-bests` query: newest first, by (completed_at, quest_id). */
export const PersonalBestsQuerySchema = pageQuery(TimestampIdCursorSchema)

/** A user's best verified, ranked completion of a quest, with its current all-time rank. */
export const PersonalBestSchema = z
  .object({
    quest_id: z.uuid(),
    quest_title: z.string(),
    rank: z.number().int(),
    score: z.number().int(),
    time_taken_seconds: z.number().int(),
    completed_at: z.string(),
    completion_id: z.uuid(),
  })
  .openapi('PersonalBest')

export const PersonalBestsSchema = pageSchema(PersonalBestSchema).openapi('PersonalBests')
