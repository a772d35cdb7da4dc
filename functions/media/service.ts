/**
 * Uploaded media (`user_uploaded_media`): rows and who may read them.
 *
 * A file is `pending` until a moderator approves it. Its owner always sees it (any status), as
 * do moderators and admins; anyone else sees only `approved`, not archived media of someone they
 * are not in a blocked pair with. Everything else is a 404, so nobody learns that another's
 * pending or rejected file exists. The bytes live in the `MEDIA_BUCKET` under `file_path`
 * (`media/<user id>/<media id>`).
 */
import { and, desc, eq } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { userUploadedMedia, type UserUploadedMedia } from '../../db/schema/nexus'
import { hasRole, type Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { blockBetween } from '../social/blocks'
import type { SvgRegion } from './svg'
import type { StoredMedia } from './upload'

/** The object key of a media file. */
export const mediaKey = (userId: string, mediaId: string) => `media/${userId}/${mediaId}`

/** A media row as the API answers it. */
export function mediaResource(m: UserUploadedMedia) {
  return {
    id: m.id,
    user_id: m.userId ?? null,
    media_type: m.mediaType as 'image' | 'audio' | 'video' | 'svg',
    mime_type: m.mimeType,
    file_size_bytes: m.fileSizeBytes,
    original_filename: m.originalFilename ?? null,
    width: m.width ?? null,
    height: m.height ?? null,
    duration_seconds: m.durationSeconds ?? null,
    svg_regions_count: m.svgRegionsCount ?? null,
    svg_region_mapping: (m.svgRegionMapping as Record<string, SvgRegion> | null) ?? null,
    usage_context: m.usageContext ?? null,
    content_rating: m.contentRating ?? null,
    moderation_status: (m.moderationStatus ?? 'pending') as
      'pending' | 'approved' | 'rejected' | 'flagged',
    uploaded_at: isoTimestamp(m.uploadedAt),
    reviewed_at: isoTimestamp(m.reviewedAt),
    content_url: `/v1/media/${m.id}/content`,
  }
}

/** Records a stored upload as the caller's pending media. */
export async function recordUpload(
  db: Db,
  input: {
    actor: Identity
    id: string
    stored: StoredMedia
    original_filename?: string
    usage_context?: string
  },
) {
  const { actor, id, stored } = input
  const [row] = await db
    .insert(userUploadedMedia)
    .values({
      id,
      userId: actor.userId,
      mediaType: stored.media_type,
      filePath: mediaKey(actor.userId, id),
      fileSizeBytes: stored.size_bytes,
      mimeType: stored.mime_type,
      originalFilename: input.original_filename ?? null,
      width: stored.width,
      height: stored.height,
      durationSeconds: stored.duration_seconds,
      svgRegionsCount: stored.svg?.regions_count ?? null,
      svgRegionMapping: stored.svg?.regions ?? null,
      usageContext: input.usage_context ?? null,
      moderationStatus: 'pending',
      uploadMetadata: {},
    })
    .returning()
  return mediaResource(row)
}

/** Whether `actor` may see `media` (see the file comment). */
async function maySee(db: Db, actor: Identity, media: UserUploadedMedia): Promise<boolean> {
  if (media.userId === actor.userId || hasRole(actor, 'moderator', 'admin')) return true
  if (media.moderationStatus !== 'approved' || media.isArchived) return false
  if (!media.userId) return true
  const block = await blockBetween(db, actor.userId, media.userId)
  return !block.byActor && !block.byOther
}

/** A media row the caller may see; 404 otherwise. */
export async function getVisibleMedia(db: Db, input: { actor: Identity; id: string }) {
  const [media] = await db
    .select()
    .from(userUploadedMedia)
    .where(eq(userUploadedMedia.id, input.id))
  if (!media || !(await maySee(db, input.actor, media))) {
    throw new ApiError('not_found', 'no media with that id')
  }
  return media
}

/** The caller's uploads, newest first. */
export async function listOwnMedia(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  const rows = await db
    .select({ row: userUploadedMedia, cursorT: cursorTimestamp(userUploadedMedia.uploadedAt) })
    .from(userUploadedMedia)
    .where(
      and(
        eq(userUploadedMedia.userId, input.actor.userId),
        afterTimestampId(userUploadedMedia.uploadedAt, userUploadedMedia.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(userUploadedMedia.uploadedAt), desc(userUploadedMedia.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => mediaResource(r.row),
    (r) => ({ t: r.cursorT, id: r.row.id }),
  )
}

/** Deletes the caller's own media row; answers its object key (the route deletes the bytes). */
export async function deleteOwnMedia(db: Db, input: { actor: Identity; id: string }) {
  const deleted = await db
    .delete(userUploadedMedia)
    .where(
      and(eq(userUploadedMedia.id, input.id), eq(userUploadedMedia.userId, input.actor.userId)),
    )
    .returning({ filePath: userUploadedMedia.filePath })
  if (deleted.length === 0) throw new ApiError('not_found', 'you have no media with that id')
  return deleted[0].filePath
}
