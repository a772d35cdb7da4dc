/**
 * Recall: vector, text or hybrid search over every tier of one (companion, user) pair.
 *
 * Vector similarity (cosine, on one scale across tiers because embeddings are L2-normalized):
 * - a memory that still has its full 768-d vector (any tier, typically core): pgvector `<=>`;
 * - an `important` memory compressed to PCA-384: `<=>` between its `compressed_embedding` and the
 *   query projected by the memory's own model (`pca_model_id`), so a retrained model never
 *   strands older codes;
 * - a `background` memory quantized to 48 PQ bytes: asymmetric distance (`adcCosine`) computed in
 *   the Worker over the pair's codes with the memory's own PQ model (at most 500 codes a pair);
 * - `sparse` memories have no vector and are found by text only.
 *
 * Text score: `ts_rank_cd(to_tsvector('english', content), plainto_tsquery('english', query), 32)`.
 * Normalization flag 32 maps the rank r to r / (r + 1), into [0, 1), per memory and independently of
 * the other results (dividing by the best rank of the result set would give any weak match a 1).
 *
 * Scores: `vector` = vector similarity; `text` = text score (matching memories only); `hybrid`
 * (001's weights) = 0.7 × vector similarity + 0.3 × text score, where a memory without a vector
 * takes part only when its text matches (vector similarity counts 0 for it).
 *
 * The pair's rows are materialized before ranking, so the search is exact within the pair (an HNSW
 * scan of the whole table filtered to the pair afterwards may miss them all); a pair holds at most
 * 750 embedded memories. Every returned memory gets one `record_memory_access` row, all in one
 * statement.
 */
import { sql } from 'drizzle-orm'
import type { MemoryDb as Db } from '../../db/client'
import type { Identity } from '../lib/auth'
import { isoTimestamp } from '../lib/time'
import { actingUser } from './access'
import {
  fromBytea,
  pcaModelFromBytes,
  pqModelFromBytes,
  toPgVectorLiteral,
} from './compression/codec'
import { projectPca, type PcaModel } from './compression/pca'
import { adcCosine, centroidSquaredNorms, distanceTable, type PqModel } from './compression/pq'
import type { Embedder } from './embedder'
import type { MemoryTier } from './schemas'
import { textArray, unitVector, type Pair } from './service'

/** Hybrid weights (001). */
export const HYBRID_VECTOR_WEIGHT = 0.7
export const HYBRID_TEXT_WEIGHT = 0.3
/** `ts_rank_cd` normalization: rank / (rank + 1). */
const TS_RANK_NORMALIZATION = 32
/** Decoded models kept per isolate; rows are immutable per model id, so caching is safe. */
const MODEL_CACHE_ENTRIES = 8

export type SearchMode = 'vector' | 'hybrid' | 'text'

/** What to look for. */
export interface SearchInput {
  actor: Identity
  companion_id: string
  /** Another user's memories, for a service token. */
  user_id?: string
  query?: string
  embedding?: number[]
  k: number
  mode: SearchMode
  tiers?: MemoryTier[]
  embedder: Embedder
}

type CompressionType = 'full' | 'pca384' | 'pq48' | 'sparse_only'

/** One recalled memory. */
export interface SearchHit {
  memory_id: string
  similarity: number
  vector_similarity: number | null
  text_score: number | null
  tier: MemoryTier
  compression_type: CompressionType
  snippet: string | null
  created_at: string | null
}

const pcaCache = new Map<string, PcaModel>()
const pqCache = new Map<string, { model: PqModel; norms: Float32Array }>()

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= MODEL_CACHE_ENTRIES) cache.delete(cache.keys().next().value!)
  cache.set(key, value)
  return value
}

const iso = (value: unknown): string | null => isoTimestamp(value as string | Date | null)

/** A uuid[] parameter literal. */
const uuidArray = (ids: string[]) => `{${ids.join(',')}}`

async function loadPcaModels(db: Db, ids: string[]): Promise<Map<string, PcaModel>> {
  const models = new Map<string, PcaModel>()
  const missing = ids.filter((id) => {
    const cached = pcaCache.get(id)
    if (cached) models.set(id, cached)
    return !cached
  })
  if (missing.length > 0) {
    const { rows } = await db.execute<{ model_id: string; model_data: Uint8Array | string }>(sql`
      SELECT model_id, model_data FROM pca_models WHERE model_id = ANY(${uuidArray(missing)}::uuid[])`)
    for (const row of rows) {
      models.set(
        row.model_id,
        remember(pcaCache, row.model_id, pcaModelFromBytes(fromBytea(row.model_data))),
      )
    }
  }
  return models
}

async function loadPqModels(db: Db, ids: string[]) {
  const models = new Map<string, { model: PqModel; norms: Float32Array }>()
  const missing = ids.filter((id) => {
    const cached = pqCache.get(id)
    if (cached) models.set(id, cached)
    return !cached
  })
  if (missing.length > 0) {
    const { rows } = await db.execute<{ model_id: string; centroids_data: Uint8Array | string }>(
      sql`SELECT model_id, centroids_data FROM pq_models
          WHERE model_id = ANY(${uuidArray(missing)}::uuid[])`,
    )
    for (const row of rows) {
      const model = pqModelFromBytes(fromBytea(row.centroids_data))
      models.set(
        row.model_id,
        remember(pqCache, row.model_id, { model, norms: centroidSquaredNorms(model) }),
      )
    }
  }
  return models
}

type Row = {
  memory_id: string
  tier: MemoryTier
  compression_type: CompressionType
  conversation_snippet: string | null
  created_at: unknown
  vector_similarity: number | null
  text_score: number | null
}

const hitOf = (row: Row, similarity: number): SearchHit => ({
  memory_id: row.memory_id,
  similarity,
  vector_similarity: row.vector_similarity === null ? null : Number(row.vector_similarity),
  text_score: row.text_score === null ? null : Number(row.text_score),
  tier: row.tier,
  compression_type: row.compression_type,
  snippet: row.conversation_snippet,
  created_at: iso(row.created_at),
})

/** Searches the pair's memories and records one access per returned memory. */
export async function searchMemories(db: Db, input: SearchInput) {
  const pair: Pair = {
    companionId: input.companion_id,
    userId: actingUser(input.actor, input.user_id, ['service']),
  }
  const started = Date.now()
  const text = input.query ?? ''
  const tiers = input.tiers ?? ['core', 'important', 'background', 'sparse']
  const pairFilter = sql`companion_id = ${pair.companionId} AND user_id = ${pair.userId}::uuid
    AND tier = ANY(${textArray(tiers)}::memory_tier_enum[])`
  const textScore = sql`ts_rank_cd(to_tsvector('english', content), plainto_tsquery('english', ${text}), ${TS_RANK_NORMALIZATION})`

  let hits: SearchHit[]
  if (input.mode === 'text') {
    const { rows } = await db.execute<Row>(sql`
      SELECT memory_id, tier, compression_type, conversation_snippet, created_at,
             NULL::float8 AS vector_similarity, ${textScore}::float8 AS text_score
      FROM companion_memories
      WHERE ${pairFilter} AND to_tsvector('english', content) @@ plainto_tsquery('english', ${text})
      ORDER BY text_score DESC, created_at DESC
      LIMIT ${input.k}`)
    hits = rows.map((r) => hitOf(r, Number(r.text_score)))
  } else {
    const query = input.embedding
      ? unitVector(input.embedding)
      : (await input.embedder.embed([text]))[0]
    const hybrid = input.mode === 'hybrid'
    const score = (vector: number | null, textRank: number | null) =>
      hybrid
        ? HYBRID_VECTOR_WEIGHT * (vector ?? 0) + HYBRID_TEXT_WEIGHT * (textRank ?? 0)
        : (vector ?? 0)

    // Which encoding models the pair's compressed memories name.
    const { rows: modelRows } = await db.execute<{
      pca_model_id: string | null
      pq_model_id: string | null
    }>(sql`
      SELECT DISTINCT pca_model_id, pq_model_id FROM companion_memories
      WHERE ${pairFilter} AND compression_type IN ('pca384', 'pq48')`)
    const pcaIds = [...new Set(modelRows.map((r) => r.pca_model_id).filter((id) => id !== null))]
    const pqIds = [...new Set(modelRows.map((r) => r.pq_model_id).filter((id) => id !== null))]
    const pcaModels = await loadPcaModels(db, pcaIds)
    const pqModels = await loadPqModels(db, pqIds)

    // The query projected by each PCA model, as (model id, vector literal) rows.
    const projections = [...pcaModels].map(([id, model]) => ({
      id,
      literal: toPgVectorLiteral(projectPca(model, query)),
    }))
    const projectionIds = uuidArray(projections.map((p) => p.id))
    const projectionVectors = textArray(projections.map((p) => p.literal))

    // Full and PCA memories are scored in the database; in hybrid mode, also every memory whose
    // text matches (sparse or PQ ones included, their vector part added below or counted as 0).
    const { rows } = await db.execute<
      Row & { pq_model_id: string | null; quantized_embedding: Uint8Array | string | null }
    >(sql`
      WITH pair AS MATERIALIZED (
        SELECT memory_id, tier, compression_type, conversation_snippet, created_at, content,
               full_embedding, compressed_embedding, pca_model_id, pq_model_id, quantized_embedding
        FROM companion_memories WHERE ${pairFilter}
      ), projection AS (
        SELECT id, v::vector AS v
        FROM unnest(${projectionIds}::uuid[], ${projectionVectors}::text[]) AS t(id, v)
      )
      SELECT memory_id, tier, compression_type, conversation_snippet, created_at, pq_model_id,
             CASE WHEN compression_type = 'pq48' THEN quantized_embedding END AS quantized_embedding,
             CASE WHEN full_embedding IS NOT NULL
                    THEN 1 - (full_embedding <=> ${toPgVectorLiteral(query)}::vector)
                  WHEN compressed_embedding IS NOT NULL AND projection.v IS NOT NULL
                    THEN 1 - (compressed_embedding <=> projection.v)
             END AS vector_similarity,
             ${hybrid ? textScore : sql`NULL`}::float8 AS text_score
      FROM pair LEFT JOIN projection ON projection.id = pair.pca_model_id
      WHERE full_embedding IS NOT NULL
         OR (compressed_embedding IS NOT NULL AND projection.v IS NOT NULL)
         OR (quantized_embedding IS NOT NULL AND compression_type = 'pq48')
         OR (${hybrid} AND to_tsvector('english', content) @@ plainto_tsquery('english', ${text}))`)

    // PQ codes are scored here, one distance table per model.
    const tables = new Map<string, Float32Array>()
    hits = []
    for (const row of rows) {
      let vector = row.vector_similarity === null ? null : Number(row.vector_similarity)
      if (row.quantized_embedding !== null && row.pq_model_id !== null) {
        const pq = pqModels.get(row.pq_model_id)
        if (pq) {
          let table = tables.get(row.pq_model_id)
          if (!table) tables.set(row.pq_model_id, (table = distanceTable(pq.model, query)))
          vector = adcCosine(table, pq.norms, fromBytea(row.quantized_embedding))
        }
      }
      const textRank = row.text_score === null ? null : Number(row.text_score)
      if (vector === null && !(hybrid && (textRank ?? 0) > 0)) continue
      hits.push(hitOf({ ...row, vector_similarity: vector }, score(vector, textRank)))
    }
    hits.sort(
      (a, b) =>
        b.similarity - a.similarity || (b.created_at ?? '').localeCompare(a.created_at ?? ''),
    )
    hits = hits.slice(0, input.k)
  }

  if (hits.length > 0) {
    const elapsedMs = Date.now() - started
    // One statement for all of them; a memory deleted meanwhile is skipped, not an error.
    await db.execute(sql`
      SELECT record_memory_access(a.id, ${`search_${input.mode}`}, a.score, ${elapsedMs}::int)
      FROM unnest(${uuidArray(hits.map((h) => h.memory_id))}::uuid[],
                  ${`{${hits.map((h) => h.similarity).join(',')}}`}::float8[]) AS a(id, score)
      WHERE EXISTS (SELECT 1 FROM companion_memories m WHERE m.memory_id = a.id)`)
  }
  return { items: hits, mode: input.mode }
}
