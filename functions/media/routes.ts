/**
 * `/v1/media`: uploads to the media bucket (streamed; the type decided by the file's bytes),
 * metadata and content. Pending media is visible to its owner and moderators only (service.ts).
 */
import { z } from '@hono/zod-openapi'
import { identityOf } from '../lib/auth'
import { nexus } from '../lib/db'
import { ApiError } from '../lib/errors'
import { authRoutes, createRouter, errorResponseSpec, jsonResponse } from '../lib/openapi'
import { pageSchema } from '../lib/pagination'
import { takeRateLimit, type RateLimit } from '../lib/rate-limits'
import { MediaIdParamSchema, MediaListQuerySchema, MediaSchema, UploadQuerySchema } from './schemas'
import {
  deleteOwnMedia,
  getVisibleMedia,
  listOwnMedia,
  mediaKey,
  mediaResource,
  recordUpload,
} from './service'
import { MAX_MEDIA_BYTES, storeUpload } from './upload'

/** Uploads one account may start per hour. */
const UPLOADS: RateLimit = { name: 'media-uploads', limit: 30, windowMs: 60 * 60 * 1000 }
/** How long clients and their private caches may keep approved content. */
const APPROVED_MAX_AGE_SECONDS = 3_600
/** An SVG opened directly in a browser may still not run or load anything. */
const SVG_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

/** The bytes an R2 read of a range returned, first and last inclusive. */
function byteRange(object: R2Object): { start: number; end: number } | null {
  const range = object.range as { offset?: number; length?: number; suffix?: number } | undefined
  if (!range) return null
  const start =
    range.suffix !== undefined ? Math.max(0, object.size - range.suffix) : (range.offset ?? 0)
  const length = range.length ?? object.size - start
  return { start, end: Math.min(object.size, start + length) - 1 }
}

const route = authRoutes({ tags: ['media'] })
const notFound = errorResponseSpec('No such media, or not visible to you')

export const mediaRouter = createRouter({ auth: true, maxBodyBytes: MAX_MEDIA_BYTES })
  .openapi(
    route({
      method: 'post',
      path: '/',
      summary: 'Upload an image, audio file or SVG (at most 5,000,000 bytes)',
      description:
        'The body is the file itself (any Content-Type; send Content-Length). Its type is decided by its first bytes, never by its name or header: PNG, JPEG, GIF, WebP, MP3, Ogg, WAV, FLAC, M4A, or SVG (stored sanitized, with its regions mapped). New media is `pending` until a moderator approves it.',
      request: {
        query: UploadQuerySchema,
        body: {
          content: {
            'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
          },
          required: true,
        },
      },
      responses: {
        201: jsonResponse(MediaSchema, 'Stored, pending moderation'),
        400: errorResponseSpec('Empty, truncated or malformed body'),
        413: errorResponseSpec('Larger than 5,000,000 bytes'),
        415: errorResponseSpec('Not an accepted type, an unreadable image or an unsafe SVG'),
        429: errorResponseSpec('Too many uploads; see Retry-After'),
      },
    }),
    async (c) => {
      const actor = identityOf(c)
      const query = c.req.valid('query')
      await takeRateLimit(c, UPLOADS, actor.userId, 'too many uploads; try again later')
      let body = c.req.raw.body
      const declared = c.req.header('content-length')
      let length = declared === undefined ? Number.NaN : Number(declared)
      if (body && declared === undefined) {
        // A body without Content-Length was already read by the router's limit (at most 5 MB).
        const bytes = new Uint8Array(await c.req.arrayBuffer())
        length = bytes.byteLength
        body = new Response(bytes).body
      }
      if (!body || !Number.isSafeInteger(length)) {
        throw new ApiError('validation_error', 'send the file as the request body')
      }
      const id = crypto.randomUUID()
      const key = mediaKey(actor.userId, id)
      const bucket = c.env.MEDIA_BUCKET
      const stored = await storeUpload(bucket, { key, body, length })
      try {
        const media = await recordUpload(nexus(c).db, {
          actor,
          id,
          stored,
          original_filename: query.filename,
          usage_context: query.usage_context,
        })
        return c.json(media, 201)
      } catch (error) {
        await bucket.delete(key)
        throw error
      }
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/',
      summary: 'Your uploads, newest first',
      request: { query: MediaListQuerySchema },
      responses: {
        200: jsonResponse(pageSchema(MediaSchema), 'A page of your media'),
        400: errorResponseSpec('Invalid limit or cursor'),
      },
    }),
    async (c) =>
      c.json(
        await listOwnMedia(nexus(c).db, { actor: identityOf(c), ...c.req.valid('query') }),
        200,
      ),
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}',
      summary: 'Media metadata (yours in any status; others only when approved)',
      request: { params: MediaIdParamSchema },
      responses: { 200: jsonResponse(MediaSchema, 'The media'), 404: notFound },
    }),
    async (c) => {
      const media = await getVisibleMedia(nexus(c).db, {
        actor: identityOf(c),
        id: c.req.valid('param').id,
      })
      return c.json(mediaResource(media), 200)
    },
  )
  .openapi(
    route({
      method: 'get',
      path: '/{id}/content',
      summary: 'The file itself',
      description:
        'Approved media is cacheable privately (ETag, Cache-Control max-age); pending or rejected media (its owner and moderators only) is not cached. `If-None-Match` answers 304; `Range: bytes=…` answers 206 (audio seeking).',
      request: { params: MediaIdParamSchema },
      responses: {
        200: {
          content: { '*/*': { schema: z.string().openapi({ format: 'binary' }) } },
          description: 'The bytes, with their stored Content-Type',
        },
        206: { description: 'The requested byte range' },
        304: { description: 'Not modified' },
        404: notFound,
      },
    }),
    async (c) => {
      const media = await getVisibleMedia(nexus(c).db, {
        actor: identityOf(c),
        id: c.req.valid('param').id,
      })
      const ranged = c.req.header('Range') !== undefined
      let object: R2Object | R2ObjectBody | null
      try {
        object = await c.env.MEDIA_BUCKET.get(media.filePath, {
          onlyIf: c.req.raw.headers,
          ...(ranged ? { range: c.req.raw.headers } : {}),
        })
      } catch {
        // R2 refuses a range it cannot serve (past the end, malformed).
        throw new ApiError('validation_error', 'the requested range cannot be served')
      }
      if (!object) {
        c.var.log.error('media object missing', { media_id: media.id })
        throw new ApiError('not_found', 'no media with that id')
      }
      const headers = new Headers()
      object.writeHttpMetadata(headers)
      headers.set('ETag', object.httpEtag)
      headers.set('X-Content-Type-Options', 'nosniff')
      headers.set(
        'Cache-Control',
        media.moderationStatus === 'approved'
          ? `private, max-age=${APPROVED_MAX_AGE_SECONDS}`
          : 'private, no-cache',
      )
      if (media.mediaType === 'svg')
        headers.set('Content-Security-Policy', SVG_CONTENT_SECURITY_POLICY)
      headers.set('Accept-Ranges', 'bytes')
      if (!('body' in object)) return new Response(null, { status: 304, headers })
      const range = ranged ? byteRange(object) : null
      if (range) {
        headers.set('Content-Range', `bytes ${range.start}-${range.end}/${object.size}`)
        headers.set('Content-Length', String(range.end - range.start + 1))
        return new Response(object.body, { status: 206, headers })
      }
      headers.set('Content-Length', String(object.size))
      return new Response(object.body, { status: 200, headers })
    },
  )
  .openapi(
    route({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete one of your uploads',
      request: { params: MediaIdParamSchema },
      responses: { 204: { description: 'Deleted' }, 404: notFound },
    }),
    async (c) => {
      const key = await deleteOwnMedia(nexus(c).db, {
        actor: identityOf(c),
        id: c.req.valid('param').id,
      })
      await c.env.MEDIA_BUCKET.delete(key)
      return c.body(null, 204)
    },
  )
