/**
 * User-companion relationships and their memory statistics (kept by trigger
 * `tr_update_relationship_stats`).
 */
import { sql } from 'drizzle-orm'
import {
  bigint,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  unique,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { relationshipStageEnum } from './enums'

/** How a companion and a user relate, with per-tier memory counts and storage. */
export const companionRelationships = pgTable(
  'companion_relationships',
  {
    relationshipId: uuid('relationship_id').primaryKey().defaultRandom(),
    companionId: varchar('companion_id', { length: 50 }).notNull(),
    userId: uuid('user_id').notNull(),
    stage: relationshipStageEnum('stage').notNull().default('stranger'),
    trustLevel: doublePrecision('trust_level').notNull().default(0.5),
    qualityScore: doublePrecision('quality_score').notNull().default(0.5),
    interactionCount: integer('interaction_count').default(0),
    totalMemories: integer('total_memories').notNull().default(0),
    coreMemoriesCount: integer('core_memories_count').notNull().default(0),
    importantMemoriesCount: integer('important_memories_count').notNull().default(0),
    backgroundMemoriesCount: integer('background_memories_count').notNull().default(0),
    sparseMemoriesCount: integer('sparse_memories_count').notNull().default(0),
    totalStorageBytes: bigint('total_storage_bytes', { mode: 'number' }).notNull().default(0),
    compressionRatio: doublePrecision('compression_ratio').default(1.0),
    communicationPatterns: jsonb('communication_patterns'),
    sharedInterests: text('shared_interests').array(),
    conversationThemes: jsonb('conversation_themes'),
    relationshipStarted: timestamptz('relationship_started').defaultNow(),
    lastInteraction: timestamptz('last_interaction').defaultNow(),
    lastUpdated: timestamptz('last_updated').defaultNow(),
  },
  (t) => [
    check(
      'companion_relationships_trust_level_check',
      sql`${t.trustLevel} >= 0 AND ${t.trustLevel} <= 1`,
    ),
    check(
      'companion_relationships_quality_score_check',
      sql`${t.qualityScore} >= 0 AND ${t.qualityScore} <= 1`,
    ),
    unique('companion_relationships_companion_id_user_id_unique').on(t.companionId, t.userId),
    index('idx_relationships_companion').on(t.companionId),
    index('idx_relationships_user').on(t.userId),
    index('idx_relationships_last_interaction').on(t.lastInteraction.desc().nullsFirst()),
  ],
)

/** A relationship row. */
export type CompanionRelationship = typeof companionRelationships.$inferSelect
/** Values for inserting a relationship. */
export type NewCompanionRelationship = typeof companionRelationships.$inferInsert
