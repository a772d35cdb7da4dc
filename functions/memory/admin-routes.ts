/**
 * Memory operations: the compression run (`POST /v1/memory/admin/compress`, admins and services),
 * a relationship's storage efficiency (`GET /v1/memory/companions/{companionId}/analytics`) and the
 * avatar agents (`agents/routes.ts`).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { sql } from 'drizzle-orm'
import { hasRole, identityOf, requireAuth, requireRole } from '../lib/auth'
import { memory } from '../lib/db'
import { ApiError } from '../lib/errors'
import {
  bearerSecurity,
  createRouter,
  errorResponseSpec,
  jsonBody,
  jsonResponse,
} from '../lib/openapi'
import { avatarAgentsRouter } from './agents/routes'
import { runCompression } from './compression/job'

const tags = ['memory admin']
const security = bearerSecurity
const unauthorized = errorResponseSpec('Missing or invalid access token')

/** Memories one request may ask to compress at most (the scheduled run does 2,000). */
const MAX_MEMORIES_PER_REQUEST = 5_000

const CompressBodySchema = z
  .strictObject({
    companion_ids: z.array(z.string().min(1).max(50)).min(1).max(100).optional(),
    max_memories: z.number().int().min(1).max(MAX_MEMORIES_PER_REQUEST).optional(),
  })
  .openapi('CompressBody')

const TrainedModelSchema = z.object({
  kind: z.enum(['pca', 'pq']),
  model_id: z.uuid(),
  companion_id: z.string().nullable(),
  training_samples: z.number().int(),
  explained_variance: z.number().nullable(),
  reconstruction_quality: z.number(),
  training_ms: z.number(),
})

const CompressionReportSchema = z
  .object({
    status: z.enum(['completed', 'skipped']),
    analytics_id: z.uuid().nullable(),
    memories_compressed: z.number().int(),
    pca_compressions: z.number().int(),
    pq_compressions: z.number().int(),
    average_pca_quality: z.number().nullable(),
    average_pq_quality: z.number().nullable(),
    bytes_before: z.number().int(),
    bytes_after: z.number().int(),
    compression_ratio: z.number().nullable(),
    storage_savings_percent: z.number().nullable(),
    skipped_without_model: z.number().int(),
    models_trained: z.array(TrainedModelSchema),
    duration_ms: z.number(),
  })
  .openapi('CompressionReport')

const CompanionParamSchema = z.object({ companionId: z.string().min(1).max(50) })
const AnalyticsQuerySchema = z.object({
  user_id: z.uuid({ error: 'user_id must be a user id (UUID)' }).optional(),
})

const MemoryEfficiencySchema = z
  .object({
    companion_id: z.string(),
    user_id: z.uuid(),
    total_memories: z.number().int(),
    core_memories_count: z.number().int(),
    important_memories_count: z.number().int(),
    background_memories_count: z.number().int(),
    sparse_memories_count: z.number().int(),
    total_storage_bytes: z.number().int(),
    storage_kb: z.number(),
    compression_ratio: z.number().nullable(),
    core_memory_percent: z.number().nullable(),
  })
  .openapi('MemoryEfficiency')

export const memoryAdminRouter = createRouter()
memoryAdminRouter.use('/memory/admin/compress', requireAuth, requireRole('admin', 'service'))
memoryAdminRouter.use('/memory/companions/:companionId/analytics', requireAuth)

memoryAdminRouter
  .openapi(
    createRoute({
      method: 'post',
      path: '/memory/admin/compress',
      tags,
      security,
      summary: 'Run memory compression now',
      description:
        'Compresses due memories (important ≥ 30 days → PCA-384, background ≥ 7 days → PQ-48), training models when needed, and writes a compression_analytics row. `skipped` when a run is already in progress. Send `{}` for every companion.',
      request: { body: jsonBody(CompressBodySchema) },
      responses: {
        200: jsonResponse(CompressionReportSchema, 'What the run did'),
        400: errorResponseSpec('Invalid body'),
        401: unauthorized,
        403: errorResponseSpec('Neither an admin nor a service'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const report = await runCompression(memory(c), {
        companionIds: body.companion_ids,
        ...(body.max_memories ? { maxMemoriesPerRun: body.max_memories } : {}),
      })
      return c.json(report, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/memory/companions/{companionId}/analytics',
      tags: ['memory'],
      security,
      summary: 'Memory storage efficiency of a companion and a user',
      description:
        'From v_memory_efficiency. Players see their own relationship; admins and services any, with `?user_id=`.',
      request: { params: CompanionParamSchema, query: AnalyticsQuerySchema },
      responses: {
        200: jsonResponse(MemoryEfficiencySchema, 'Counts per tier, bytes and ratio'),
        400: errorResponseSpec('Invalid companion or user id'),
        401: unauthorized,
        403: errorResponseSpec("Another user's relationship"),
        404: errorResponseSpec('No memories of this companion and user yet'),
      },
    }),
    async (c) => {
      const identity = identityOf(c)
      const { companionId } = c.req.valid('param')
      const userId = c.req.valid('query').user_id ?? identity.userId
      if (userId !== identity.userId && !hasRole(identity, 'admin', 'service')) {
        throw new ApiError(
          'forbidden',
          "only admins and services may read another user's analytics",
        )
      }
      const { rows } = await memory(c).db.execute(sql`
        SELECT companion_id, user_id, total_memories, core_memories_count,
               important_memories_count, background_memories_count, sparse_memories_count,
               total_storage_bytes::float8 AS total_storage_bytes, storage_kb::float8 AS storage_kb,
               compression_ratio, core_memory_percent::float8 AS core_memory_percent
        FROM v_memory_efficiency WHERE companion_id = ${companionId} AND user_id = ${userId}::uuid`)
      const row = rows[0] as z.infer<typeof MemoryEfficiencySchema> | undefined
      if (!row) throw new ApiError('not_found', 'no memories of this companion and user yet')
      return c.json(row, 200)
    },
  )

memoryAdminRouter.route('/', avatarAgentsRouter)
