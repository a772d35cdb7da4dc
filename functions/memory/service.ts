/**
 * Companion memories: writing (dedup by conversation hash, tier caps with demotion, links to
 * related memories, relationship stage), reading, deleting and forgetting a user.
 *
 * Every write for a (companion, user) pair runs in one transaction holding
 * `pg_advisory_xact_lock(hashtext(companion_id || ':' || user_id))`, so two concurrent writes can
 * neither both insert the same text nor both squeeze into the last free slot of a tier.
 * `companion_relationships` counts and storage are kept by the trigger `update_relationship_stats`;
 * this module adds what the trigger does not know: interactions, trust and the stage.
 */
import { sql, type SQL } from 'drizzle-orm'
import type { MemoryDb as Db, MemoryTx } from '../../db/client'
import type { Identity } from '../lib/auth'
import { sha256Hex } from '../lib/encoding'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { actingUser, ownerFilter } from './access'
import { toPgVectorLiteral } from './compression/codec'
import { normalizeInPlace } from './compression/vector'
import { EMBEDDING_DIMENSIONS, type Embedder } from './embedder'
import type { CreateMemoryBody, MemoryTier } from './schemas'
import {
  enforceTierCaps,
  laterStage,
  readTierCaps,
  stageFor,
  tierForSignificance,
  tierStoresEmbedding,
  type Demotion,
  type RelationshipStage,
} from './tiers'

/** Characters of `conversation_snippet`. */
export const SNIPPET_CHARS = 200
/** Key phrases extracted when the writer gives none. */
export const MAX_KEY_PHRASES = 8
/** Bytes of a full 768-d float32 embedding (`original_size`). */
export const FULL_EMBEDDING_BYTES = EMBEDDING_DIMENSIONS * 4
/**
 * A new memory is linked to the nearest memories of the same pair whose full-embedding cosine is at
 * least this (at most `MAX_RELATED_MEMORIES`). 0.75 keeps paraphrases and same-topic memories and
 * drops mere shared vocabulary for the local hash embedder; BGE cosines of related sentences
 * typically sit above 0.75 as well.
 */
export const RELATED_MEMORY_MIN_COSINE = 0.75
export const MAX_RELATED_MEMORIES = 5

/** Lower-cased, whitespace collapsed and trimmed: the text the conversation hash covers. */
export function normalizeMemoryText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim()
}

/** SHA-256 hex of the normalized text. */
export const conversationHash = (text: string): Promise<string> =>
  sha256Hex(normalizeMemoryText(text))

/** The first `SNIPPET_CHARS` characters of the text, whitespace collapsed. */
export function snippetOf(text: string): string {
  return Array.from(text.replace(/\s+/g, ' ').trim()).slice(0, SNIPPET_CHARS).join('')
}

const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being
  below between both but by can could did do does doing down during each few for from further had
  has have having he her here hers herself him himself his how i if in into is it its itself just
  me more most my myself no nor not now of off on once only or other our ours ourselves out over
  own same she should so some such than that the their theirs them themselves then there these they
  this those through to too under until up very was we were what when where which while who whom
  why will with would you your yours yourself yourselves also get got like really yes yeah okay
  ok one two me im i'm dont don't cant can't it's that's let lets us said say says`.split(/\s+/),
)

/**
 * Up to `MAX_KEY_PHRASES` words of the text, most frequent first (ties: first occurrence), ignoring
 * stopwords, numbers and words shorter than 3 characters. Deliberately simple: a stand-in until a
 * model extracts phrases.
 */
export function extractKeyPhrases(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []
  const counts = new Map<string, { n: number; first: number }>()
  words.forEach((raw, i) => {
    const word = raw.replace(/^'+|'+$/g, '')
    if (word.length < 3 || STOPWORDS.has(word) || /^\p{N}+$/u.test(word)) return
    const entry = counts.get(word)
    if (entry) entry.n += 1
    else counts.set(word, { n: 1, first: i })
  })
  return [...counts.entries()]
    .sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first)
    .slice(0, MAX_KEY_PHRASES)
    .map(([word]) => word)
}

/** An L2-normalized float32 copy of `values`; 400 when it has no direction. */
export function unitVector(values: ArrayLike<number>): Float32Array {
  const v = normalizeInPlace(Float32Array.from(values))
  if (!v.every(Number.isFinite) || v.every((x) => x === 0)) {
    throw new ApiError('validation_error', 'the embedding cannot be normalized', [
      { path: ['embedding'], message: 'must be a finite, non-zero vector' },
    ])
  }
  return v
}

const iso = (value: unknown): string | null => isoTimestamp(value as string | Date | null)

/** Columns of the memory resource, in SQL. */
const MEMORY_COLUMNS = sql.raw(`memory_id, companion_id, user_id, content, tier,
  significance_score, emotional_intensity, emotional_valence, key_phrases, conversation_snippet,
  conversation_hash, interaction_context, compression_type, original_size, compressed_size,
  compression_ratio, access_count, created_at, last_accessed`)

type MemoryRow = {
  memory_id: string
  companion_id: string
  user_id: string
  content: string
  tier: MemoryTier
  significance_score: number
  emotional_intensity: number
  emotional_valence: number
  key_phrases: string[]
  conversation_snippet: string | null
  conversation_hash: string
  interaction_context: unknown
  compression_type: 'full' | 'pca384' | 'pq48' | 'sparse_only'
  original_size: number | null
  compressed_size: number | null
  compression_ratio: number | null
  access_count: number
  created_at: unknown
  last_accessed: unknown
}

/** The API representation of a memory row. */
function memoryOf(row: MemoryRow) {
  return {
    memory_id: row.memory_id,
    companion_id: row.companion_id,
    user_id: row.user_id,
    content: row.content,
    tier: row.tier,
    significance_score: Number(row.significance_score),
    emotional_intensity: Number(row.emotional_intensity),
    emotional_valence: Number(row.emotional_valence),
    key_phrases: row.key_phrases ?? [],
    snippet: row.conversation_snippet,
    conversation_hash: row.conversation_hash,
    interaction_context: row.interaction_context ?? null,
    compression_type: row.compression_type,
    original_size: row.original_size === null ? null : Number(row.original_size),
    compressed_size: row.compressed_size === null ? null : Number(row.compressed_size),
    compression_ratio: row.compression_ratio === null ? null : Number(row.compression_ratio),
    access_count: Number(row.access_count),
    created_at: iso(row.created_at),
    last_accessed: iso(row.last_accessed),
  }
}

/** A (companion, user) pair. */
export interface Pair {
  companionId: string
  userId: string
}

const pairWhere = (pair: Pair): SQL =>
  sql`companion_id = ${pair.companionId} AND user_id = ${pair.userId}::uuid`

/** Serializes writes of one pair until the transaction ends. */
async function lockPair(tx: MemoryTx, pair: Pair): Promise<void> {
  await tx.execute(
    sql`SELECT pg_advisory_xact_lock(hashtext(${pair.companionId} || ':' || ${pair.userId}))`,
  )
}

async function findByHash(db: Db, pair: Pair, hash: string) {
  const { rows } = await db.execute<MemoryRow>(sql`
    SELECT ${MEMORY_COLUMNS} FROM companion_memories
    WHERE ${pairWhere(pair)} AND conversation_hash = ${hash}
    LIMIT 1`)
  return rows[0]
}

/**
 * Adds one interaction to the pair's relationship, recomputes trust (mean significance of the
 * pair's memories; 0.5, the column default, when none are left) and advances the stage. Stages
 * never fall back. The row exists: the statistics trigger creates it with the first memory.
 */
async function touchRelationship(tx: MemoryTx, pair: Pair, interactions: number): Promise<void> {
  const { rows } = await tx.execute<{
    interaction_count: number
    trust_level: number
    stage: RelationshipStage
  }>(sql`
    UPDATE companion_relationships SET
      interaction_count = coalesce(interaction_count, 0) + ${interactions}::int,
      last_interaction = CASE WHEN ${interactions}::int > 0 THEN now() ELSE last_interaction END,
      trust_level = coalesce(
        (SELECT avg(significance_score) FROM companion_memories WHERE ${pairWhere(pair)}), 0.5)
    WHERE ${pairWhere(pair)}
    RETURNING interaction_count, trust_level, stage`)
  const row = rows[0]
  if (!row) return
  const stage = laterStage(
    row.stage,
    stageFor(Number(row.interaction_count), Number(row.trust_level)),
  )
  if (stage !== row.stage) {
    await tx.execute(sql`
      UPDATE companion_relationships SET stage = ${stage}::relationship_stage_enum
      WHERE ${pairWhere(pair)}`)
  }
}

/** What `createMemory` needs: the caller, the companion, the body and the embedder to use. */
export interface CreateMemoryInput {
  actor: Identity
  companion_id: string
  body: CreateMemoryBody
  embedder: Embedder
}

/**
 * Stores a memory, or returns the pair's existing memory with the same normalized text
 * (`duplicate: true`, one access recorded). The embedding is the writer's, else the embedder's
 * (not computed for a sparse memory, which stores none). Returns the memory as it ended up (it may
 * itself have been demoted), the memories the cascade moved, and the related memories linked.
 */
export async function createMemory(db: Db, input: CreateMemoryInput) {
  const { body, embedder } = input
  const pair: Pair = {
    companionId: input.companion_id,
    userId: actingUser(input.actor, body.user_id, ['service']),
  }
  const hash = await conversationHash(body.content)
  const tier = body.tier ?? tierForSignificance(body.significance_score)

  // Checked again under the lock; this read only spares an embedding call for a duplicate.
  const existing = await findByHash(db, pair, hash)
  let embedding: Float32Array | undefined
  if (body.embedding) embedding = unitVector(body.embedding)
  else if (!existing && tierStoresEmbedding(tier)) {
    ;[embedding] = await embedder.embed([body.content])
  }
  const caps = await readTierCaps(db)

  return db.transaction(async (tx) => {
    await lockPair(tx, pair)
    const duplicate = await findByHash(tx, pair, hash)
    if (duplicate) {
      await tx.execute(
        sql`SELECT record_memory_access(${duplicate.memory_id}::uuid, 'duplicate_write')`,
      )
      await touchRelationship(tx, pair, 1)
      const [row] = (
        await tx.execute<MemoryRow>(sql`
          SELECT ${MEMORY_COLUMNS} FROM companion_memories
          WHERE memory_id = ${duplicate.memory_id}::uuid`)
      ).rows
      return {
        created: false,
        memory: { ...memoryOf(row), duplicate: true, related: [], demoted: [] as Demotion[] },
      }
    }

    // Rare: the duplicate seen before the lock was deleted meanwhile, so nothing was embedded.
    if (!embedding && tierStoresEmbedding(tier)) [embedding] = await embedder.embed([body.content])
    const stored = tierStoresEmbedding(tier) ? embedding : undefined
    const literal = stored ? toPgVectorLiteral(stored) : null
    const keyPhrases = body.key_phrases?.length
      ? [...new Set(body.key_phrases)]
      : extractKeyPhrases(body.content)
    const { rows: inserted } = await tx.execute<{ memory_id: string }>(sql`
      INSERT INTO companion_memories (
        companion_id, user_id, content, tier, significance_score, compression_type,
        full_embedding, conversation_hash, key_phrases, conversation_snippet,
        emotional_intensity, emotional_valence, interaction_context,
        original_size, compressed_size, compression_ratio
      ) VALUES (
        ${pair.companionId}, ${pair.userId}::uuid, ${body.content}, ${tier}::memory_tier_enum,
        ${body.significance_score},
        ${stored ? 'full' : 'sparse_only'}::compression_type_enum,
        ${literal}::vector, ${hash}, ${textArray(keyPhrases)}::text[], ${snippetOf(body.content)},
        ${body.emotional_intensity}, ${body.emotional_valence},
        ${body.interaction_context === undefined ? null : JSON.stringify(body.interaction_context)}::jsonb,
        ${FULL_EMBEDDING_BYTES}, ${stored ? FULL_EMBEDDING_BYTES : 0},
        ${stored ? 1 : null}::float8
      )
      RETURNING memory_id`)
    const memoryId = inserted[0].memory_id

    const demoted = await enforceTierCaps(tx, pair, tier, caps)
    const related = embedding ? await linkRelated(tx, pair, memoryId, embedding) : []
    await touchRelationship(tx, pair, 1)

    const [row] = (
      await tx.execute<MemoryRow>(sql`
        SELECT ${MEMORY_COLUMNS} FROM companion_memories WHERE memory_id = ${memoryId}::uuid`)
    ).rows
    return { created: true, memory: { ...memoryOf(row), duplicate: false, related, demoted } }
  })
}

/**
 * Links `memoryId` to the pair's nearest memories by full-embedding cosine (at least
 * `RELATED_MEMORY_MIN_COSINE`, at most `MAX_RELATED_MEMORIES`). The pair's rows are materialized
 * first so the search is exact over them: an HNSW scan over the whole table, filtered to the pair
 * afterwards, could return none of them.
 */
async function linkRelated(
  tx: MemoryTx,
  pair: Pair,
  memoryId: string,
  embedding: Float32Array,
): Promise<Array<{ memory_id: string; strength: number }>> {
  const { rows } = await tx.execute<{ related_memory_id: string; strength: number }>(sql`
    WITH candidates AS MATERIALIZED (
      SELECT memory_id, full_embedding FROM companion_memories
      WHERE ${pairWhere(pair)} AND memory_id <> ${memoryId}::uuid AND full_embedding IS NOT NULL
    ), nearest AS (
      SELECT memory_id, 1 - (full_embedding <=> ${toPgVectorLiteral(embedding)}::vector) AS cosine
      FROM candidates ORDER BY cosine DESC LIMIT ${MAX_RELATED_MEMORIES}
    )
    INSERT INTO memory_relationships (memory_id, related_memory_id, relationship_type, strength)
    SELECT ${memoryId}::uuid, memory_id, 'similar', cosine FROM nearest
    WHERE cosine >= ${RELATED_MEMORY_MIN_COSINE}
    RETURNING related_memory_id, strength`)
  return rows
    .map((r) => ({ memory_id: r.related_memory_id, strength: Number(r.strength) }))
    .sort((a, b) => b.strength - a.strength)
}

/** A Postgres array literal of texts (quoted, so commas and quotes inside are safe). */
export function textArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (ch) => `\\${ch}`)}"`).join(',')}}`
}

/**
 * One memory with a companion: the caller's own, any user's for a service or admin. 404 for a
 * memory that is not the caller's (never 403: ids are not disclosed).
 */
export async function getMemory(
  db: Db,
  args: { actor: Identity; companion_id: string; memory_id: string },
) {
  const userId = ownerFilter(args.actor)
  const { rows } = await db.execute<MemoryRow>(sql`
    SELECT ${MEMORY_COLUMNS} FROM companion_memories
    WHERE memory_id = ${args.memory_id}::uuid AND companion_id = ${args.companion_id}
      AND (${userId}::uuid IS NULL OR user_id = ${userId}::uuid)`)
  if (!rows[0]) throw new ApiError('not_found', 'no such memory')
  return memoryOf(rows[0])
}

/**
 * The caller's memories with a companion (any user's for a service or admin, by `user_id`),
 * newest first, a page at a time; optionally one tier only.
 */
export async function listMemories(
  db: Db,
  args: {
    actor: Identity
    companion_id: string
    user_id?: string
    tier?: MemoryTier
    limit: number
    cursor?: TimestampIdCursor
  },
) {
  const pair: Pair = {
    companionId: args.companion_id,
    userId: actingUser(args.actor, args.user_id, ['service', 'admin']),
  }
  const createdAt = sql.raw('created_at')
  const after = afterTimestampId(createdAt, sql.raw('memory_id'), args.cursor, 'desc')
  const { rows } = await db.execute<MemoryRow & { cursor_t: string }>(sql`
    SELECT ${MEMORY_COLUMNS}, ${cursorTimestamp(createdAt)} AS cursor_t
    FROM companion_memories
    WHERE ${pairWhere(pair)}
      ${args.tier ? sql`AND tier = ${args.tier}::memory_tier_enum` : sql``}
      ${after ? sql`AND ${after}` : sql``}
    ORDER BY created_at DESC, memory_id DESC
    LIMIT ${args.limit + 1}`)
  return pageOf(rows, args.limit, memoryOf, (r) => ({ t: r.cursor_t, id: r.memory_id }))
}

/**
 * Deletes one memory (links and access log cascade); the relationship statistics follow. The
 * caller's own, any user's for a service or admin; 404 otherwise.
 */
export async function deleteMemory(
  db: Db,
  args: { actor: Identity; companion_id: string; memory_id: string },
): Promise<void> {
  const userId = ownerFilter(args.actor)
  await db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ user_id: string }>(sql`
      SELECT user_id FROM companion_memories
      WHERE memory_id = ${args.memory_id}::uuid AND companion_id = ${args.companion_id}
        AND (${userId}::uuid IS NULL OR user_id = ${userId}::uuid)`)
    if (!rows[0]) throw new ApiError('not_found', 'no such memory')
    const pair = { companionId: args.companion_id, userId: rows[0].user_id }
    await lockPair(tx, pair)
    await tx.execute(sql`DELETE FROM companion_memories WHERE memory_id = ${args.memory_id}::uuid`)
    await touchRelationship(tx, pair, 0)
  })
}

/**
 * Forgets a user: deletes every memory of theirs (links and access log cascade), then their
 * relationship rows (after the memories, whose delete trigger would otherwise recreate them), their
 * compression analytics and their memory analytics snapshots. Companion-wide analytics rows (no
 * user) are aggregates over several users and stay.
 */
export async function forgetUser(db: Db, input: { actor: Identity; user_id: string }) {
  const userId = actingUser(input.actor, input.user_id, ['admin'])
  return db.transaction(async (tx) => {
    // Waits for writes in flight to each of the user's pairs (in a fixed order: no deadlock
    // between two forgets); a write to a pair the user did not have yet is not covered.
    await tx.execute(sql`
      SELECT pg_advisory_xact_lock(hashtext(companion_id || ':' || ${userId}))
      FROM (SELECT DISTINCT companion_id FROM companion_memories WHERE user_id = ${userId}::uuid
            ORDER BY companion_id) pairs`)
    /** Deletes the user's rows of `table` and returns how many there were. */
    const deleteRowsOf = async (
      table:
        | 'companion_memories'
        | 'companion_relationships'
        | 'compression_analytics'
        | 'memory_analytics',
    ) => {
      const { rows } = await tx.execute<{ n: number }>(sql`
        WITH gone AS (DELETE FROM ${sql.identifier(table)} WHERE user_id = ${userId}::uuid RETURNING 1)
        SELECT count(*)::int AS n FROM gone`)
      return Number(rows[0]?.n ?? 0)
    }
    // Memories first: their delete trigger would recreate the relationship rows.
    const memories = await deleteRowsOf('companion_memories')
    return {
      user_id: userId,
      memories,
      relationships: await deleteRowsOf('companion_relationships'),
      compression_analytics: await deleteRowsOf('compression_analytics'),
      memory_analytics: await deleteRowsOf('memory_analytics'),
    }
  })
}

/**
 * The caller's relationship with a companion (any user's for a service or admin); 404 before the
 * first memory.
 */
export async function getRelationship(
  db: Db,
  input: { actor: Identity; companion_id: string; user_id?: string },
) {
  const pair: Pair = {
    companionId: input.companion_id,
    userId: actingUser(input.actor, input.user_id, ['service', 'admin']),
  }
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    SELECT companion_id, user_id, stage, trust_level, quality_score, interaction_count,
           total_memories, core_memories_count, important_memories_count,
           background_memories_count, sparse_memories_count, total_storage_bytes,
           compression_ratio, relationship_started, last_interaction
    FROM companion_relationships WHERE ${pairWhere(pair)}`)
  const r = rows[0]
  if (!r) throw new ApiError('not_found', 'no relationship between this companion and user')
  return {
    companion_id: r.companion_id as string,
    user_id: r.user_id as string,
    stage: r.stage as RelationshipStage,
    trust_level: Number(r.trust_level),
    quality_score: Number(r.quality_score),
    interaction_count: Number(r.interaction_count ?? 0),
    total_memories: Number(r.total_memories),
    core_memories_count: Number(r.core_memories_count),
    important_memories_count: Number(r.important_memories_count),
    background_memories_count: Number(r.background_memories_count),
    sparse_memories_count: Number(r.sparse_memories_count),
    total_storage_bytes: Number(r.total_storage_bytes),
    compression_ratio: r.compression_ratio === null ? null : Number(r.compression_ratio),
    relationship_started: iso(r.relationship_started),
    last_interaction: iso(r.last_interaction),
  }
}

/**
 * Storage efficiency of the caller's memories with a companion (any user's for a service or
 * admin), from `v_memory_efficiency`; 404 before the first memory.
 */
export async function getMemoryEfficiency(
  db: Db,
  input: { actor: Identity; companion_id: string; user_id?: string },
) {
  const userId = actingUser(input.actor, input.user_id, ['service', 'admin'])
  const { rows } = await db.execute<{
    companion_id: string
    user_id: string
    total_memories: number
    core_memories_count: number
    important_memories_count: number
    background_memories_count: number
    sparse_memories_count: number
    total_storage_bytes: number
    storage_kb: number
    compression_ratio: number | null
    core_memory_percent: number | null
  }>(sql`
    SELECT companion_id, user_id, total_memories, core_memories_count,
           important_memories_count, background_memories_count, sparse_memories_count,
           total_storage_bytes::float8 AS total_storage_bytes, storage_kb::float8 AS storage_kb,
           compression_ratio, core_memory_percent::float8 AS core_memory_percent
    FROM v_memory_efficiency WHERE companion_id = ${input.companion_id} AND user_id = ${userId}::uuid`)
  if (!rows[0]) throw new ApiError('not_found', 'no memories of this companion and user yet')
  return rows[0]
}

/**
 * Forgets a companion: every memory keyed by `companionId` (of every user; links and access logs
 * cascade), then its relationships, analytics and compression analytics, and the encoding models
 * trained for it alone (no memory refers to them any more). Returns the counts.
 */
export async function forgetCompanion(db: Db, input: { companion_id: string }) {
  const companionId = input.companion_id
  return db.transaction(async (tx) => {
    // Waits for writes in flight to the companion's pairs (each write holds its pair's lock).
    await tx.execute(sql`
      SELECT pg_advisory_xact_lock(hashtext(${companionId} || ':' || user_id::text))
      FROM (SELECT DISTINCT user_id FROM companion_memories WHERE companion_id = ${companionId}
            ORDER BY user_id) pairs`)
    const count = async (statement: SQL) =>
      Number(
        (
          await tx.execute<{ n: number }>(sql`WITH gone AS (${statement} RETURNING 1)
          SELECT count(*)::int AS n FROM gone`)
        ).rows[0]?.n ?? 0,
      )
    // Memories first: their delete trigger would recreate the relationship rows.
    const memories = await count(
      sql`DELETE FROM companion_memories WHERE companion_id = ${companionId}`,
    )
    const relationships = await count(
      sql`DELETE FROM companion_relationships WHERE companion_id = ${companionId}`,
    )
    await tx.execute(sql`DELETE FROM memory_analytics WHERE companion_id = ${companionId}`)
    await tx.execute(sql`DELETE FROM compression_analytics WHERE companion_id = ${companionId}`)
    // Models are never deleted while a code points to them (decision 30).
    await tx.execute(sql`DELETE FROM pca_models p WHERE companion_id = ${companionId}
      AND NOT EXISTS (SELECT 1 FROM companion_memories m WHERE m.pca_model_id = p.model_id)`)
    await tx.execute(sql`DELETE FROM pq_models p WHERE companion_id = ${companionId}
      AND NOT EXISTS (SELECT 1 FROM companion_memories m WHERE m.pq_model_id = p.model_id)`)
    return { memories, relationships }
  })
}
