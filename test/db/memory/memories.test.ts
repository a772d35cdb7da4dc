import { randomUUID } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { describe, expect, it } from 'vitest'
import { migrateDatabase } from '../../../db/migrate'
import { seedMemory } from '../../../db/seed'
import { pgliteSqlClient } from '../../../scripts/lib/embedded-postgres'
import { suitePglite } from '../../support/pglite'

const pg = suitePglite('memory', { seed: true })

/** A pgvector literal of `dims` zeros with the given entries set. */
function vec(dims: number, entries: Record<number, number>): string {
  const values = new Array<number>(dims).fill(0)
  for (const [i, v] of Object.entries(entries)) values[Number(i)] = v
  return `[${values.join(',')}]`
}

interface MemoryInput {
  companionId: string
  userId: string
  tier: 'core' | 'important' | 'background' | 'sparse'
  compressionType?: 'full' | 'pca384' | 'pq48' | 'sparse_only'
  full?: string
  compressed?: string
  quantized?: Uint8Array
  content?: string
  valence?: number
}

let encodingModels: { pca: string; pq: string } | undefined

/** One PCA and one PQ model row: a compressed memory must name the model that encoded it. */
async function ensureEncodingModels() {
  if (encodingModels) return encodingModels
  const pca = await pg.client.query<{ model_id: string }>(
    `INSERT INTO pca_models (model_name, n_components, explained_variance_ratio, model_data, training_samples)
     VALUES ('test-pca', 384, 0.95, '\\x00'::bytea, 1000) RETURNING model_id`,
  )
  const pq = await pg.client.query<{ model_id: string }>(
    `INSERT INTO pq_models (model_name, centroids_data, training_samples)
     VALUES ('test-pq', '\\x00'::bytea, 1000) RETURNING model_id`,
  )
  encodingModels = { pca: pca.rows[0].model_id, pq: pq.rows[0].model_id }
  return encodingModels
}

async function insertMemory(m: MemoryInput): Promise<string> {
  const models = await ensureEncodingModels()
  const { rows } = await pg.client.query<{ memory_id: string }>(
    `INSERT INTO companion_memories (
       companion_id, user_id, content, tier, significance_score, compression_type,
       full_embedding, compressed_embedding, quantized_embedding,
       conversation_hash, key_phrases, emotional_intensity, emotional_valence,
       pca_model_id, pq_model_id)
     VALUES ($1, $2, $3, $4::memory_tier_enum, 0.5, $5::compression_type_enum,
             $6::vector, $7::vector, $8::bytea, $9, $10::text[], 0.5, $11, $12, $13)
     RETURNING memory_id`,
    [
      m.companionId,
      m.userId,
      m.content ?? 'remembered something',
      m.tier,
      m.compressionType ?? 'full',
      m.full ?? null,
      m.compressed ?? null,
      m.quantized ?? null,
      randomUUID().replaceAll('-', ''),
      ['a', 'b', 'c'],
      m.valence ?? 0,
      m.compressionType === 'pca384' ? models.pca : null,
      m.compressionType === 'pq48' ? models.pq : null,
    ],
  )
  return rows[0].memory_id
}

async function stats(companionId: string, userId: string) {
  const { rows } = await pg.client.query(
    `SELECT total_memories, core_memories_count AS core, important_memories_count AS important,
            background_memories_count AS background, sparse_memories_count AS sparse,
            total_storage_bytes::int AS bytes, compression_ratio AS ratio
     FROM companion_relationships WHERE companion_id = $1 AND user_id = $2`,
    [companionId, userId],
  )
  return rows[0]
}

const FULL_BYTES = 768 * 4
const PCA_BYTES = 384 * 4
const PQ_BYTES = 48

describe('update_relationship_stats', () => {
  it('counts memories per tier and their storage bytes after inserts, an update and a delete', async () => {
    const pair = { companionId: `companion_${randomUUID()}`, userId: randomUUID() }
    const core1 = await insertMemory({ ...pair, tier: 'core', full: vec(768, { 0: 1 }) })
    await insertMemory({ ...pair, tier: 'core', full: vec(768, { 1: 1 }) })
    const important = await insertMemory({
      ...pair,
      tier: 'important',
      compressionType: 'pca384',
      compressed: vec(384, { 0: 1 }),
    })
    await insertMemory({
      ...pair,
      tier: 'background',
      compressionType: 'pq48',
      quantized: new Uint8Array(PQ_BYTES),
    })
    await insertMemory({ ...pair, tier: 'sparse', compressionType: 'sparse_only' })

    const afterInsert = 2 * FULL_BYTES + PCA_BYTES + PQ_BYTES
    expect(await stats(pair.companionId, pair.userId), 'after 5 inserts').toEqual({
      total_memories: 5,
      core: 2,
      important: 1,
      background: 1,
      sparse: 1,
      bytes: afterInsert,
      ratio: (4 * FULL_BYTES) / afterInsert,
    })

    await pg.client.query(
      `UPDATE companion_memories SET tier = 'background', compression_type = 'pq48',
         compressed_embedding = NULL, quantized_embedding = $2::bytea, pq_model_id = $3
       WHERE memory_id = $1`,
      [important, new Uint8Array(PQ_BYTES), (await ensureEncodingModels()).pq],
    )
    const afterUpdate = 2 * FULL_BYTES + 2 * PQ_BYTES
    expect(await stats(pair.companionId, pair.userId), 'after compressing one to PQ').toMatchObject(
      {
        total_memories: 5,
        core: 2,
        important: 0,
        background: 2,
        sparse: 1,
        bytes: afterUpdate,
      },
    )

    await pg.client.query('DELETE FROM companion_memories WHERE memory_id = $1', [core1])
    expect(
      await stats(pair.companionId, pair.userId),
      'after deleting a core memory',
    ).toMatchObject({
      total_memories: 4,
      core: 1,
      important: 0,
      background: 2,
      sparse: 1,
      bytes: FULL_BYTES + 2 * PQ_BYTES,
    })
  })

  it('moves the counts when a memory changes user', async () => {
    const companionId = `companion_${randomUUID()}`
    const [from, to] = [randomUUID(), randomUUID()]
    const id = await insertMemory({
      companionId,
      userId: from,
      tier: 'sparse',
      compressionType: 'sparse_only',
    })
    await pg.client.query('UPDATE companion_memories SET user_id = $2 WHERE memory_id = $1', [
      id,
      to,
    ])
    expect((await stats(companionId, from)).total_memories, 'old pair').toBe(0)
    expect((await stats(companionId, to)).total_memories, 'new pair').toBe(1)
  })

  it('ignores access bookkeeping updates', async () => {
    const pair = { companionId: `companion_${randomUUID()}`, userId: randomUUID() }
    const id = await insertMemory({ ...pair, tier: 'sparse', compressionType: 'sparse_only' })
    await pg.client.query(
      "UPDATE companion_relationships SET last_updated = '2000-01-01Z' WHERE companion_id = $1",
      [pair.companionId],
    )
    await pg.client.query('UPDATE companion_memories SET access_count = 7 WHERE memory_id = $1', [
      id,
    ])
    const { rows } = await pg.client.query(
      'SELECT last_updated FROM companion_relationships WHERE companion_id = $1',
      [pair.companionId],
    )
    expect(rows[0].last_updated, 'statistics not recomputed').toEqual(
      new Date('2000-01-01T00:00:00Z'),
    )
  })
})

describe('companion_memories', () => {
  const pair = () => ({ companionId: `companion_${randomUUID()}`, userId: randomUUID() })

  it('rejects two embeddings in one memory', async () => {
    const error = await insertMemory({
      ...pair(),
      tier: 'core',
      full: vec(768, { 0: 1 }),
      compressed: vec(384, { 0: 1 }),
    }).then(
      () => undefined,
      (e: { code?: string; constraint?: string; message: string }) => e,
    )
    expect(error?.constraint, error?.message).toBe('valid_embedding_storage')
  })

  it('rejects a PCA-compressed memory that does not name its model', async () => {
    const p = pair()
    const error = await pg.client
      .query(
        `INSERT INTO companion_memories (companion_id, user_id, content, tier, significance_score,
           compression_type, compressed_embedding, conversation_hash, key_phrases,
           emotional_intensity, emotional_valence)
         VALUES ($1, $2, 'x', 'important', 0.5, 'pca384', $3::vector, 'h', '{}', 0.5, 0)`,
        [p.companionId, p.userId, vec(384, { 0: 1 })],
      )
      .then(
        () => undefined,
        (e: { constraint?: string; message: string }) => e,
      )
    expect(error?.constraint, error?.message).toBe('compressed_memory_names_its_model')
  })

  it('rejects emotional_valence 2', async () => {
    const error = await insertMemory({ ...pair(), tier: 'sparse', valence: 2 }).then(
      () => undefined,
      (e: { code?: string; constraint?: string; message: string }) => e,
    )
    expect(error?.constraint, error?.message).toBe('companion_memories_emotional_valence_check')
  })

  it('finds the nearest neighbour of a 768-dimension query by cosine distance', async () => {
    const p = pair()
    const north = await insertMemory({
      ...p,
      tier: 'core',
      full: vec(768, { 0: 1 }),
      content: 'north',
    })
    const nearNorth = await insertMemory({
      ...p,
      tier: 'core',
      full: vec(768, { 0: 0.8, 5: 0.6 }),
      content: 'near north',
    })
    await insertMemory({ ...p, tier: 'core', full: vec(768, { 700: 1 }), content: 'far away' })
    const { rows } = await pg.client.query<{ memory_id: string; similarity: number }>(
      `SELECT memory_id, 1 - (full_embedding <=> $1::vector) AS similarity
       FROM companion_memories
       WHERE companion_id = $2 AND user_id = $3 AND full_embedding IS NOT NULL
       ORDER BY full_embedding <=> $1::vector LIMIT 2`,
      [vec(768, { 0: 0.99, 1: 0.01 }), p.companionId, p.userId],
    )
    expect(
      rows.map((r) => r.memory_id),
      'two nearest',
    ).toEqual([north, nearNorth])
    expect(rows[0].similarity).toBeGreaterThan(0.99)
  })

  it('has HNSW cosine indexes on both embedding columns', async () => {
    const { rows } = await pg.client.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes
       WHERE tablename = 'companion_memories' AND indexdef LIKE '%hnsw%' ORDER BY indexname`,
    )
    expect(rows.map((r) => r.indexname)).toEqual([
      'idx_memories_compressed_embedding_cosine',
      'idx_memories_full_embedding_cosine',
      'idx_memories_full_embedding_l2',
    ])
    expect(rows[1].indexdef).toContain('vector_cosine_ops')
  })

  it('matches the memory text in the hybrid search of 001', async () => {
    const p = pair()
    const id = await insertMemory({
      ...p,
      tier: 'core',
      full: vec(768, { 3: 1 }),
      content: 'We talked about sailing boats',
    })
    const { rows } = await pg.client.query<{ memory_id: string }>(
      `SELECT m.memory_id FROM companion_memories m
       WHERE m.companion_id = $3
         AND (m.full_embedding <=> $1::vector < 0.5
              OR to_tsvector('english', m.content) @@ plainto_tsquery('english', $2))
       ORDER BY (0.7 * (1 - (m.full_embedding <=> $1::vector)))
              + (0.3 * ts_rank(to_tsvector('english', m.content), plainto_tsquery('english', $2))) DESC
       LIMIT 20`,
      [vec(768, { 400: 1 }), 'sailing', p.companionId],
    )
    expect(rows.map((r) => r.memory_id)).toEqual([id])
  })
})

describe('record_memory_access', () => {
  it('logs the access and bumps the access count', async () => {
    const id = await insertMemory({
      companionId: `c_${randomUUID()}`,
      userId: randomUUID(),
      tier: 'sparse',
      compressionType: 'sparse_only',
    })
    await pg.client.query("SELECT record_memory_access($1, 'similarity_search', 0.9, 12)", [id])
    await pg.client.query("SELECT record_memory_access($1, 'direct_recall')", [id])
    const memory = await pg.client.query(
      'SELECT access_count FROM companion_memories WHERE memory_id = $1',
      [id],
    )
    expect(memory.rows[0]).toEqual({ access_count: 2 })
    const log = await pg.client.query(
      'SELECT access_type, similarity_score, retrieval_time_ms FROM memory_access_patterns WHERE memory_id = $1 ORDER BY access_type',
      [id],
    )
    expect(log.rows).toEqual([
      { access_type: 'direct_recall', similarity_score: null, retrieval_time_ms: null },
      { access_type: 'similarity_search', similarity_score: 0.9, retrieval_time_ms: 12 },
    ])
  })

  it('raises no_data_found for an unknown memory', async () => {
    const error = await pg.client
      .query("SELECT record_memory_access($1, 'direct_recall')", [randomUUID()])
      .then(
        () => undefined,
        (e: { code?: string; message: string }) => e,
      )
    expect(error?.code, error?.message).toBe('P0002')
  })
})

describe('memory views', () => {
  it('v_compression_candidates recommends PCA for old important memories and PQ for old background ones', async () => {
    const p = { companionId: `c_${randomUUID()}`, userId: randomUUID() }
    const important = await insertMemory({ ...p, tier: 'important', full: vec(768, { 0: 1 }) })
    const background = await insertMemory({
      ...p,
      tier: 'background',
      compressionType: 'pca384',
      compressed: vec(384, { 0: 1 }),
    })
    const young = await insertMemory({ ...p, tier: 'important', full: vec(768, { 1: 1 }) })
    await pg.client.query(
      "UPDATE companion_memories SET created_at = now() - interval '31 days' WHERE memory_id = ANY($1::uuid[])",
      [[important, background]],
    )
    const { rows } = await pg.client.query<{
      memory_id: string
      age_days: number
      compression_recommendation: string
    }>(
      'SELECT memory_id, age_days, compression_recommendation FROM v_compression_candidates WHERE companion_id = $1',
      [p.companionId],
    )
    const byId = Object.fromEntries(
      rows.map((r) => [r.memory_id, [r.age_days, r.compression_recommendation]]),
    )
    expect(byId).toEqual({
      [important]: [31, 'PCA_CANDIDATE'],
      [background]: [31, 'PQ_CANDIDATE'],
      [young]: [0, 'NO_COMPRESSION'],
    })
  })

  it('v_memory_efficiency and v_memory_recall_performance report per companion', async () => {
    const p = { companionId: `c_${randomUUID()}`, userId: randomUUID() }
    const id = await insertMemory({ ...p, tier: 'core', full: vec(768, { 0: 1 }) })
    await insertMemory({ ...p, tier: 'sparse', compressionType: 'sparse_only' })
    await pg.client.query("SELECT record_memory_access($1, 'similarity_search', 0.8, 10)", [id])
    await pg.client.query("SELECT record_memory_access($1, 'similarity_search', 0.6, 30)", [id])
    const efficiency = await pg.client.query(
      'SELECT total_memories, storage_kb::float AS storage_kb, core_memory_percent::float AS core_memory_percent FROM v_memory_efficiency WHERE companion_id = $1',
      [p.companionId],
    )
    expect(efficiency.rows).toEqual([{ total_memories: 2, storage_kb: 3, core_memory_percent: 50 }])
    const recall = await pg.client.query(
      `SELECT access_count::int AS n, avg_similarity_score::float AS sim, avg_retrieval_time_ms::float AS ms
       FROM v_memory_recall_performance WHERE companion_id = $1`,
      [p.companionId],
    )
    expect(recall.rows).toEqual([{ n: 2, sim: 0.7, ms: 20 }])
  })
})

describe('seedMemory', () => {
  it('seeds the 4 tiers and 4 metadata rows, and changes nothing when run again', async () => {
    const snapshot = async () =>
      (
        await pg.client.query(
          `SELECT 'tier' AS kind, xmin::text || t::text AS r FROM memory_tier_config t
           UNION ALL SELECT 'meta', xmin::text || m::text FROM schema_metadata m ORDER BY 1, 2`,
        )
      ).rows
    const before = await snapshot()
    expect(before.filter((r) => r.kind === 'tier').length, 'tiers').toBe(4)
    expect(before.filter((r) => r.kind === 'meta').length, 'metadata').toBe(4)
    await seedMemory(pg.client)
    expect(await snapshot()).toEqual(before)
    const { rows } = await pg.client.query(
      "SELECT max_memories, compression_after_days, target_compression_type FROM memory_tier_config WHERE tier = 'important'",
    )
    expect(rows[0]).toEqual({
      max_memories: 200,
      compression_after_days: 30,
      target_compression_type: 'pca384',
    })
  })
})

describe('memory migrations', () => {
  it('enable pgvector first and are a no-op when run a second time', async () => {
    const result = await migrateDatabase(pg.client, 'memory')
    expect(result.applied).toEqual([])
    expect(result.skipped[0]).toBe('0000_enable_pgvector.sql')
  })

  it('create the vector extension themselves on an empty database', async () => {
    // openPglite creates the extension; a bare PGlite only has it available.
    const db = await PGlite.create({ extensions: { vector } })
    try {
      const client = pgliteSqlClient(db)
      const result = await migrateDatabase(client, 'memory')
      expect(result.applied[0]).toBe('0000_enable_pgvector.sql')
      const { rows } = await client.query(
        "SELECT extname FROM pg_extension WHERE extname = 'vector'",
      )
      expect(rows).toEqual([{ extname: 'vector' }])
    } finally {
      await db.close()
    }
  })
})
