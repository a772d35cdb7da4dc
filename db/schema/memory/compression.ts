/**
 * Compression: the tier configuration, trained PCA and PQ models, and compression and memory
 * analytics.
 */
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  pgTable,
  text,
  unique,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { bytea, timestamptz } from '../columns'
import { compressionTypeEnum, memoryTierEnum } from './enums'

/** Per-tier limits and compression policy (4 rows, seeded). */
export const memoryTierConfig = pgTable('memory_tier_config', {
  tier: memoryTierEnum('tier').primaryKey(),
  maxMemories: integer('max_memories'),
  compressionAfterDays: integer('compression_after_days'),
  targetCompressionType: compressionTypeEnum('target_compression_type'),
  maxStorageBytes: bigint('max_storage_bytes', { mode: 'number' }),
  description: text('description'),
})

/** Trained PCA models for 768-d to 384-d compression. */
export const pcaModels = pgTable(
  'pca_models',
  {
    modelId: uuid('model_id').primaryKey().defaultRandom(),
    companionId: varchar('companion_id', { length: 50 }),
    modelName: varchar('model_name', { length: 100 }).notNull(),
    nComponents: integer('n_components').notNull(),
    explainedVarianceRatio: doublePrecision('explained_variance_ratio').notNull(),
    modelData: bytea('model_data').notNull(),
    trainingSamples: integer('training_samples').notNull(),
    createdAt: timestamptz('created_at').defaultNow(),
    isActive: boolean('is_active').default(true),
  },
  (t) => [unique('pca_models_companion_id_model_name_unique').on(t.companionId, t.modelName)],
)

/** Trained product-quantization models for 768-d to 48-byte compression. */
export const pqModels = pgTable(
  'pq_models',
  {
    modelId: uuid('model_id').primaryKey().defaultRandom(),
    companionId: varchar('companion_id', { length: 50 }),
    modelName: varchar('model_name', { length: 100 }).notNull(),
    numSubspaces: integer('num_subspaces').notNull().default(48),
    numCentroids: integer('num_centroids').notNull().default(256),
    subspaceDim: integer('subspace_dim').notNull().default(16),
    centroidsData: bytea('centroids_data').notNull(),
    trainingSamples: integer('training_samples').notNull(),
    averageReconstructionQuality: doublePrecision('average_reconstruction_quality'),
    createdAt: timestamptz('created_at').defaultNow(),
    isActive: boolean('is_active').default(true),
  },
  (t) => [unique('pq_models_companion_id_model_name_unique').on(t.companionId, t.modelName)],
)

/** Compression performance per period. */
export const compressionAnalytics = pgTable('compression_analytics', {
  analyticsId: uuid('analytics_id').primaryKey().defaultRandom(),
  companionId: varchar('companion_id', { length: 50 }),
  userId: uuid('user_id'),
  periodStart: timestamptz('period_start').notNull(),
  periodEnd: timestamptz('period_end').notNull(),
  memoriesCreated: integer('memories_created').default(0),
  memoriesCompressed: integer('memories_compressed').default(0),
  memoriesAccessed: integer('memories_accessed').default(0),
  pcaCompressions: integer('pca_compressions').default(0),
  pqCompressions: integer('pq_compressions').default(0),
  averagePcaQuality: doublePrecision('average_pca_quality'),
  averagePqQuality: doublePrecision('average_pq_quality'),
  totalOriginalSize: bigint('total_original_size', { mode: 'number' }).default(0),
  totalCompressedSize: bigint('total_compressed_size', { mode: 'number' }).default(0),
  overallCompressionRatio: doublePrecision('overall_compression_ratio'),
  storageSavingsPercent: doublePrecision('storage_savings_percent'),
  createdAt: timestamptz('created_at').defaultNow(),
})

/**
 * Memory system snapshots (from 001): per companion, or per companion and user when `userId` is
 * set (not in 001; added so forgetting a user can delete the snapshots about them).
 */
export const memoryAnalytics = pgTable(
  'memory_analytics',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    companionId: varchar('companion_id', { length: 50 }),
    userId: uuid('user_id'),
    timestamp: timestamptz('timestamp').defaultNow(),
    totalMemories: integer('total_memories'),
    coreMemories: integer('core_memories'),
    importantMemories: integer('important_memories'),
    backgroundMemories: integer('background_memories'),
    sparseMemories: integer('sparse_memories'),
    avgCompressionRatio: doublePrecision('avg_compression_ratio'),
    totalStorageBytes: bigint('total_storage_bytes', { mode: 'number' }),
    retrievalPerformanceMs: doublePrecision('retrieval_performance_ms'),
  },
  (t) => [
    index('idx_memory_analytics_user').on(t.userId),
    // One snapshot per (companion, user) pair and hour is refreshed by each companion turn.
    index('idx_memory_analytics_pair_time').on(
      t.companionId,
      t.userId,
      t.timestamp.desc().nullsFirst(),
    ),
  ],
)

/** A tier configuration row. */
export type MemoryTierConfig = typeof memoryTierConfig.$inferSelect
/** Values for inserting a tier configuration. */
export type NewMemoryTierConfig = typeof memoryTierConfig.$inferInsert
/** A PCA model row. */
export type PcaModel = typeof pcaModels.$inferSelect
/** Values for inserting a PCA model. */
export type NewPcaModel = typeof pcaModels.$inferInsert
/** A PQ model row. */
export type PqModel = typeof pqModels.$inferSelect
/** Values for inserting a PQ model. */
export type NewPqModel = typeof pqModels.$inferInsert
/** A compression analytics row. */
export type CompressionAnalytics = typeof compressionAnalytics.$inferSelect
/** Values for inserting compression analytics. */
export type NewCompressionAnalytics = typeof compressionAnalytics.$inferInsert
/** A memory analytics row. */
export type MemoryAnalytics = typeof memoryAnalytics.$inferSelect
/** Values for inserting memory analytics. */
export type NewMemoryAnalytics = typeof memoryAnalytics.$inferInsert
