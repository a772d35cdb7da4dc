/**
 * Companion memories with tiered embeddings (768-d full, 384-d PCA, 48-byte PQ), links between
 * memories and the memory access log.
 */
import { sql } from 'drizzle-orm'
import {
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uuid,
  varchar,
  vector,
} from 'drizzle-orm/pg-core'
import { bytea, timestamptz } from '../columns'
import { pcaModels, pqModels } from './compression'
import { compressionTypeEnum, memoryTierEnum } from './enums'

/** A companion's long-term memory of a user; at most one embedding form is stored. */
export const companionMemories = pgTable(
  'companion_memories',
  {
    memoryId: uuid('memory_id').primaryKey().defaultRandom(),
    companionId: varchar('companion_id', { length: 50 }).notNull(),
    // A nexus user id; no foreign key across databases.
    userId: uuid('user_id').notNull(),
    // The memory text (from 001), searched by the hybrid vector + full-text query.
    content: text('content').notNull(),
    tier: memoryTierEnum('tier').notNull(),
    significanceScore: doublePrecision('significance_score').notNull(),
    compressionType: compressionTypeEnum('compression_type').notNull().default('full'),
    fullEmbedding: vector('full_embedding', { dimensions: 768 }),
    compressedEmbedding: vector('compressed_embedding', { dimensions: 384 }),
    quantizedEmbedding: bytea('quantized_embedding'),
    conversationHash: varchar('conversation_hash', { length: 64 }).notNull(),
    keyPhrases: text('key_phrases').array().notNull(),
    conversationSnippet: text('conversation_snippet'),
    emotionalIntensity: doublePrecision('emotional_intensity').notNull(),
    emotionalValence: doublePrecision('emotional_valence').notNull(),
    interactionContext: jsonb('interaction_context'),
    createdAt: timestamptz('created_at').defaultNow(),
    lastAccessed: timestamptz('last_accessed').defaultNow(),
    accessCount: integer('access_count').notNull().default(0),
    originalSize: integer('original_size'),
    compressedSize: integer('compressed_size'),
    compressionRatio: doublePrecision('compression_ratio'),
    qualityMetric: doublePrecision('quality_metric'),
    // Which model encoded the stored code, so a retrained model never strands older codes.
    pcaModelId: uuid('pca_model_id').references(() => pcaModels.modelId),
    pqModelId: uuid('pq_model_id').references(() => pqModels.modelId),
  },
  (t) => [
    check(
      'companion_memories_significance_score_check',
      sql`${t.significanceScore} >= 0 AND ${t.significanceScore} <= 1`,
    ),
    check(
      'companion_memories_emotional_intensity_check',
      sql`${t.emotionalIntensity} >= 0 AND ${t.emotionalIntensity} <= 1`,
    ),
    check(
      'companion_memories_emotional_valence_check',
      sql`${t.emotionalValence} >= -1 AND ${t.emotionalValence} <= 1`,
    ),
    check(
      'valid_embedding_storage',
      sql`(${t.fullEmbedding} IS NOT NULL)::int + (${t.compressedEmbedding} IS NOT NULL)::int + (${t.quantizedEmbedding} IS NOT NULL)::int <= 1`,
    ),
    check(
      'compressed_memory_names_its_model',
      sql`(${t.compressionType} <> 'pca384' OR ${t.pcaModelId} IS NOT NULL) AND (${t.compressionType} <> 'pq48' OR ${t.pqModelId} IS NOT NULL)`,
    ),
    // HNSW rather than the seed's ivfflat: see db/README.md.
    index('idx_memories_full_embedding_cosine')
      .using('hnsw', t.fullEmbedding.op('vector_cosine_ops'))
      .where(sql`full_embedding IS NOT NULL`),
    index('idx_memories_compressed_embedding_cosine')
      .using('hnsw', t.compressedEmbedding.op('vector_cosine_ops'))
      .where(sql`compressed_embedding IS NOT NULL`),
    index('idx_memories_full_embedding_l2')
      .using('hnsw', t.fullEmbedding.op('vector_l2_ops'))
      .where(sql`full_embedding IS NOT NULL`),
    index('idx_memories_companion_tier').on(t.companionId, t.tier),
    index('idx_memories_significance').on(t.significanceScore.desc().nullsFirst()),
    index('idx_memories_user_companion').on(t.userId, t.companionId),
    index('idx_memories_conversation_hash').using('hash', t.conversationHash),
    index('idx_memories_key_phrases_gin').using('gin', t.keyPhrases),
    index('idx_memories_created_at').on(t.createdAt),
  ],
)

/** Links between two memories (from 001; ids are the uuid memory_id). */
export const memoryRelationships = pgTable(
  'memory_relationships',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    memoryId: uuid('memory_id')
      .notNull()
      .references(() => companionMemories.memoryId, { onDelete: 'cascade' }),
    relatedMemoryId: uuid('related_memory_id')
      .notNull()
      .references(() => companionMemories.memoryId, { onDelete: 'cascade' }),
    relationshipType: varchar('relationship_type', { length: 50 }),
    strength: doublePrecision('strength').default(0.5),
  },
  (t) => [
    index('idx_memory_relationships_memory').on(t.memoryId),
    index('idx_memory_relationships_related').on(t.relatedMemoryId),
  ],
)

/** One row per memory access, written by `record_memory_access`. */
export const memoryAccessPatterns = pgTable(
  'memory_access_patterns',
  {
    accessId: uuid('access_id').primaryKey().defaultRandom(),
    memoryId: uuid('memory_id')
      .notNull()
      .references(() => companionMemories.memoryId, { onDelete: 'cascade' }),
    accessedAt: timestamptz('accessed_at').defaultNow(),
    accessType: varchar('access_type', { length: 50 }),
    similarityScore: doublePrecision('similarity_score'),
    retrievalTimeMs: integer('retrieval_time_ms'),
    decompressionTimeMs: integer('decompression_time_ms'),
    reconstructionQuality: doublePrecision('reconstruction_quality'),
  },
  (t) => [
    index('idx_access_patterns_memory').on(t.memoryId),
    index('idx_access_patterns_time').on(t.accessedAt.desc().nullsFirst()),
  ],
)

/** A memory row. */
export type CompanionMemory = typeof companionMemories.$inferSelect
/** Values for inserting a memory. */
export type NewCompanionMemory = typeof companionMemories.$inferInsert
/** A memory link row. */
export type MemoryRelationship = typeof memoryRelationships.$inferSelect
/** Values for inserting a memory link. */
export type NewMemoryRelationship = typeof memoryRelationships.$inferInsert
/** A memory access row. */
export type MemoryAccessPattern = typeof memoryAccessPatterns.$inferSelect
/** Values for inserting a memory access row. */
export type NewMemoryAccessPattern = typeof memoryAccessPatterns.$inferInsert
