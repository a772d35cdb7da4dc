/**
 * `npm run bench:memory [-- --memories 100000 --pairs 200 --companions 20 --out path]`: memory
 * ingest, per-pair recall latency and recall@10 of each storage tier, on an in-process PGlite
 * (Postgres 18 + pgvector 0.8 in WASM, one session). Prints a table and writes
 * `bench-results/memory.json`.
 *
 * Data: deterministic (`clusteredVectors`, seeded per pair), 768-d, every pair filled to the tier
 * caps of 000's design: per 500 memories 50 core, 200 important (aged 40 days), 250 background
 * (aged 10 days), over 100 topic clusters shared by all pairs. One held-out query per pair.
 *
 * Phases, all in one run so every tier is compared with the same baseline:
 * 1. ingest every memory at full precision (bulk load: the HNSW indexes of the migration are
 *    dropped first and the relationship-statistics trigger is disabled; statistics are recomputed
 *    once per pair afterwards, timed separately);
 * 2. exact search per pair (`<=>` on `full_embedding`, filtered by pair, no vector index);
 * 3. a global HNSW index (cosine) built over all memories, searched with the same pair filter and
 *    pgvector's iterative scans (`hnsw.iterative_scan = relaxed_order`);
 * 4. the compression job itself (`runCompressionOn`, global models from a stratified sample of
 *    2,000), then the PCA tier (query projected with the memory's model, `<=>` on
 *    `compressed_embedding` filtered by pair) and the PQ tier (the pair's 48-byte codes fetched and
 *    ranked by ADC in JS with `adcCosine`).
 * Recall@10 of a tier is measured against exact cosine search over the same memories at full
 * precision (the original float32 vectors kept in this process). Latency percentiles come from a
 * sorted array of per-query wall times (no histogram dependency needed at these sample sizes).
 *
 * Measured at 100,000 memories (Node 20, 2 cores shared with other jobs, load ~4; 5 min 21 s in
 * all, 4.6 GB peak RSS): ingest 3,400–7,200 rows/s; per-pair p50 / p95 / recall@10: exact full
 * 4.7 / 8.7 ms / 1.0, global HNSW with the pair filter 47 / 80 ms / 0.88 (build 99–121 s), PCA-384
 * 1.9 / 6.4 ms / 0.95, PQ-48 (fetch + ADC) 2.0 / 7.9 ms / 0.75; global models on 1,800 vectors:
 * PCA 4.2–6.5 s (held-out cosine 0.963), PQ 3.4–4.2 s (0.838); the job compressed 90,000 memories
 * in 121–155 s. A pair's 500 memories are too few for the global index to pay: its filter keeps
 * 0.5% of the graph, so the iterative scan visits many tuples and still misses neighbours.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { drizzle } from 'drizzle-orm/pglite'
import { migrateDatabase } from '../db/migrate'
import { memorySchema } from '../db/client'
import {
  fromBytea,
  pqModelFromBytes,
  pcaModelFromBytes,
} from '../functions/memory/compression/codec'
import {
  runCompressionOn,
  type CompressionReport,
  type MemorySession,
} from '../functions/memory/compression/job'
import { projectPca } from '../functions/memory/compression/pca'
import { adcCosine, centroidSquaredNorms, distanceTable } from '../functions/memory/compression/pq'
import { clusteredVectors } from '../functions/memory/compression/synthetic'
import { toPgVectorLiteral } from '../functions/memory/compression/codec'
import { cosine } from '../functions/memory/compression/vector'
import { openPglite, pgliteSqlClient } from './lib/embedded-postgres'
import { binaryCopy } from './lib/vector-copy'

/** Per pair: the tier caps of 000 (core 50, important 200, background 250 of its 500). */
const TIER_SHARES = [
  { tier: 'core', share: 50, ageDays: 60 },
  { tier: 'important', share: 200, ageDays: 40 },
  { tier: 'background', share: 250, ageDays: 10 },
] as const
const PAIR_MEMORIES = 500
const K = 10
/** Pairs per COPY chunk (10 × 500 memories, ~15 MB of vectors). */
const PAIRS_PER_CHUNK = 10
/** Topic clusters shared by all pairs. */
const TOPICS = 100
/** Untimed queries before each timed phase (page cache, plan cache). */
const WARMUP_QUERIES = 5

interface Args {
  memories: number
  pairs: number
  companions: number
  out: string
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    memories: 100_000,
    pairs: 200,
    companions: 20,
    out: 'bench-results/memory.json',
  }
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]]
    if (flag === '--memories') args.memories = Number(value)
    else if (flag === '--pairs') args.pairs = Number(value)
    else if (flag === '--companions') args.companions = Number(value)
    else if (flag === '--out') args.out = value
    else throw new Error(`unknown flag ${flag}`)
  }
  if (!(args.memories > 0) || !(args.pairs > 0) || args.memories % args.pairs !== 0) {
    throw new Error('--memories must be a positive multiple of --pairs')
  }
  if (args.memories / args.pairs !== PAIR_MEMORIES) {
    // Keep the tier caps: fewer memories means fewer pairs.
    args.pairs = Math.max(1, Math.floor(args.memories / PAIR_MEMORIES))
    args.memories = args.pairs * PAIR_MEMORIES
  }
  args.companions = Math.min(args.companions, args.pairs)
  return args
}

interface Pair {
  companionId: string
  userId: string
  /** Original vectors by memory id. */
  vectors: Map<string, Float32Array>
  tierOf: Map<string, string>
  query: Float32Array
}

/** The first WARMUP_QUERIES pairs, then every pair: the first samples are dropped after. */
const withWarmup = <T>(items: T[]) => [...items.slice(0, WARMUP_QUERIES), ...items]
const dropWarmup = (...samples: number[][]) =>
  samples.forEach((s) => s.splice(0, Math.min(WARMUP_QUERIES, s.length - 1)))

/** Percentile of sorted samples (nearest rank). */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function summary(latenciesMs: number[]) {
  const sorted = [...latenciesMs].sort((a, b) => a - b)
  return {
    p50_ms: round(percentile(sorted, 50)),
    p95_ms: round(percentile(sorted, 95)),
    max_ms: round(sorted.at(-1) ?? NaN),
  }
}

const round = (x: number, digits = 3) => Number(x.toFixed(digits))

/** Ids of the exact top-k by cosine among `ids` (original float32 vectors). */
function exactTopK(pair: Pair, ids: string[], query: Float32Array, k = K): string[] {
  return ids
    .map((id) => ({ id, s: cosine(query, pair.vectors.get(id)!) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k)
    .map((x) => x.id)
}

function recall(found: string[], truth: string[]): number {
  const set = new Set(truth)
  return found.filter((id) => set.has(id)).length / truth.length
}

/** Latencies and recall@K of one search plan over every pair, warm-up queries dropped. */
interface PlanMeasurement {
  latency: number[]
  recall: number[]
}

/**
 * Times `search` once per pair (after the warm-up queries) and scores the ids it returns against
 * the exact top-K among `candidates(pair)`.
 */
async function measurePlan(
  pairs: Pair[],
  search: (pair: Pair) => Promise<string[]>,
  candidates: (pair: Pair) => string[],
): Promise<PlanMeasurement> {
  const measured: PlanMeasurement = { latency: [], recall: [] }
  for (const pair of withWarmup(pairs)) {
    const started = performance.now()
    const found = await search(pair)
    measured.latency.push(performance.now() - started)
    measured.recall.push(recall(found, exactTopK(pair, candidates(pair), pair.query)))
  }
  dropWarmup(measured.latency, measured.recall)
  return measured
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const log = (msg: string) => console.log(`[bench:memory] ${msg}`)
  const started = performance.now()
  log(`${args.memories} memories, ${args.pairs} pairs, ${args.companions} companions`)

  const pglite = await openPglite()
  const client = pgliteSqlClient(pglite)
  await migrateDatabase(client, 'memory')
  await client.query(`
    DROP INDEX idx_memories_full_embedding_cosine;
    DROP INDEX idx_memories_full_embedding_l2;
    DROP INDEX idx_memories_compressed_embedding_cosine;
    ALTER TABLE companion_memories DISABLE TRIGGER tr_update_relationship_stats;`)

  // Phase 1: generate and ingest. Vectors go in by binary COPY into a staging table (pgvector's
  // text input parses ~1 ms per 768-d literal in WASM, binary input is a copy), then one
  // INSERT … SELECT per chunk fills companion_memories with every index but the HNSW ones live.
  await client.query(`CREATE TABLE bench_stage (
    i int PRIMARY KEY, e vector(768), memory_id uuid NOT NULL DEFAULT gen_random_uuid())`)
  const pairs: Pair[] = []
  let generateMs = 0
  let insertMs = 0
  const tierAt = (position: number) => {
    let offset = 0
    for (const t of TIER_SHARES) {
      if (position < offset + t.share) return t.tier
      offset += t.share
    }
    throw new Error('position out of range')
  }
  // Every pair talks about the same TOPICS topics (vector i belongs to topic i mod TOPICS, so a
  // pair holds 5 memories of each); the last `pairs` vectors are the held-out queries.
  const t0 = performance.now()
  const all = clusteredVectors({
    count: args.memories + args.pairs,
    clusters: TOPICS,
    spread: 1,
    seed: 20_261_122,
  })
  generateMs += performance.now() - t0
  for (let p = 0; p < args.pairs; p++) {
    pairs.push({
      companionId: `companion-${String(p % args.companions).padStart(3, '0')}`,
      userId: `00000000-0000-4000-8000-${String(p).padStart(12, '0')}`,
      vectors: new Map(),
      tierOf: new Map(),
      query: all[args.memories + p],
    })
  }
  for (let first = 0; first < args.pairs; first += PAIRS_PER_CHUNK) {
    const chunkPairs = Math.min(PAIRS_PER_CHUNK, args.pairs - first)
    const t0 = performance.now()
    const rows = all.slice(first * PAIR_MEMORIES, (first + chunkPairs) * PAIR_MEMORIES)
    const blob = new Blob([binaryCopy(first * PAIR_MEMORIES, rows)])
    generateMs += performance.now() - t0
    const t1 = performance.now()
    await pglite.query(`COPY bench_stage (i, e) FROM '/dev/blob' WITH (FORMAT binary)`, [], {
      blob,
    })
    await client.query(`
      INSERT INTO companion_memories (memory_id, companion_id, user_id, content, tier,
        significance_score, full_embedding, conversation_hash, key_phrases, emotional_intensity,
        emotional_valence, created_at)
      SELECT s.memory_id,
        'companion-' || lpad(((s.i / ${PAIR_MEMORIES}) % ${args.companions})::text, 3, '0'),
        ('00000000-0000-4000-8000-' || lpad((s.i / ${PAIR_MEMORIES})::text, 12, '0'))::uuid,
        'bench memory ' || s.i, t.tier::memory_tier_enum, 0.5, s.e, md5(s.i::text),
        ARRAY['bench'], 0.5, 0, now() - make_interval(days => t.age_days)
      FROM bench_stage s
      CROSS JOIN LATERAL (SELECT CASE
        ${TIER_SHARES.map(
          (t, k) =>
            `WHEN s.i % ${PAIR_MEMORIES} < ${TIER_SHARES.slice(0, k + 1).reduce((a, x) => a + x.share, 0)}
             THEN '${t.tier}'`,
        ).join(' ')} END AS tier,
        CASE ${TIER_SHARES.map(
          (t, k) =>
            `WHEN s.i % ${PAIR_MEMORIES} < ${TIER_SHARES.slice(0, k + 1).reduce((a, x) => a + x.share, 0)}
             THEN ${t.ageDays}`,
        ).join(' ')} END AS age_days) t
      WHERE s.i >= ${first * PAIR_MEMORIES}`)
    insertMs += performance.now() - t1
    const { rows: ids } = await client.query<{ i: number; memory_id: string }>(
      `SELECT i, memory_id FROM bench_stage WHERE i >= $1 ORDER BY i`,
      [first * PAIR_MEMORIES],
    )
    for (const { i, memory_id } of ids) {
      const pair = pairs[Math.floor(i / PAIR_MEMORIES)]
      pair.vectors.set(memory_id, rows[i - first * PAIR_MEMORIES])
      pair.tierOf.set(memory_id, tierAt(i % PAIR_MEMORIES))
    }
    log(`ingested ${(first + chunkPairs) * PAIR_MEMORIES}`)
  }
  await client.query('DROP TABLE bench_stage')
  const t2 = performance.now()
  await client.query(`ALTER TABLE companion_memories ENABLE TRIGGER tr_update_relationship_stats`)
  await client.query(`
    SELECT refresh_relationship_memory_stats(companion_id, user_id)
    FROM (SELECT DISTINCT companion_id, user_id FROM companion_memories) p`)
  const statsMs = performance.now() - t2
  await client.query('ANALYZE companion_memories')
  const ingest = {
    memories: args.memories,
    generate_s: round(generateMs / 1000, 1),
    insert_s: round(insertMs / 1000, 1),
    rows_per_s: Math.round(args.memories / (insertMs / 1000)),
    relationship_stats_s: round(statsMs / 1000, 1),
  }
  log(`ingest: ${JSON.stringify(ingest)}`)

  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now()
    const result = await fn()
    return [result, performance.now() - t]
  }

  // Phase 2: exact per-pair search at full precision.
  const allIds = (pair: Pair) => [...pair.vectors.keys()]
  const idsOf = async (query: string, params: unknown[]) =>
    (await client.query<{ memory_id: string }>(query, params)).rows.map((r) => r.memory_id)
  const exact = await measurePlan(
    pairs,
    (pair) =>
      idsOf(
        `SELECT memory_id FROM companion_memories
         WHERE companion_id = $1 AND user_id = $2 AND full_embedding IS NOT NULL
         ORDER BY full_embedding <=> $3::vector LIMIT ${K}`,
        [pair.companionId, pair.userId, toPgVectorLiteral(pair.query)],
      ),
    allIds,
  )
  log(`exact: ${JSON.stringify(summary(exact.latency))} recall ${mean(exact.recall)}`)

  // Phase 3: one global HNSW index, filtered by pair with iterative scans.
  const [, hnswBuildMs] = await timed(() =>
    client.query(`
      SET maintenance_work_mem = '1GB';
      CREATE INDEX bench_full_embedding_hnsw ON companion_memories
        USING hnsw (full_embedding vector_cosine_ops);`),
  )
  log(`HNSW build ${round(hnswBuildMs / 1000, 1)} s`)
  await client.query(`
    SET hnsw.iterative_scan = relaxed_order;
    SET enable_seqscan = off;`)
  // The pair filter is written so the (user_id, companion_id) btree cannot serve it: the plan must
  // be the HNSW scan; relaxed_order results are re-sorted by distance, as pgvector recommends.
  const hnswQuery = `
    WITH candidates AS MATERIALIZED (
      SELECT memory_id, full_embedding <=> $3::vector AS distance FROM companion_memories
      WHERE companion_id || '' = $1 AND user_id::text = $2
      ORDER BY full_embedding <=> $3::vector LIMIT ${K}
    ) SELECT memory_id FROM candidates ORDER BY distance`
  const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${hnswQuery}`, [
    pairs[0].companionId,
    pairs[0].userId,
    toPgVectorLiteral(pairs[0].query),
  ])
  const usesHnsw = plan.rows.some((r) => r['QUERY PLAN'].includes('bench_full_embedding_hnsw'))
  const hnsw = await measurePlan(
    pairs,
    (pair) => idsOf(hnswQuery, [pair.companionId, pair.userId, toPgVectorLiteral(pair.query)]),
    allIds,
  )
  log(`HNSW: ${JSON.stringify(summary(hnsw.latency))} recall ${mean(hnsw.recall)} plan ${usesHnsw}`)
  await client.query(`
    RESET enable_seqscan;
    DROP INDEX bench_full_embedding_hnsw;
    ALTER TABLE companion_memories DISABLE TRIGGER tr_update_relationship_stats;`)

  // Phase 4: the compression job, global models (companion thresholds out of reach).
  const session = drizzle({ client: pglite, schema: memorySchema }) as unknown as MemorySession
  const [report, compressMs] = await timed<CompressionReport>(() =>
    runCompressionOn(session, {
      maxMemoriesPerRun: args.memories,
      batchSize: 1_000,
      maxTrainingsPerRun: 2,
      maxTrainingSamples: 2_000,
      minCompanionPcaSamples: Number.MAX_SAFE_INTEGER,
      minCompanionPqSamples: Number.MAX_SAFE_INTEGER,
    }),
  )
  await client.query(`ALTER TABLE companion_memories ENABLE TRIGGER tr_update_relationship_stats`)
  const [, restatMs] = await timed(() =>
    client.query(`
      SELECT refresh_relationship_memory_stats(companion_id, user_id)
      FROM (SELECT DISTINCT companion_id, user_id FROM companion_memories) p`),
  )
  await client.query('ANALYZE companion_memories')
  const trainingMs = report.models_trained.reduce((s, m) => s + m.training_ms, 0)
  log(
    `compression: ${report.memories_compressed} in ${round(compressMs / 1000, 1)} s ` +
      `(training ${round(trainingMs / 1000, 1)} s)`,
  )

  const [pcaRow] = (
    await client.query<{ model_id: string; data: Uint8Array }>(
      `SELECT model_id, model_data AS data FROM pca_models WHERE is_active AND companion_id IS NULL`,
    )
  ).rows
  const [pqRow] = (
    await client.query<{ model_id: string; data: Uint8Array }>(
      `SELECT model_id, centroids_data AS data FROM pq_models WHERE is_active AND companion_id IS NULL`,
    )
  ).rows
  const pcaModel = pcaModelFromBytes(fromBytea(pcaRow.data))
  const pqModel = pqModelFromBytes(fromBytea(pqRow.data))
  const pqNorms = centroidSquaredNorms(pqModel)

  const tierIds = (pair: Pair, tier: string) =>
    [...pair.tierOf.entries()].filter(([, t]) => t === tier).map(([id]) => id)

  const pca = await measurePlan(
    pairs,
    (pair) =>
      idsOf(
        `SELECT memory_id FROM companion_memories
         WHERE companion_id = $1 AND user_id = $2 AND compressed_embedding IS NOT NULL
         ORDER BY compressed_embedding <=> $3::vector LIMIT ${K}`,
        [pair.companionId, pair.userId, toPgVectorLiteral(projectPca(pcaModel, pair.query))],
      ),
    (pair) => tierIds(pair, 'important'),
  )
  const pq = await measurePlan(
    pairs,
    async (pair) => {
      const { rows: codes } = await client.query<{ memory_id: string; code: Uint8Array }>(
        `SELECT memory_id, quantized_embedding AS code FROM companion_memories
         WHERE companion_id = $1 AND user_id = $2 AND quantized_embedding IS NOT NULL`,
        [pair.companionId, pair.userId],
      )
      const table = distanceTable(pqModel, pair.query)
      return codes
        .map((r) => ({ id: r.memory_id, s: adcCosine(table, pqNorms, fromBytea(r.code)) }))
        .sort((a, b) => b.s - a.s)
        .slice(0, K)
        .map((x) => x.id)
    },
    (pair) => tierIds(pair, 'background'),
  )
  const bytes = (
    await client.query<{ compression_type: string; bytes: number; n: number }>(`
      SELECT compression_type::text, avg(memory_storage_bytes(full_embedding, compressed_embedding,
        quantized_embedding))::float8 AS bytes, count(*)::int AS n
      FROM companion_memories GROUP BY 1 ORDER BY 1`)
  ).rows
  const [relationships] = (
    await client.query<{ bytes: string; ratio: number }>(
      `SELECT sum(total_storage_bytes)::text AS bytes,
              (3072.0 * sum(total_memories) / sum(total_storage_bytes))::float8 AS ratio
       FROM companion_relationships`,
    )
  ).rows
  await pglite.close()

  const tiers = [
    {
      tier: 'full (exact, per pair)',
      memories_per_pair: PAIR_MEMORIES,
      ...summary(exact.latency),
      recall_at_10: round(mean(exact.recall)),
      bytes_per_memory: 3_072,
    },
    {
      tier: 'full (global HNSW + pair filter)',
      memories_per_pair: PAIR_MEMORIES,
      ...summary(hnsw.latency),
      recall_at_10: round(mean(hnsw.recall)),
      bytes_per_memory: 3_072,
    },
    {
      tier: 'PCA-384 (important)',
      memories_per_pair: 200,
      ...summary(pca.latency),
      recall_at_10: round(mean(pca.recall)),
      bytes_per_memory: 1_536,
    },
    {
      tier: 'PQ-48 (background, ADC in JS)',
      memories_per_pair: 250,
      ...summary(pq.latency),
      recall_at_10: round(mean(pq.recall)),
      bytes_per_memory: 48,
    },
  ]
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    database: 'PGlite 0.5 (Postgres 18, pgvector 0.8), in process, one session',
    args,
    ingest,
    hnsw: { build_s: round(hnswBuildMs / 1000, 1), plan_uses_hnsw: usesHnsw, ef_search: 40 },
    compression: {
      seconds: round(compressMs / 1000, 1),
      memories_compressed: report.memories_compressed,
      pca_compressions: report.pca_compressions,
      pq_compressions: report.pq_compressions,
      average_pca_quality: report.average_pca_quality,
      average_pq_quality: report.average_pq_quality,
      compression_ratio: report.compression_ratio,
      storage_savings_percent: report.storage_savings_percent,
      relationship_stats_s: round(restatMs / 1000, 1),
      models: report.models_trained,
    },
    stored_bytes_by_type: bytes,
    relationships: relationships,
    tiers,
    targets: {
      per_pair_p95_ms_max: 10,
      exact_recall_at_10: 1,
      pca_recall_at_10_min: 0.9,
    },
    total_s: round((performance.now() - started) / 1000, 1),
  }
  const out = resolve(args.out)
  await mkdir(dirname(out), { recursive: true })
  await writeFile(out, JSON.stringify(result, null, 2) + '\n')

  console.log()
  console.table(
    tiers.map((t) => ({
      tier: t.tier,
      'memories/pair': t.memories_per_pair,
      'p50 ms': t.p50_ms,
      'p95 ms': t.p95_ms,
      'recall@10': t.recall_at_10,
      'bytes/memory': t.bytes_per_memory,
    })),
  )
  console.table({
    ingest: { value: `${ingest.rows_per_s} rows/s (${ingest.insert_s} s)` },
    'HNSW build': { value: `${result.hnsw.build_s} s (plan uses it: ${usesHnsw})` },
    ...Object.fromEntries(
      report.models_trained.map((m) => [
        `train ${m.kind} (${m.training_samples})`,
        {
          value: `${round(m.training_ms / 1000, 1)} s, quality ${round(m.reconstruction_quality)}`,
        },
      ]),
    ),
    compression: {
      value: `${report.memories_compressed} in ${result.compression.seconds} s, savings ${round(report.storage_savings_percent ?? 0, 1)}%`,
    },
    total: { value: `${result.total_s} s` },
  })
  log(`wrote ${out}`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
