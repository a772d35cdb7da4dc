/**
 * Quests: definitions, live sessions (quest instances), per-user progress within a session, and
 * links between quests and world objects.
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
  primaryKey,
  text,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'
import { instances } from './world'

/** Quest definitions and templates; `quest_data` holds the game-specific structure. */
export const quests = pgTable(
  'quests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    title: text('title').notNull(),
    description: text('description'),
    creatorId: uuid('creator_id').references(() => users.id),
    creatorType: varchar('creator_type', { length: 20 }).default('user'),
    challengeType: varchar('challenge_type', { length: 50 }).notNull(),
    category: varchar('category', { length: 50 }),
    tags: text('tags')
      .array()
      .default(sql`'{}'`),
    questData: jsonb('quest_data').notNull(),
    difficultyRating: integer('difficulty_rating'),
    complexityLevel: varchar('complexity_level', { length: 20 }),
    estimatedDurationMinutes: integer('estimated_duration_minutes'),
    timeLimitSeconds: integer('time_limit_seconds'),
    minParticipants: integer('min_participants').default(1),
    maxParticipants: integer('max_participants').default(1),
    supportsCoop: boolean('supports_coop').default(false),
    rewards: jsonb('rewards').notNull(),
    requiresInstanceType: varchar('requires_instance_type', { length: 20 }),
    instanceTemplate: jsonb('instance_template'),
    schemaVersion: varchar('schema_version', { length: 10 }).default('1.0'),
    questVersion: integer('quest_version').default(1),
    status: varchar('status', { length: 20 }).default('active'),
    isRanked: boolean('is_ranked').default(true),
    isPublic: boolean('is_public').default(true),
    mediaAssets: jsonb('media_assets').default({}),
    learningObjectives: text('learning_objectives').array(),
    subjectArea: varchar('subject_area', { length: 50 }),
    // Incremented by trigger_increment_quest_counts.
    playCount: integer('play_count').notNull().default(0),
    completionCount: integer('completion_count').notNull().default(0),
    averageRating: numeric('average_rating', { precision: 3, scale: 2 }),
    averageCompletionTimeMinutes: integer('average_completion_time_minutes'),
    createdAt: timestamptz('created_at').defaultNow(),
    updatedAt: timestamptz('updated_at').defaultNow(),
    lastPlayed: timestamptz('last_played'),
    featuredAt: timestamptz('featured_at'),
    metadata: jsonb('metadata').default({}),
  },
  (t) => [
    check('quests_difficulty_rating_check', sql`${t.difficultyRating} BETWEEN 1 AND 5`),
    check('quests_status_check', sql`${t.status} IN ('draft', 'active', 'featured', 'archived')`),
    check(
      'quests_requires_instance_type_check',
      sql`${t.requiresInstanceType} IN ('any', 'personal', 'holodeck')`,
    ),
    index('idx_quests_creator').on(t.creatorId),
    index('idx_quests_type').on(t.challengeType, t.category),
    index('idx_quests_tags').using('gin', t.tags),
    index('idx_quests_status')
      .on(t.status)
      .where(sql`status = 'active'`),
    index('idx_quests_difficulty').on(t.difficultyRating),
    index('idx_quests_data').using('gin', t.questData),
    index('idx_quests_text').using(
      'gin',
      sql`to_tsvector('english', ${t.title} || ' ' || coalesce(${t.description}, ''))`,
    ),
  ],
)

/** Active play sessions of a quest; state is cached in the quest-session object and synced. */
export const questInstances = pgTable(
  'quest_instances',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    questId: uuid('quest_id').references(() => quests.id),
    instanceId: uuid('instance_id').references(() => instances.id),
    participants: uuid('participants').array().notNull(),
    hostUserId: uuid('host_user_id').references(() => users.id),
    state: jsonb('state').notNull().default({ status: 'waiting' }),
    startedAt: timestamptz('started_at'),
    pausedAt: timestamptz('paused_at'),
    resumedAt: timestamptz('resumed_at'),
    completedAt: timestamptz('completed_at'),
    totalPauseDurationSeconds: integer('total_pause_duration_seconds').default(0),
    sessionType: varchar('session_type', { length: 20 }).default('standard'),
    lastActivity: timestamptz('last_activity').defaultNow(),
    lastSyncAt: timestamptz('last_sync_at').defaultNow(),
    isAbandoned: boolean('is_abandoned').default(false),
    createdAt: timestamptz('created_at').defaultNow(),
    // Written by the QuestSession object at once on every status change (mirrors state.status).
    status: varchar('status', { length: 20 }).notNull().default('waiting'),
    // When the session reached completed, failed or abandoned.
    endedAt: timestamptz('ended_at'),
    // The object's state version this row holds; an older snapshot never overwrites a newer one.
    stateVersion: integer('state_version').notNull().default(0),
  },
  (t) => [
    check(
      'quest_instances_status_check',
      sql`${t.status} IN ('waiting', 'in_progress', 'paused', 'completed', 'failed', 'abandoned')`,
    ),
    index('idx_quest_instances_host_open')
      .on(t.hostUserId)
      .where(sql`status IN ('waiting', 'in_progress', 'paused')`),
    index('idx_quest_instances_quest').on(t.questId),
    index('idx_quest_instances_participants').using('gin', t.participants),
    index('idx_quest_instances_host').on(t.hostUserId),
    index('idx_quest_instances_active')
      .on(t.startedAt, t.completedAt)
      .where(sql`completed_at IS NULL`),
    index('idx_quest_instances_state').using('gin', t.state),
  ],
)

/** Each participant's progress within a quest session. */
export const questProgress = pgTable(
  'quest_progress',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    questInstanceId: uuid('quest_instance_id')
      .notNull()
      .references(() => questInstances.id),
    tokensCollected: text('tokens_collected')
      .array()
      .default(sql`'{}'`),
    trapsTriggered: text('traps_triggered')
      .array()
      .default(sql`'{}'`),
    puzzlesSolved: text('puzzles_solved')
      .array()
      .default(sql`'{}'`),
    npcsInteracted: text('npcs_interacted')
      .array()
      .default(sql`'{}'`),
    score: integer('score').default(0),
    maxPossibleScore: integer('max_possible_score'),
    timeTakenSeconds: integer('time_taken_seconds'),
    mistakesMade: integer('mistakes_made').default(0),
    hintsUsed: integer('hints_used').default(0),
    perfectCompletion: boolean('perfect_completion').default(false),
    challengeSpecificData: jsonb('challenge_specific_data').default({}),
    completionPercentage: integer('completion_percentage').default(0),
    currentCheckpoint: varchar('current_checkpoint', { length: 50 }),
    startedAt: timestamptz('started_at').defaultNow(),
    lastUpdate: timestamptz('last_update').defaultNow(),
    completedAt: timestamptz('completed_at'),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.questInstanceId] }),
    check(
      'quest_progress_completion_percentage_check',
      sql`${t.completionPercentage} BETWEEN 0 AND 100`,
    ),
    index('idx_quest_progress_user').on(t.userId),
    index('idx_quest_progress_instance').on(t.questInstanceId),
    index('idx_quest_progress_score').on(t.score.desc().nullsFirst()),
    index('idx_quest_progress_completion').on(t.completionPercentage),
    index('idx_quest_progress_data').using('gin', t.challengeSpecificData),
  ],
)

/** Links between quests and objects (assets, buildings, media, user items). */
export const questObjectRelationships = pgTable(
  'quest_object_relationships',
  {
    questId: uuid('quest_id')
      .notNull()
      .references(() => quests.id, { onDelete: 'cascade' }),
    // Polymorphic: an asset, building, media or user item id (no foreign key, as in the seed).
    objectId: uuid('object_id').notNull(),
    objectType: varchar('object_type', { length: 20 }).notNull(),
    relationshipType: varchar('relationship_type', { length: 50 }).notNull(),
    metadata: jsonb('metadata').default({}),
    createdAt: timestamptz('created_at').defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.questId, t.objectId, t.relationshipType] }),
    index('idx_quest_objects_quest').on(t.questId),
    index('idx_quest_objects_object').on(t.objectType, t.objectId),
    index('idx_quest_objects_relationship').on(t.relationshipType),
  ],
)

/** A quest row. */
export type Quest = typeof quests.$inferSelect
/** Values for inserting a quest. */
export type NewQuest = typeof quests.$inferInsert
/** A quest instance (session) row. */
export type QuestInstance = typeof questInstances.$inferSelect
/** Values for inserting a quest instance. */
export type NewQuestInstance = typeof questInstances.$inferInsert
/** A quest progress row. */
export type QuestProgress = typeof questProgress.$inferSelect
/** Values for inserting quest progress. */
export type NewQuestProgress = typeof questProgress.$inferInsert
/** A quest-object link row. */
export type QuestObjectRelationship = typeof questObjectRelationships.$inferSelect
/** Values for inserting a quest-object link. */
export type NewQuestObjectRelationship = typeof questObjectRelationships.$inferInsert
