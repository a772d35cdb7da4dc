/**
 * Typed read models of the views and materialized views defined in hand-written migrations
 * (`0001_akashic_progression`, `0002_deities_attributes`, `0003_challenge_leaderboards`,
 * `0004_asset_licensing`). Declared `.existing()`: drizzle-kit never generates SQL for them.
 */
import {
  bigint,
  boolean,
  integer,
  jsonb,
  pgMaterializedView,
  pgView,
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
