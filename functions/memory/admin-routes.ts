/**
 * `/v1/admin/memory`: memory operations for admins and services: the compression run
 * (`POST /compress`) and the avatar agents (`/avatar-agents`, `agents/routes.ts`).
 */
import { z } from '@hono/zod-openapi'
import { memory } from '../lib/db'
import { authRoutes, createRouter, errorResponseSpec, jsonBody, jsonResponse } from '../lib/openapi'
import { avatarAgentsRouter } from './agents/routes'
import { runCompression } from './compression/job'

const roles = ['admin' as const, 'service' as const]
const route = authRoutes({ tags: ['memory admin'], roles })
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

export const memoryAdminRouter = createRouter({ auth: true, roles }).openapi(
  route({
    method: 'post',
    path: '/compress',
    summary: 'Run memory compression now',
    description:
      'Compresses due memories (important ≥ 30 days → PCA-384, background ≥ 7 days → PQ-48), training models when needed, and writes a compression_analytics row. `skipped` when a run is already in progress. Send `{}` for every companion.',
    request: { body: jsonBody(CompressBodySchema) },
    responses: {
      200: jsonResponse(CompressionReportSchema, 'What the run did'),
      400: errorResponseSpec('Invalid body'),
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

memoryAdminRouter.route('/avatar-agents', avatarAgentsRouter)
