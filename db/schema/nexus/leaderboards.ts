/**
 * Typed read models of the views and materialized views defined in hand-written migrations
 * (`0001_akashic_progression`, `0002_deities_attributes`, `0003_challenge_leaderboards`,
 * `0004_asset_licensing`). Declared `.existing()`: drizzle-kit never generates SQL for them.
 *
 * The leaderboards the API serves (`0020_quest_leaderboards`, `0021_global_leaderboards`) are
 * tables kept by triggers in the writing transaction: `questLeaderboardEntries`,
 * `globalLeaderboardEntries` and `leaderboardBucketCounts`.
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgMaterializedView,
  pgTable,
  pgView,
  primaryKey,
  text,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'

const rank = (name: string) => bigint(name, { mode: 'number' })

/** Per-quest leaderboards (all time, weekly, daily in UTC) of verified ranked completions. */
export const challengeLeaderboards = pgMaterializedView('challenge_leaderboards', {
  completionId: uuid('completion_id').notNull(),
  questId: uuid('quest_id').notNull(),
  userId: uuid('user_id').notNull(),
  username: text('username').notNull(),
  displayName: varchar('display_name', { length: 100 }),
  score: integer('score').notNull(),
  timeTakenSeconds: integer('time_taken_seconds').notNull(),
  completedAt: timestamptz('completed_at').notNull(),
  perfectCompletion: boolean('perfect_completion'),
  gameSpecificStats: jsonb('game_specific_stats'),
  weekStart: timestamptz('week_start').notNull(),
  dayStart: timestamptz('day_start').notNull(),
  globalRank: rank('global_rank').notNull(),
  weeklyRank: rank('weekly_rank').notNull(),
  dailyRank: rank('daily_rank').notNull(),
}).existing()

/** The 12 attributes of every user with a rank per attribute, the total and the overall rank. */
export const attributeLeaderboards = pgMaterializedView('attribute_leaderboards', {
  id: uuid('id').notNull(),
  username: text('username').notNull(),
  displayName: varchar('display_name', { length: 100 }),
  avatarUrl: text('avatar_url'),
  akashicRank: integer('akashic_rank').notNull(),
  attrStrength: integer('attr_strength').notNull(),
  attrAgility: integer('attr_agility').notNull(),
  attrEndurance: integer('attr_endurance').notNull(),
  attrMagic: integer('attr_magic').notNull(),
  attrWisdom: integer('attr_wisdom').notNull(),
  attrCunning: integer('attr_cunning').notNull(),
  attrLeadership: integer('attr_leadership').notNull(),
  attrFaith: integer('attr_faith').notNull(),
  attrCharisma: integer('attr_charisma').notNull(),
  attrCreativity: integer('attr_creativity').notNull(),
  attrArtistry: integer('attr_artistry').notNull(),
  attrInnovation: integer('attr_innovation').notNull(),
  strengthRank: rank('strength_rank').notNull(),
  agilityRank: rank('agility_rank').notNull(),
  enduranceRank: rank('endurance_rank').notNull(),
  magicRank: rank('magic_rank').notNull(),
  wisdomRank: rank('wisdom_rank').notNull(),
  cunningRank: rank('cunning_rank').notNull(),
  leadershipRank: rank('leadership_rank').notNull(),
  faithRank: rank('faith_rank').notNull(),
  charismaRank: rank('charisma_rank').notNull(),
  creativityRank: rank('creativity_rank').notNull(),
  artistryRank: rank('artistry_rank').notNull(),
  innovationRank: rank('innovation_rank').notNull(),
  totalAttributes: integer('total_attributes').notNull(),
  overallRank: rank('overall_rank').notNull(),
}).existing()

/** Real-time akashic rankings of users with resonance. */
export const akashicLeaderboard = pgView('akashic_leaderboard', {
  id: uuid('id').notNull(),
  username: text('username').notNull(),
  displayName: varchar('display_name', { length: 100 }),
  avatarUrl: text('avatar_url'),
  akashicRank: integer('akashic_rank').notNull(),
  akashicRankTitle: varchar('akashic_rank_title', { length: 50 }).notNull(),
  akashicResonance: integer('akashic_resonance').notNull(),
  akashicWisdom: integer('akashic_wisdom').notNull(),
  akashicCreativity: integer('akashic_creativity').notNull(),
  akashicConnection: integer('akashic_connection').notNull(),
  strengthDiscovery: integer('strength_discovery'),
  strengthInterpretation: integer('strength_interpretation'),
  strengthInfluence: integer('strength_influence'),
  totalQuestsCompleted: integer('total_quests_completed'),
  totalObjectsDonated: integer('total_objects_donated'),
  globalRank: rank('global_rank').notNull(),
}).existing()

/** Placements per asset (never-placed assets with 0). */
export const popularAssets = pgView('popular_assets', {
  assetName: text('asset_name').notNull(),
  displayName: text('display_name'),
  category: varchar('category', { length: 50 }).notNull(),
  usageCount: rank('usage_count').notNull(),
  uniqueUsers: rank('unique_users').notNull(),
}).existing()

/** A challenge leaderboard row. */
export type ChallengeLeaderboardEntry = typeof challengeLeaderboards.$inferSelect
/** An attribute leaderboard row. */
export type AttributeLeaderboardEntry = typeof attributeLeaderboards.$inferSelect
/** An akashic leaderboard row. */
export type AkashicLeaderboardEntry = typeof akashicLeaderboard.$inferSelect
/** A popular asset row. */
export type PopularAsset = typeof popularAssets.$inferSelect

/**
 * Per-quest boards: each user's best verified, ranked completion per (quest, period, period
 * start); `period_start` is '-infinity' for all_time. Written by the completion triggers of 0020.
 * `neg_time_taken` / `neg_completed_us` are the ascending keys negated, so "better" is one row
 * comparison: (score, neg_time_taken, neg_completed_us, user_id) greater.
 */
export const questLeaderboardEntries = pgTable(
  'quest_leaderboard_entries',
  {
    questId: uuid('quest_id').notNull(),
    period: varchar('period', { length: 8 }).notNull(),
    periodStart: timestamptz('period_start').notNull(),
    userId: uuid('user_id').notNull(),
    completionId: uuid('completion_id').notNull(),
    score: integer('score').notNull(),
    timeTakenSeconds: integer('time_taken_seconds').notNull(),
    completedAt: timestamptz('completed_at').notNull(),
    negTimeTaken: integer('neg_time_taken').notNull(),
    negCompletedUs: bigint('neg_completed_us', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.questId, t.period, t.periodStart, t.userId] }),
    check(
      'quest_leaderboard_entries_period_check',
      sql`${t.period} IN ('all_time', 'weekly', 'daily')`,
    ),
    // 0026 adds INCLUDE (completion_id, completed_at) (drizzle cannot declare it): board reads
    // are index-only.
    index('idx_quest_leaderboard_order').on(
      t.questId,
      t.period,
      t.periodStart,
      t.score,
      t.negTimeTaken,
      t.negCompletedUs,
      t.userId,
    ),
    index('idx_quest_leaderboard_user').on(
      t.userId,
      t.period,
      t.completedAt.desc().nullsFirst(),
      t.questId.desc().nullsFirst(),
    ),
  ],
)

/** Global boards over users: one row per (board, user) with the user's value (0021). */
export const globalLeaderboardEntries = pgTable(
  'global_leaderboard_entries',
  {
    board: varchar('board', { length: 32 }).notNull(),
    userId: uuid('user_id').notNull(),
    value: bigint('value', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.board, t.userId] }),
    index('idx_global_leaderboard_order').on(t.board, t.value, t.userId),
  ],
)

/** Entries per value bucket of a global board, as insert-only +1/-1 deltas (0021). */
export const leaderboardBucketCounts = pgTable(
  'leaderboard_bucket_counts',
  {
    board: varchar('board', { length: 32 }).notNull(),
    bucket: bigint('bucket', { mode: 'number' }).notNull(),
    entries: integer('entries').notNull(),
  },
  (t) => [index('idx_leaderboard_bucket_counts').on(t.board, t.bucket)],
)

/** A per-quest leaderboard entry. */
export type QuestLeaderboardEntry = typeof questLeaderboardEntries.$inferSelect
/** A global leaderboard entry. */
export type GlobalLeaderboardEntry = typeof globalLeaderboardEntries.$inferSelect
