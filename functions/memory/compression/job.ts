/**
 * The compression job: moves aged memories to their compressed tier (run by the scheduled handler
 * every 15 minutes and by `POST /v1/memory/admin/compress`).
 *
 * What moves (rows of `v_compression_candidates`):
 * - `PCA_CANDIDATE` (important, ≥ 30 days, still full): 768-d → PCA-384 in `compressed_embedding`,
 *   1,536 bytes, ratio 2.
 * - `PQ_CANDIDATE` (background, ≥ 7 days, full or PCA-384): → PQ-48 in `quantized_embedding`,
 *   48 bytes, ratio 64. A PCA-384 memory is first reconstructed to 768-d with the model that encoded
 *   it; its `quality_metric` is then the cosine to that reconstruction (the original is gone).
 * Exactly one embedding column stays populated (`valid_embedding_storage`), and the memory names the
 * model that encoded it (`pca_model_id` / `pq_model_id`), so retraining never strands a code.
 * `quality_metric` is the cosine between the vector encoded and its reconstruction.
 *
 * Models (per kind, per companion):
 * 1. the companion's own active model, if it is younger than `modelMaxAgeDays`;
 * 2. else a new companion model, when the companion has at least `minCompanionPcaSamples` (400) /
 *    `minCompanionPqSamples` (500) full embeddings and the run still has a training left;
 * 3. else the companion's stale model (still valid: it decodes its own codes);
 * 4. else the active global model (`companion_id IS NULL`), retrained under the same age rule from
 *    a sample stratified by companion (round-robin over companions, random within each) of up to
 *    `maxTrainingSamples` (2,000) full embeddings; it needs at least 385 vectors for PCA (the
 *    covariance rank must reach 384) and 256 for PQ (one per centroid);
 * 5. else the companion's candidates wait for a later run (`skipped_without_model`).
 * A new model deactivates the older models of its scope (`is_active = false`); they stay in their
 * tables because codes still reference them. Companion thresholds: a companion holds at most 750
 * embedded memories (50 + 200 + 500), and 400 / 500 vectors measured held-out reconstruction
 * cosines within ~0.01 of a 2,000-vector model (see `pca.ts` and `pq.ts`), so below them the
 * global model is as good and cheaper.
 *
 * Safety: the run holds `pg_try_advisory_lock(COMPRESSION_LOCK_KEY)` on one connection for its whole
 * duration; a run that cannot take it returns `skipped` at once. Each batch is one transaction that
 * locks its rows `FOR UPDATE SKIP LOCKED` and whose UPDATE repeats the candidate condition, so a row
 * promoted, deleted or compressed meanwhile is left alone. Running twice moves nothing new. (The
 * embedded PGlite serves every connection from one session, where advisory locks are re-entrant and
 * so exclude nothing; there transactions run one at a time and the per-row checks keep concurrent
 * runs correct.)
 *
 * Bounded work (a Worker's CPU time is limited): at most `maxMemoriesPerRun` (2,000) memories in
 * batches of `batchSize` (200) and at most `maxTrainingsPerRun` (2) model trainings on at most
 * `maxTrainingSamples` (2,000) vectors. Measured in Node on 2 cores (`pca.ts`, `pq.ts`): a PCA
 * training 2.6–4.4 s, a PQ training 4.2–5.1 s at 2,000 vectors; encoding 2,000 memories < 1 s. The
 * rest of a backlog is left for the next run, 15 minutes later.
 */
import { sql, type SQL } from 'drizzle-orm'
import type { NeonDatabase } from 'drizzle-orm/neon-serverless'
import { drizzle } from 'drizzle-orm/neon-serverless'
import type { MemoryClient } from '../../../db/client'
import { memorySchema } from '../../../db/client'
import {
  bytesToHex,
  fromBytea,
  fromPgVectorLiteral,
  pcaModelFromBytes,
  pcaModelToBytes,
  pqModelFromBytes,
  pqModelToBytes,
  toPgVectorLiteral,
} from './codec'
import {
  PCA_COMPONENTS,
  PCA_RECOMMENDED_MIN_TRAINING_SAMPLES,
  projectPca,
  reconstructionQuality,
  reconstructPca,
  trainPca,
  type PcaModel,
} from './pca'
import { decodePq, encodePq, PQ_CENTROIDS, PQ_SUBSPACES, trainPq, type PqModel } from './pq'
import { cosine } from './vector'

/** A drizzle database bound to one connection (the advisory lock is per session). */
export type MemorySession = NeonDatabase<typeof memorySchema>

/**
 * Key of the run's session-level advisory lock: above 2³¹, so it never meets the per-pair locks of
 * the memory writes (`hashtext(...)`, an int4).
 */
export const COMPRESSION_LOCK_KEY = 7_236_512_001

/** Bytes of a 768-d float4 embedding, a PCA-384 code and a PQ-48 code. */
export const FULL_EMBEDDING_BYTES = 768 * 4
export const PCA_CODE_BYTES = PCA_COMPONENTS * 4
export const PQ_CODE_BYTES = PQ_SUBSPACES

/** Tunables of one run (defaults in `DEFAULT_COMPRESSION_OPTIONS`). */
export interface CompressionOptions {
  /** Memories per transaction. */
  batchSize: number
  /** Memories compressed per run at most; the rest waits for the next run. */
  maxMemoriesPerRun: number
  /** Model trainings per run at most. */
  maxTrainingsPerRun: number
  /** Vectors a model is trained on at most. */
  maxTrainingSamples: number
  /** Full embeddings a companion needs for its own PCA model. */
  minCompanionPcaSamples: number
  /** Full embeddings a companion needs for its own PQ model. */
  minCompanionPqSamples: number
  /** Days after which an active model is retrained (when the run has a training left). */
  modelMaxAgeDays: number
  /** k-means iterations per PQ subspace. */
  pqIterations: number
  /** Only these companions (all when undefined). */
  companionIds?: string[]
}

/** Defaults: see the module comment for why. */
export const DEFAULT_COMPRESSION_OPTIONS: CompressionOptions = {
  batchSize: 200,
  maxMemoriesPerRun: 2_000,
  maxTrainingsPerRun: 2,
  maxTrainingSamples: 2_000,
  minCompanionPcaSamples: 400,
  minCompanionPqSamples: 500,
  modelMaxAgeDays: 30,
  pqIterations: 25,
}

/** Global models need at least this many vectors. */
const MIN_GLOBAL_SAMPLES = { pca: PCA_RECOMMENDED_MIN_TRAINING_SAMPLES, pq: PQ_CENTROIDS }
/** Share of a training sample held out to measure reconstruction quality (at most 200 vectors). */
const HELD_OUT_FRACTION = 0.1
const MAX_HELD_OUT = 200

type Kind = 'pca' | 'pq'

/** A model trained during a run. */
export interface TrainedModel {
  kind: Kind
  model_id: string
  companion_id: string | null
  training_samples: number
  /** PCA: variance explained on the training vectors; PQ: null. */
  explained_variance: number | null
  /** Mean cosine between held-out vectors and their reconstructions. */
  reconstruction_quality: number
  training_ms: number
}

/** What one run did. */
export interface CompressionReport {
  status: 'completed' | 'skipped'
  analytics_id: string | null
  memories_compressed: number
  pca_compressions: number
  pq_compressions: number
  average_pca_quality: number | null
  average_pq_quality: number | null
  bytes_before: number
  bytes_after: number
  compression_ratio: number | null
  storage_savings_percent: number | null
  /** Candidates left for a later run because no model could be had. */
  skipped_without_model: number
  models_trained: TrainedModel[]
  duration_ms: number
}

/** Runs the job on a dedicated connection of `client` (the lock and batches share it). */
export async function runCompression(
  client: MemoryClient,
  options: Partial<CompressionOptions> = {},
): Promise<CompressionReport> {
  const connection = await client.pool.connect()
  try {
    return await runCompressionOn(drizzle({ client: connection, schema: memorySchema }), options)
  } finally {
    connection.release()
  }
}

/** Runs the job on `session`, which must be bound to a single connection. */
export async function runCompressionOn(
  session: MemorySession,
  overrides: Partial<CompressionOptions> = {},
): Promise<CompressionReport> {
  const options = { ...DEFAULT_COMPRESSION_OPTIONS, ...overrides }
  const started = Date.now()
  const [lock] = await rows<{ locked: boolean }>(
    session,
    sql`SELECT pg_try_advisory_lock(${COMPRESSION_LOCK_KEY}::bigint) AS locked`,
  )
  if (!lock.locked) return { ...emptyReport('skipped'), duration_ms: Date.now() - started }
  try {
    const run = new Run(session, options)
    await run.compress('pca')
    await run.compress('pq')
    return await run.finish(started)
  } finally {
    await session.execute(sql`SELECT pg_advisory_unlock(${COMPRESSION_LOCK_KEY}::bigint)`)
  }
}

function emptyReport(status: CompressionReport['status']): CompressionReport {
  return {
    status,
    analytics_id: null,
    memories_compressed: 0,
    pca_compressions: 0,
    pq_compressions: 0,
    average_pca_quality: null,
    average_pq_quality: null,
    bytes_before: 0,
    bytes_after: 0,
    compression_ratio: null,
    storage_savings_percent: null,
    skipped_without_model: 0,
    models_trained: [],
    duration_ms: 0,
  }
}

/** Rows of a raw query (the Neon driver's result carries them in `rows`). */
async function rows<T>(session: MemorySession, query: SQL): Promise<T[]> {
  return (await session.execute(query)).rows as T[]
}

/** SQL of the candidate condition of each kind, on `companion_memories` aliased `m`. */
const CANDIDATE: Record<Kind, SQL> = {
  // Same as v_compression_candidates (age_days = whole days of now() - created_at), plus the
  // embedding the encoder needs.
  pca: sql`m.tier = 'important' AND m.compression_type = 'full' AND m.full_embedding IS NOT NULL
    AND m.created_at <= now() - interval '30 days'`,
  pq: sql`m.tier = 'background' AND m.created_at <= now() - interval '7 days'
    AND ((m.compression_type = 'full' AND m.full_embedding IS NOT NULL)
      OR (m.compression_type = 'pca384' AND m.compressed_embedding IS NOT NULL AND m.pca_model_id IS NOT NULL))`,
}
const RECOMMENDATION: Record<Kind, string> = { pca: 'PCA_CANDIDATE', pq: 'PQ_CANDIDATE' }
const TABLE: Record<Kind, SQL> = { pca: sql`pca_models`, pq: sql`pq_models` }

interface LoadedModel {
  id: string
  pca?: PcaModel
  pq?: PqModel
}

/** The state of one run. */
class Run {
  private report = emptyReport('completed')
  private qualitySum: Record<Kind, number> = { pca: 0, pq: 0 }
  private trainingsLeft: number
  private memoriesLeft: number
  private globalModels = new Map<Kind, LoadedModel | null>()
  /** PCA models by id, for PQ candidates stored as PCA-384. */
  private pcaById = new Map<string, PcaModel>()

  constructor(
    private session: MemorySession,
    private options: CompressionOptions,
  ) {
    this.trainingsLeft = options.maxTrainingsPerRun
    this.memoriesLeft = options.maxMemoriesPerRun
  }

  /** Compresses the candidates of `kind`, companion by companion, largest backlog first. */
  async compress(kind: Kind): Promise<void> {
    const scope = this.options.companionIds
    const groups = await rows<{ companion_id: string; candidates: number }>(
      this.session,
      sql`SELECT companion_id, count(*)::int AS candidates FROM v_compression_candidates
          WHERE compression_recommendation = ${RECOMMENDATION[kind]}
          ${scope ? sql`AND companion_id = ANY(${sql.param(scope)}::varchar[])` : sql``}
          GROUP BY companion_id ORDER BY count(*) DESC, companion_id`,
    )
    for (const group of groups) {
      if (this.memoriesLeft <= 0) return
      const model = await this.modelFor(kind, group.companion_id)
      if (!model) {
        this.report.skipped_without_model += group.candidates
        continue
      }
      while (this.memoriesLeft > 0) {
        const moved = await this.compressBatch(kind, group.companion_id, model)
        if (moved === 0) break
      }
    }
  }

  /** One transaction: lock up to a batch of candidates, encode them, update those still due. */
  private async compressBatch(kind: Kind, companionId: string, model: LoadedModel) {
    const limit = Math.min(this.options.batchSize, this.memoriesLeft)
    return this.session.transaction(async (tx) => {
      const batch = (
        await tx.execute(sql`
          SELECT m.memory_id, m.full_embedding::text AS full_embedding,
                 m.compressed_embedding::text AS compressed_embedding, m.pca_model_id
          FROM companion_memories m
          WHERE m.companion_id = ${companionId} AND ${CANDIDATE[kind]}
          ORDER BY m.created_at, m.memory_id
          LIMIT ${limit}
          FOR UPDATE OF m SKIP LOCKED`)
      ).rows as {
        memory_id: string
        full_embedding: string | null
        compressed_embedding: string | null
        pca_model_id: string | null
      }[]
      if (batch.length === 0) return 0

      const values: SQL[] = []
      const bytesBefore = new Map<string, number>()
      const quality = new Map<string, number>()
      for (const row of batch) {
        let source: Float32Array
        if (row.full_embedding) {
          source = fromPgVectorLiteral(row.full_embedding)
          bytesBefore.set(row.memory_id, FULL_EMBEDDING_BYTES)
        } else {
          const pca = await this.pcaModel(row.pca_model_id!)
          source = reconstructPca(pca, fromPgVectorLiteral(row.compressed_embedding!))
          bytesBefore.set(row.memory_id, PCA_CODE_BYTES)
        }
        if (kind === 'pca') {
          const code = projectPca(model.pca!, source)
          const q = cosine(source, reconstructPca(model.pca!, code))
          quality.set(row.memory_id, q)
          values.push(sql`(${row.memory_id}::uuid, ${toPgVectorLiteral(code)}::text, ${q}::float8)`)
        } else {
          const code = encodePq(model.pq!, source)
          const q = cosine(source, decodePq(model.pq!, code))
          quality.set(row.memory_id, q)
          values.push(sql`(${row.memory_id}::uuid, ${bytesToHex(code)}::text, ${q}::float8)`)
        }
      }

      const set =
        kind === 'pca'
          ? sql`compressed_embedding = v.code::vector(384), full_embedding = NULL,
                quantized_embedding = NULL, compression_type = 'pca384', pca_model_id = ${model.id}::uuid,
                pq_model_id = NULL, compressed_size = ${PCA_CODE_BYTES},
                compression_ratio = ${FULL_EMBEDDING_BYTES / PCA_CODE_BYTES}`
          : sql`quantized_embedding = decode(v.code, 'hex'), full_embedding = NULL,
                compressed_embedding = NULL, compression_type = 'pq48', pq_model_id = ${model.id}::uuid,
                pca_model_id = NULL, compressed_size = ${PQ_CODE_BYTES},
                compression_ratio = ${FULL_EMBEDDING_BYTES / PQ_CODE_BYTES}`
      const updated = (
        await tx.execute(sql`
          UPDATE companion_memories AS m SET ${set},
            original_size = ${FULL_EMBEDDING_BYTES}, quality_metric = v.quality
          FROM (VALUES ${sql.join(values, sql`, `)}) AS v(memory_id, code, quality)
          WHERE m.memory_id = v.memory_id AND ${CANDIDATE[kind]}
          RETURNING m.memory_id`)
      ).rows as { memory_id: string }[]

      const after = kind === 'pca' ? PCA_CODE_BYTES : PQ_CODE_BYTES
      for (const { memory_id } of updated) {
        this.report.bytes_before += bytesBefore.get(memory_id)!
        this.report.bytes_after += after
        this.qualitySum[kind] += quality.get(memory_id)!
      }
      if (kind === 'pca') this.report.pca_compressions += updated.length
      else this.report.pq_compressions += updated.length
      this.report.memories_compressed += updated.length
      this.memoriesLeft -= batch.length
      return batch.length
    })
  }

  /** The model that encodes `companionId`'s candidates of `kind` (see the module comment). */
  private async modelFor(kind: Kind, companionId: string): Promise<LoadedModel | null> {
    const own = await this.activeModel(kind, companionId)
    if (own && !own.stale) return own.model
    const minimum =
      kind === 'pca' ? this.options.minCompanionPcaSamples : this.options.minCompanionPqSamples
    if (this.trainingsLeft > 0) {
      const [{ n }] = await rows<{ n: number }>(
        this.session,
        sql`SELECT count(*)::int AS n FROM companion_memories
            WHERE companion_id = ${companionId} AND full_embedding IS NOT NULL`,
      )
      if (n >= Math.max(minimum, MIN_GLOBAL_SAMPLES[kind])) {
        const sample = await this.vectors(
          sql`SELECT full_embedding::text AS v FROM companion_memories
              WHERE companion_id = ${companionId} AND full_embedding IS NOT NULL
              ORDER BY random() LIMIT ${this.options.maxTrainingSamples}`,
        )
        return this.train(kind, companionId, sample)
      }
    }
    if (own) return own.model
    return this.globalModel(kind)
  }

  /** The global model of `kind`, trained from a stratified sample when missing or stale. */
  private async globalModel(kind: Kind): Promise<LoadedModel | null> {
    if (this.globalModels.has(kind)) return this.globalModels.get(kind)!
    const existing = await this.activeModel(kind, null)
    let model = existing && !existing.stale ? existing.model : null
    if (!model && this.trainingsLeft > 0) {
      const sample = await this.stratifiedSample()
      if (sample.length >= MIN_GLOBAL_SAMPLES[kind]) model = await this.train(kind, null, sample)
    }
    model ??= existing?.model ?? null
    this.globalModels.set(kind, model)
    return model
  }

  /**
   * Up to `maxTrainingSamples` full embeddings stratified by companion: a random order within each
   * companion, then round-robin over companions (every companion's 1st, then every 2nd, …), so no
   * companion outweighs the others and the sample still fills up when some companions are small.
   */
  private async stratifiedSample(): Promise<Float32Array[]> {
    return this.vectors(sql`
      SELECT m.full_embedding::text AS v
      FROM (
        SELECT memory_id, row_number() OVER (PARTITION BY companion_id ORDER BY random()) AS r
        FROM companion_memories WHERE full_embedding IS NOT NULL
      ) s
      JOIN companion_memories m USING (memory_id)
      ORDER BY s.r, random()
      LIMIT ${this.options.maxTrainingSamples}`)
  }

  private async vectors(query: SQL): Promise<Float32Array[]> {
    return (await rows<{ v: string }>(this.session, query)).map((r) => fromPgVectorLiteral(r.v))
  }

  /** Trains, stores and activates a model of `kind` for `companionId` (null: global). */
  private async train(
    kind: Kind,
    companionId: string | null,
    sample: Float32Array[],
  ): Promise<LoadedModel> {
    this.trainingsLeft -= 1
    const started = Date.now()
    const heldOutCount = Math.min(MAX_HELD_OUT, Math.floor(sample.length * HELD_OUT_FRACTION))
    const minTraining = MIN_GLOBAL_SAMPLES[kind]
    const split = sample.length - heldOutCount >= minTraining ? heldOutCount : 0
    const training = sample.slice(split)
    const heldOut = split > 0 ? sample.slice(0, split) : training
    const name = `${kind === 'pca' ? 'pca384' : 'pq48'}-${new Date().toISOString()}-${crypto.randomUUID().slice(0, 8)}`

    let loaded: LoadedModel
    let trained: TrainedModel
    if (kind === 'pca') {
      const pca = trainPca(training)
      const quality = reconstructionQuality(pca, heldOut)
      const [row] = await rows<{ model_id: string }>(
        this.session,
        sql`INSERT INTO pca_models (companion_id, model_name, n_components, explained_variance_ratio,
              model_data, training_samples)
            VALUES (${companionId}::varchar, ${name}, ${pca.componentCount}, ${pca.explainedVariance},
              decode(${bytesToHex(pcaModelToBytes(pca))}, 'hex'), ${pca.trainingSize})
            RETURNING model_id`,
      )
      loaded = { id: row.model_id, pca }
      this.pcaById.set(row.model_id, pca)
      trained = {
        kind,
        model_id: row.model_id,
        companion_id: companionId,
        training_samples: pca.trainingSize,
        explained_variance: pca.explainedVariance,
        reconstruction_quality: quality,
        training_ms: Date.now() - started,
      }
    } else {
      const pq = trainPq(training, {
        iterations: this.options.pqIterations,
        qualitySample: heldOut,
      })
      const [row] = await rows<{ model_id: string }>(
        this.session,
        sql`INSERT INTO pq_models (companion_id, model_name, num_subspaces, num_centroids,
              subspace_dim, centroids_data, training_samples, average_reconstruction_quality)
            VALUES (${companionId}::varchar, ${name}, ${pq.subspaces}, ${pq.centroidCount}, ${pq.subDims},
              decode(${bytesToHex(pqModelToBytes(pq))}, 'hex'), ${pq.trainingSize}, ${pq.quality})
            RETURNING model_id`,
      )
      loaded = { id: row.model_id, pq }
      trained = {
        kind,
        model_id: row.model_id,
        companion_id: companionId,
        training_samples: pq.trainingSize,
        explained_variance: null,
        reconstruction_quality: pq.quality,
        training_ms: Date.now() - started,
      }
    }
    // Older models of the scope stop encoding; their codes still decode with them.
    await this.session.execute(sql`
      UPDATE ${TABLE[kind]} SET is_active = false
      WHERE companion_id IS NOT DISTINCT FROM ${companionId}::varchar AND model_id <> ${loaded.id}::uuid
        AND is_active`)
    this.report.models_trained.push(trained)
    return loaded
  }

  /** The newest active model of a scope, and whether it is older than `modelMaxAgeDays`. */
  private async activeModel(kind: Kind, companionId: string | null) {
    const data = kind === 'pca' ? sql`model_data` : sql`centroids_data`
    const [row] = await rows<{ model_id: string; data: string; stale: boolean }>(
      this.session,
      sql`SELECT model_id, '\\x' || encode(${data}, 'hex') AS data,
                 created_at < now() - make_interval(days => ${this.options.modelMaxAgeDays}) AS stale
          FROM ${TABLE[kind]}
          WHERE companion_id IS NOT DISTINCT FROM ${companionId}::varchar AND is_active
          ORDER BY created_at DESC, model_id LIMIT 1`,
    )
    if (!row) return null
    const bytes = fromBytea(row.data)
    const model: LoadedModel =
      kind === 'pca'
        ? { id: row.model_id, pca: pcaModelFromBytes(bytes) }
        : { id: row.model_id, pq: pqModelFromBytes(bytes) }
    if (model.pca) this.pcaById.set(model.id, model.pca)
    return { model, stale: row.stale }
  }

  /** A PCA model by id (for decoding PCA-384 memories before PQ). */
  private async pcaModel(id: string): Promise<PcaModel> {
    const cached = this.pcaById.get(id)
    if (cached) return cached
    const [row] = await rows<{ data: string }>(
      this.session,
      sql`SELECT '\\x' || encode(model_data, 'hex') AS data FROM pca_models WHERE model_id = ${id}::uuid`,
    )
    const model = pcaModelFromBytes(fromBytea(row.data))
    this.pcaById.set(id, model)
    return model
  }

  /** Writes the run's compression_analytics row and returns the report. */
  async finish(started: number): Promise<CompressionReport> {
    const r = this.report
    r.average_pca_quality = r.pca_compressions ? this.qualitySum.pca / r.pca_compressions : null
    r.average_pq_quality = r.pq_compressions ? this.qualitySum.pq / r.pq_compressions : null
    r.compression_ratio = r.bytes_after > 0 ? r.bytes_before / r.bytes_after : null
    r.storage_savings_percent =
      r.bytes_before > 0 ? 100 * (1 - r.bytes_after / r.bytes_before) : null
    const scope = this.options.companionIds
    const companionId = scope?.length === 1 ? scope[0] : null
    // The period runs from the previous run's end (same scope) to now.
    const [row] = await rows<{ analytics_id: string }>(
      this.session,
      sql`WITH period AS (
            SELECT coalesce(
              (SELECT max(period_end) FROM compression_analytics
               WHERE companion_id IS NOT DISTINCT FROM ${companionId}::varchar AND user_id IS NULL),
              to_timestamp(${started / 1000}::float8)) AS start_at
          )
          INSERT INTO compression_analytics (companion_id, period_start, period_end,
            memories_created, memories_compressed, memories_accessed, pca_compressions,
            pq_compressions, average_pca_quality, average_pq_quality, total_original_size,
            total_compressed_size, overall_compression_ratio, storage_savings_percent)
          SELECT ${companionId}::varchar, p.start_at, now(),
            (SELECT count(*) FROM companion_memories m
             WHERE m.created_at >= p.start_at
               ${companionId ? sql`AND m.companion_id = ${companionId}` : sql``}),
            ${r.memories_compressed}::int,
            (SELECT count(*) FROM memory_access_patterns a
             ${companionId ? sql`JOIN companion_memories m USING (memory_id)` : sql``}
             WHERE a.accessed_at >= p.start_at
               ${companionId ? sql`AND m.companion_id = ${companionId}` : sql``}),
            ${r.pca_compressions}::int, ${r.pq_compressions}::int,
            ${r.average_pca_quality}::float8, ${r.average_pq_quality}::float8,
            ${r.bytes_before}::bigint, ${r.bytes_after}::bigint, ${r.compression_ratio}::float8,
            ${r.storage_savings_percent}::float8
          FROM period p
          RETURNING analytics_id`,
    )
    r.analytics_id = row.analytics_id
    r.duration_ms = Date.now() - started
    return r
  }
}
