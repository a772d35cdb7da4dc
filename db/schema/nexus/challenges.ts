/**
 * Challenges: permanent completion records (leaderboard source), user-uploaded media used in
 * challenges, and reusable challenge templates.
 */
import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  unique,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { questInstances, quests } from './quests'
import { users } from './users'

/** One row per finished challenge, written once; ranks and flags are set by triggers. */
export const challengeCompletions = pgTable(
  'challenge_completions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    questId: uuid('quest_id').references(() => quests.id),
    userId: uuid('user_id').references(() => users.id),
    questInstanceId: uuid('quest_instance_id').references(() => questInstances.id),
    completedAt: timestamptz('completed_at').notNull().defaultNow(),
    score: integer('score').notNull(),
    timeTakenSeconds: integer('time_taken_seconds').notNull(),
    perfectCompletion: boolean('perfect_completion').default(false),
    mistakesMade: integer('mistakes_made').default(0),
    hintsUsed: integer('hints_used').default(0),
    gameSpecificStats: jsonb('game_specific_stats').default({}),
    // Set by trigger_rank_at_completion / trigger_mark_high_scores.
    rankAtCompletion: integer('rank_at_completion'),
    isHighScore: boolean('is_high_score').notNull().default(false),
    isPersonalBest: boolean('is_personal_best').notNull().default(false),
    isRankedAttempt: boolean('is_ranked_attempt').notNull().default(true),
    attemptNumber: integer('attempt_number').default(1),
    sharedPublicly: boolean('shared_publicly').default(false),
    screenshotUrl: text('screenshot_url'),
    completionVerified: boolean('completion_verified').notNull().default(false),
    verificationHash: text('verification_hash'),
    attributesAtCompletion: jsonb('attributes_at_completion').default({}),
    attributeRewardsAwarded: jsonb('attribute_rewards_awarded').default({}),
    akashicEssenceAwarded: jsonb('akashic_essence_awarded').default({}),
  },
  (t) => [
    unique('challenge_completions_quest_id_user_id_completed_at_unique').on(
      t.questId,
      t.userId,
      t.completedAt,
    ),
    // One completion per participant of a session (the last fence of "written once").
    uniqueIndex('challenge_completions_session_user_key')
      .on(t.questInstanceId, t.userId)
      .where(sql`quest_instance_id IS NOT NULL`),
    index('idx_completions_quest_score').on(
      t.questId,
      t.score.desc().nullsFirst(),
      t.timeTakenSeconds.asc(),
    ),
    index('idx_completions_user').on(t.userId, t.completedAt.desc().nullsFirst()),
    index('idx_completions_highscore')
      .on(t.isHighScore)
      .where(sql`is_high_score = TRUE`),
    index('idx_completions_personal_best')
      .on(t.userId, t.questId, t.isPersonalBest)
      .where(sql`is_personal_best = TRUE`),
  ],
)

/** Images, audio, video and SVG uploaded by users for challenges (5 MB max). */
export const userUploadedMedia = pgTable(
  'user_uploaded_media',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    mediaType: varchar('media_type', { length: 20 }).notNull(),
    filePath: text('file_path').notNull(),
    fileSizeBytes: integer('file_size_bytes').notNull(),
    mimeType: varchar('mime_type', { length: 50 }).notNull(),
    originalFilename: text('original_filename'),
    width: integer('width'),
    height: integer('height'),
    thumbnailPath: text('thumbnail_path'),
    thumbnailSmallPath: text('thumbnail_small_path'),
    durationSeconds: integer('duration_seconds'),
    svgRegionsCount: integer('svg_regions_count'),
    svgRegionMapping: jsonb('svg_region_mapping'),
    usedInQuests: uuid('used_in_quests').array(),
    usageContext: varchar('usage_context', { length: 50 }),
    contentRating: varchar('content_rating', { length: 2 }).default('PG'),
    moderationStatus: varchar('moderation_status', { length: 20 }).default('pending'),
    aiDetectedTags: text('ai_detected_tags').array(),
    aiConfidenceScores: jsonb('ai_confidence_scores'),
    humanReviewed: boolean('human_reviewed').default(false),
    reviewedBy: uuid('reviewed_by').references(() => users.id),
    reviewedAt: timestamptz('reviewed_at'),
    uploadMetadata: jsonb('upload_metadata').default({}),
    uploadedAt: timestamptz('uploaded_at').defaultNow(),
    lastUsed: timestamptz('last_used'),
    viewCount: integer('view_count').default(0),
    isArchived: boolean('is_archived').default(false),
  },
  (t) => [
    check(
      'user_uploaded_media_media_type_check',
      sql`${t.mediaType} IN ('image', 'audio', 'video', 'svg')`,
    ),
    // 5 MB as the seed writes it: 5,000,000 bytes.
    check('user_uploaded_media_file_size_bytes_check', sql`${t.fileSizeBytes} <= 5000000`),
    index('idx_media_user').on(t.userId),
    index('idx_media_type').on(t.mediaType),
    index('idx_media_status').on(t.moderationStatus),
    index('idx_media_quests').using('gin', t.usedInQuests),
  ],
)

/** Reusable quest patterns that AI or people instantiate into quests. */
export const challengeTemplates = pgTable(
  'challenge_templates',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Unique so the reference seed can upsert on it.
    name: text('name').notNull().unique(),
    description: text('description'),
    challengeType: varchar('challenge_type', { length: 50 }).notNull(),
    category: varchar('category', { length: 50 }),
    templateStructure: jsonb('template_structure').notNull(),
    requiresUserUploads: boolean('requires_user_uploads').default(false),
    maxUserUploads: integer('max_user_uploads').default(0),
    allowedUploadTypes: text('allowed_upload_types').array(),
    complexityLevel: varchar('complexity_level', { length: 20 }),
    defaultDifficulty: integer('default_difficulty'),
    supportsDifficultyScaling: boolean('supports_difficulty_scaling').default(true),
    aiCanGenerate: boolean('ai_can_generate').default(false),
    aiGenerationPrompt: text('ai_generation_prompt'),
    createdBy: uuid('created_by').references(() => users.id),
    isOfficial: boolean('is_official').default(false),
    isPublic: boolean('is_public').default(true),
    timesInstantiated: integer('times_instantiated').default(0),
    averageCompletionRate: numeric('average_completion_rate', { precision: 4, scale: 2 }),
    averageRating: numeric('average_rating', { precision: 3, scale: 2 }),
    templateVersion: varchar('template_version', { length: 10 }).default('1.0'),
    createdAt: timestamptz('created_at').defaultNow(),
    updatedAt: timestamptz('updated_at').defaultNow(),
    lastUsed: timestamptz('last_used'),
    metadata: jsonb('metadata').default({}),
  },
  (t) => [
    check(
      'challenge_templates_default_difficulty_check',
      sql`${t.defaultDifficulty} BETWEEN 1 AND 5`,
    ),
    index('idx_templates_type').on(t.challengeType),
    index('idx_templates_complexity').on(t.complexityLevel),
    index('idx_templates_official').on(t.isOfficial, t.isPublic),
  ],
)

/** A challenge completion row. */
export type ChallengeCompletion = typeof challengeCompletions.$inferSelect
/** Values for inserting a challenge completion. */
export type NewChallengeCompletion = typeof challengeCompletions.$inferInsert
/** An uploaded media row. */
export type UserUploadedMedia = typeof userUploadedMedia.$inferSelect
/** Values for inserting uploaded media. */
export type NewUserUploadedMedia = typeof userUploadedMedia.$inferInsert
/** A challenge template row. */
export type ChallengeTemplate = typeof challengeTemplates.$inferSelect
/** Values for inserting a challenge template. */
export type NewChallengeTemplate = typeof challengeTemplates.$inferInsert
