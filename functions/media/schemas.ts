/** Media representations. */
import { z } from '@hono/zod-openapi'
import { idSchema } from '../lib/ids'
import { TimestampIdPageQuerySchema } from '../lib/pagination'

/** `POST /v1/media` query: what the client says about the file (its bytes decide its type). */
export const UploadQuerySchema = z.object({
  filename: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .refine((name) => !/[\u0000-\u001f]/.test(name), {
      error: 'must not contain control characters',
    })
    .optional(),
  /** Where the file is meant to be used (the seed's examples: `coloring_base`, `quiz_question`). */
  usage_context: z
    .string()
    .regex(/^[a-z0-9_]{1,50}$/, 'expected 1-50 characters of a-z, 0-9 or _')
    .optional(),
})

export const MediaIdParamSchema = z.object({ id: idSchema('id') })

export const MediaListQuerySchema = TimestampIdPageQuerySchema

const RegionSchema = z.object({
  svg_path: z.string(),
  neighbors: z.array(z.string()),
  default_color: z.string(),
})

export const MediaSchema = z
  .object({
    id: z.uuid(),
    user_id: z.uuid().nullable(),
    media_type: z.enum(['image', 'audio', 'video', 'svg']),
    mime_type: z.string(),
    file_size_bytes: z.number().int(),
    original_filename: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    duration_seconds: z.number().int().nullable(),
    svg_regions_count: z.number().int().nullable(),
    /** The seed's region map: `region_N` → `{ svg_path, neighbors, default_color }`. */
    svg_region_mapping: z.record(z.string(), RegionSchema).nullable(),
    usage_context: z.string().nullable(),
    content_rating: z.string().nullable(),
    moderation_status: z.enum(['pending', 'approved', 'rejected', 'flagged']),
    uploaded_at: z.string().nullable(),
    reviewed_at: z.string().nullable(),
    /** Where the bytes are served (`GET`, with the bearer token). */
    content_url: z.string(),
  })
  .openapi('Media')
