/**
 * Enums of the memory database.
 */
import { pgEnum } from 'drizzle-orm/pg-core'

/** Memory tiers: core (never compressed), important (PCA), background (PQ), sparse (anchors only). */
export const memoryTierEnum = pgEnum('memory_tier_enum', [
  'core',
  'important',
  'background',
  'sparse',
])

/** How a memory's embedding is stored. */
export const compressionTypeEnum = pgEnum('compression_type_enum', [
  'full',
  'pca384',
  'pq48',
  'sparse_only',
])

/** Stages of a user-companion relationship. */
export const relationshipStageEnum = pgEnum('relationship_stage_enum', [
  'stranger',
  'acquaintance',
  'friend',
  'close_friend',
])

/** A memory tier. */
export type MemoryTier = (typeof memoryTierEnum.enumValues)[number]
/** A compression type. */
export type CompressionType = (typeof compressionTypeEnum.enumValues)[number]
/** A relationship stage. */
export type RelationshipStage = (typeof relationshipStageEnum.enumValues)[number]
