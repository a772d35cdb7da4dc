/**
 * Memory database reference data: the 4 tier rows and the schema metadata, as the seed gives them.
 */
import type { CompressionType, MemoryTier } from '../schema/memory/enums'

/** One tier's configuration (columns of `memory_tier_config`). */
export interface MemoryTierSeed {
  tier: MemoryTier
  maxMemories: number | null
  compressionAfterDays: number | null
  targetCompressionType: CompressionType
  maxStorageBytes: number | null
  description: string
}

/** The 4 tiers. */
export const MEMORY_TIERS: readonly MemoryTierSeed[] = [
  {
    tier: 'core',
    maxMemories: 50,
    compressionAfterDays: null,
    targetCompressionType: 'full',
    maxStorageBytes: 153600,
    description: 'Never compressed, full 768D embeddings',
  },
  {
    tier: 'important',
    maxMemories: 200,
    compressionAfterDays: 30,
    targetCompressionType: 'pca384',
    maxStorageBytes: 307200,
    description: 'PCA compressed to 384D after 30 days',
  },
  {
    tier: 'background',
    maxMemories: 500,
    compressionAfterDays: 7,
    targetCompressionType: 'pq48',
    maxStorageBytes: 24000,
    description: 'Product Quantized to 48 bytes after 7 days',
  },
  {
    tier: 'sparse',
    maxMemories: null,
    compressionAfterDays: 0,
    targetCompressionType: 'sparse_only',
    maxStorageBytes: null,
    description: 'Only sparse anchors, no embeddings',
  },
]

/** schema_metadata rows. */
export const SCHEMA_METADATA: ReadonlyArray<{ key: string; value: string }> = [
  { key: 'schema_version', value: '2.0.0' },
  { key: 'architecture_type', value: 'sparse_focus_shift' },
  { key: 'compression_approach', value: 'selective_by_tier_and_age' },
  { key: 'max_compression_ratio', value: '64:1 via Product Quantization' },
]
