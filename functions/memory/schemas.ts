/**
 * Request and response schemas of companion memories. Resources mirror the seed's column names
 * (snake_case), like users and economy.
 */
import { z } from '@hono/zod-openapi'
import { idSchema } from '../lib/ids'
import { TimestampIdPageQuerySchema } from '../lib/pagination'
import { EMBEDDING_DIMENSIONS } from './embedder'

/** Tiers, most to least significant. */
export const MEMORY_TIERS = ['core', 'important', 'background', 'sparse'] as const

/** Longest memory text accepted, in characters. */
export const MAX_MEMORY_CONTENT_CHARS = 10_000
/** Longest search query, in characters. */
export const MAX_QUERY_CHARS = 1_000
/** Largest `interaction_context`, as serialized JSON, in characters. */
export const MAX_INTERACTION_CONTEXT_CHARS = 8_192
/** Recall sizes. */
export const DEFAULT_SEARCH_K = 10
export const MAX_SEARCH_K = 50

/** Postgres TEXT and JSONB cannot hold U+0000: accepting it would turn into a 500 at the insert. */
const hasNoNul = (text: string) => !text.includes('\u0000')
const noNul = { error: 'must not contain a NUL character' }
const jsonHasNoNul = (value: unknown) => !JSON.stringify(value).includes('\\u0000')

const TierSchema = z.enum(MEMORY_TIERS, {
  error: `tier must be one of ${MEMORY_TIERS.join(', ')}`,
})

/** A client-supplied embedding: 768 finite numbers, not all zero (it is L2-normalized on use). */
export const EmbeddingSchema = z
  .array(z.number({ error: 'embedding entries must be numbers' }))
  .length(EMBEDDING_DIMENSIONS, { error: `embedding must have ${EMBEDDING_DIMENSIONS} numbers` })
  .refine((v) => v.some((x) => x !== 0), { error: 'embedding must not be the zero vector' })

const unit = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .min(0, { error: `${name} must be between 0 and 1` })
    .max(1, { error: `${name} must be between 0 and 1` })

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Companion ids are the seed's `varchar(50)`; a conservative character set keeps URLs plain. A
 * companion's or avatar agent's id is a UUID, lower-cased here (any case is the same companion and
 * the same memories, decision 93); services may still use free text for their own NPCs.
 */
export const CompanionIdSchema = z
  .string()
  .min(1)
  .max(50)
  .regex(/^[A-Za-z0-9_.:-]+$/, {
    error: 'companion_id must be 1-50 letters, digits, or . _ : -',
  })
  .transform((id) => (UUID_PATTERN.test(id) ? id.toLowerCase() : id))

export const CompanionParamSchema = z.object({ companion_id: CompanionIdSchema })

export const MemoryParamSchema = z.object({
  companion_id: CompanionIdSchema,
  memory_id: idSchema('memory_id'),
})

export const UserParamSchema = z.object({ user_id: idSchema('user_id') })

export const UserQuerySchema = z.object({ user_id: idSchema('user_id').optional() })

/** Memories are listed newest first by (created_at, memory_id). */
export const ListMemoriesQuerySchema = TimestampIdPageQuerySchema.extend({
  tier: TierSchema.optional(),
  user_id: idSchema('user_id').optional(),
})

export const CreateMemoryBodySchema = z
  .strictObject({
    content: z.string().trim().min(1).max(MAX_MEMORY_CONTENT_CHARS).refine(hasNoNul, noNul),
    embedding: EmbeddingSchema.optional(),
    significance_score: unit('significance_score'),
    emotional_intensity: unit('emotional_intensity').default(0),
    emotional_valence: z
      .number({ error: 'emotional_valence must be a number' })
      .min(-1, { error: 'emotional_valence must be between -1 and 1' })
      .max(1, { error: 'emotional_valence must be between -1 and 1' })
      .default(0),
    key_phrases: z
      .array(z.string().trim().min(1).max(100).refine(hasNoNul, noNul))
      .max(32)
      .optional(),
    interaction_context: z
      .record(z.string().max(64), z.unknown())
      .refine((v) => JSON.stringify(v).length <= MAX_INTERACTION_CONTEXT_CHARS, {
        error: `interaction_context must serialize to at most ${MAX_INTERACTION_CONTEXT_CHARS} characters`,
      })
      .refine(jsonHasNoNul, noNul)
      .optional(),
    tier: TierSchema.optional(),
    user_id: idSchema('user_id').optional(),
  })
  .openapi('CreateMemoryBody')

export const SearchBodySchema = z
  .strictObject({
    query: z.string().trim().min(1).max(MAX_QUERY_CHARS).refine(hasNoNul, noNul).optional(),
    embedding: EmbeddingSchema.optional(),
    k: z.number().int().min(1).max(MAX_SEARCH_K).default(DEFAULT_SEARCH_K),
    mode: z.enum(['vector', 'hybrid', 'text']).default('hybrid'),
    tiers: z.array(TierSchema).min(1).max(4).optional(),
    user_id: idSchema('user_id').optional(),
  })
  .refine((b) => b.query !== undefined || b.embedding !== undefined, {
    error: 'give a query, an embedding, or both',
    path: ['query'],
  })
  .refine((b) => b.mode !== 'text' || b.query !== undefined, {
    error: 'text search needs a query',
    path: ['query'],
  })
  .openapi('SearchBody')

export const MemorySchema = z
  .object({
    memory_id: z.uuid(),
    companion_id: z.string(),
    user_id: z.uuid(),
    content: z.string(),
    tier: TierSchema,
    significance_score: z.number(),
    emotional_intensity: z.number(),
    emotional_valence: z.number(),
    key_phrases: z.array(z.string()),
    snippet: z.string().nullable(),
    conversation_hash: z.string(),
    interaction_context: z.unknown(),
    compression_type: z.enum(['full', 'pca384', 'pq48', 'sparse_only']),
    original_size: z.number().int().nullable(),
    compressed_size: z.number().int().nullable(),
    compression_ratio: z.number().nullable(),
    access_count: z.number().int(),
    created_at: z.string().nullable(),
    last_accessed: z.string().nullable(),
  })
  .openapi('Memory')

export const CreatedMemorySchema = MemorySchema.extend({
  duplicate: z.boolean(),
  related: z.array(z.object({ memory_id: z.uuid(), strength: z.number() })),
  demoted: z.array(z.object({ memory_id: z.uuid(), from: TierSchema, to: TierSchema })),
}).openapi('CreatedMemory')

export const SearchResultSchema = z
  .object({
    items: z.array(
      z.object({
        memory_id: z.uuid(),
        similarity: z.number(),
        vector_similarity: z.number().nullable(),
        text_score: z.number().nullable(),
        tier: TierSchema,
        compression_type: z.enum(['full', 'pca384', 'pq48', 'sparse_only']),
        snippet: z.string().nullable(),
        created_at: z.string().nullable(),
      }),
    ),
    mode: z.enum(['vector', 'hybrid', 'text']),
  })
  .openapi('MemorySearchResult')

/** A pair's memory statistics, as both the relationship and the efficiency view report them. */
const pairStatistics = {
  companion_id: z.string(),
  user_id: z.uuid(),
  total_memories: z.number().int(),
  core_memories_count: z.number().int(),
  important_memories_count: z.number().int(),
  background_memories_count: z.number().int(),
  sparse_memories_count: z.number().int(),
  total_storage_bytes: z.number().int(),
  compression_ratio: z.number().nullable(),
}

export const RelationshipSchema = z
  .object({
    ...pairStatistics,
    stage: z.enum(['stranger', 'acquaintance', 'friend', 'close_friend']),
    trust_level: z.number(),
    quality_score: z.number(),
    interaction_count: z.number().int(),
    relationship_started: z.string().nullable(),
    last_interaction: z.string().nullable(),
  })
  .openapi('CompanionRelationship')

export const ForgetUserSchema = z
  .object({
    user_id: z.uuid(),
    memories: z.number().int(),
    relationships: z.number().int(),
    compression_analytics: z.number().int(),
    memory_analytics: z.number().int(),
    /** Conversations with companions deleted from nexus (their messages with them). */
    conversations: z.number().int(),
  })
  .openapi('ForgetUserResult')

export type CreateMemoryBody = z.infer<typeof CreateMemoryBodySchema>
export type SearchBody = z.infer<typeof SearchBodySchema>
export type MemoryTier = (typeof MEMORY_TIERS)[number]

/** `v_memory_efficiency` of one companion and user. */
export const MemoryEfficiencySchema = z
  .object({
    ...pairStatistics,
    storage_kb: z.number(),
    core_memory_percent: z.number().nullable(),
  })
  .openapi('MemoryEfficiency')
