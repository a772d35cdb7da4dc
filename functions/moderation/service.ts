/**
 * Reports, ratings and moderator actions.
 *
 * - A report names its target (a user, a chat message, media, a quest, a companion) and keeps
 *   what the target was when reported (`context`), so the moderator sees the message even after
 *   it scrolled out of the room. A player reports only what they could see; one open report per
 *   reporter and target (the same report sent 30 times at once is one report).
 * - Ratings: players suggest a maturity rating; a moderator's `set_rating` is the official one
 *   (for media also its `content_rating`).
 * - Every moderator action is one transaction: the effect, the audit row in
 *   `moderation_actions`, and the report it resolves. Mutes and bans change `user_sanctions`; the
 *   route then tells the live rooms and the BanList object (see routes).
 */
import { and, asc, desc, eq, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
import {
  aiCompanions,
  chatMessages,
  contentRatings,
  contentReports,
  moderationActions,
  quests,
  refreshTokens,
  userUploadedMedia,
  users,
  type ContentReport,
  type ModerationAction,
} from '../../db/schema/nexus'
import type { ChatHistoryItem } from '../../durable-objects/instance-room/rpc'
import type { Identity } from '../lib/auth'
import { ApiError } from '../lib/errors'
import {
  afterTimestampId,
  cursorTimestamp,
  pageOf,
  type TimestampIdCursor,
} from '../lib/pagination'
import { isoTimestamp } from '../lib/time'
import { mediaResource } from '../media/service'
import type {
  ActionBody,
  RATED_CONTENT_TYPES,
  RATINGS,
  REPORT_REASONS,
  ReportTargetType,
} from './schemas'
import { changeSanctions, type SanctionState } from './sanctions'

type Rating = (typeof RATINGS)[number]
type RatedContentType = (typeof RATED_CONTENT_TYPES)[number]

/** A target as a report stores it. */
interface ResolvedTarget {
  targetUserId: string | null
  instanceId: string | null
  context: Record<string, unknown>
}

/** Looks up a chat message still only in its live room (the route passes the room gateway). */
export type LiveChatLookup = (
  instanceId: string,
  messageId: string,
) => Promise<ChatHistoryItem | null>

const notFound = (what: string) => new ApiError('not_found', `no ${what} with that id`)

/** Whether `userId` may see `instanceId` from the inside: its owner or one of its visitors. */
async function wasInInstance(db: Db, userId: string, instanceId: string): Promise<boolean> {
  const rows = await db.execute(sql`
    SELECT 1 FROM instances i WHERE i.id = ${instanceId}::uuid AND (i.owner_id = ${userId}::uuid
      OR EXISTS (SELECT 1 FROM instance_visitors v WHERE v.instance_id = i.id AND v.user_id = ${userId}::uuid))`)
  return rows.rows.length > 0
}

/**
 * The target of a report or rating as `actor` may see it; 404 when it does not exist or they
 * could not have seen it. Moderators see everything (`asModerator`).
 */
async function resolveTarget(
  db: Db,
  input: {
    actor: Identity
    type: ReportTargetType
    id: string
    instanceId?: string
    liveChat?: LiveChatLookup
    asModerator?: boolean
  },
): Promise<ResolvedTarget> {
  const me = input.actor.userId
  const seesAll = input.asModerator === true
  switch (input.type) {
    case 'user': {
      const [user] = await db
        .select({ id: users.id, username: users.username, displayName: users.displayName })
        .from(users)
        .where(eq(users.id, input.id))
      if (!user) throw notFound('user')
      return {
        targetUserId: user.id,
        instanceId: null,
        context: { username: user.username, display_name: user.displayName ?? null },
      }
    }
    case 'chat_message': {
      const [stored] = await db
        .select({
          senderId: chatMessages.senderId,
          instanceId: chatMessages.instanceId,
          content: chatMessages.content,
          messageType: chatMessages.messageType,
          sentAt: chatMessages.timestamp,
        })
        .from(chatMessages)
        .where(eq(chatMessages.id, input.id))
      let message: ResolvedTarget | null = null
      if (stored && stored.instanceId) {
        message = {
          targetUserId: stored.senderId,
          instanceId: stored.instanceId,
          context: {
            text: stored.content,
            message_type: stored.messageType,
            sent_at: isoTimestamp(stored.sentAt),
          },
        }
      } else if (input.instanceId && input.liveChat) {
        const live = await input.liveChat(input.instanceId, input.id)
        if (live) {
          message = {
            targetUserId: live.user_id,
            instanceId: input.instanceId,
            context: { text: live.text, message_type: live.message_type, sent_at: live.sent_at },
          }
        }
      }
      if (!message || !(seesAll || (await wasInInstance(db, me, message.instanceId!)))) {
        throw notFound('chat message')
      }
      const [sender] = message.targetUserId
        ? await db
            .select({ username: users.username })
            .from(users)
            .where(eq(users.id, message.targetUserId))
        : []
      message.context.sender_username = sender?.username ?? null
      return message
    }
    case 'media': {
      const [media] = await db
        .select()
        .from(userUploadedMedia)
        .where(eq(userUploadedMedia.id, input.id))
      const visible =
        media &&
        (seesAll ||
          media.userId === me ||
          (media.moderationStatus === 'approved' && !media.isArchived))
      if (!media || !visible) throw notFound('media')
      return {
        targetUserId: media.userId,
        instanceId: null,
        context: {
          media_type: media.mediaType,
          mime_type: media.mimeType,
          original_filename: media.originalFilename ?? null,
          moderation_status: media.moderationStatus,
        },
      }
    }
    case 'quest': {
      const [quest] = await db
        .select({
          creatorId: quests.creatorId,
          title: quests.title,
          status: quests.status,
          isPublic: quests.isPublic,
        })
        .from(quests)
        .where(eq(quests.id, input.id))
      const visible =
        quest &&
        (seesAll ||
          quest.creatorId === me ||
          (quest.isPublic !== false && quest.status !== 'hidden'))
      if (!quest || !visible) throw notFound('quest')
      return {
        targetUserId: quest.creatorId,
        instanceId: null,
        context: { title: quest.title, status: quest.status },
      }
    }
    case 'companion': {
      const [companion] = await db
        .select({ ownerId: aiCompanions.ownerId, name: aiCompanions.name })
        .from(aiCompanions)
        .where(eq(aiCompanions.id, input.id))
      if (!companion) throw notFound('companion')
      return {
        targetUserId: companion.ownerId,
        instanceId: null,
        context: { name: companion.name },
      }
    }
  }
}

const reportResource = (r: ContentReport) => ({
  id: r.id,
  target_type: r.targetType as ReportTargetType,
  target_id: r.targetId,
  reason: r.reason as (typeof REPORT_REASONS)[number],
  details: r.details ?? null,
  status: r.status as 'open' | 'actioned' | 'dismissed',
  created_at: isoTimestamp(r.createdAt),
  resolved_at: isoTimestamp(r.resolvedAt),
})

/** Files a report, or answers the caller's open report on the same target (`created: false`). */
export async function createReport(
  db: Db,
  input: {
    actor: Identity
    target_type: ReportTargetType
    target_id: string
    reason: string
    details?: string
    instance_id?: string
    liveChat?: LiveChatLookup
  },
) {
  const me = input.actor.userId
  if (input.target_type === 'user' && input.target_id === me) {
    throw new ApiError('validation_error', 'you cannot report yourself', [
      { path: ['target_id'], code: 'custom', message: 'must be another user' },
    ])
  }
  const target = await resolveTarget(db, {
    actor: input.actor,
    type: input.target_type,
    id: input.target_id,
    instanceId: input.instance_id,
    liveChat: input.liveChat,
  })
  return db.transaction(async (tx) => {
    const inserted = await tx.execute<{ id: string }>(sql`
      INSERT INTO content_reports (reporter_id, target_type, target_id, target_user_id, instance_id,
                                   reason, details, context)
      SELECT ${me}::uuid, ${input.target_type}, ${input.target_id}::uuid,
             (SELECT id FROM users WHERE id = ${target.targetUserId}::uuid),
             ${target.instanceId}::uuid, ${input.reason}, ${input.details ?? null},
             ${JSON.stringify(target.context)}::jsonb
      ON CONFLICT (reporter_id, target_type, target_id) WHERE status = 'open' DO NOTHING
      RETURNING id`)
    const created = inserted.rows.length > 0
    const [row] = await tx
      .select()
      .from(contentReports)
      .where(
        created
          ? eq(contentReports.id, inserted.rows[0].id)
          : and(
              eq(contentReports.reporterId, me),
              eq(contentReports.targetType, input.target_type),
              eq(contentReports.targetId, input.target_id),
              eq(contentReports.status, 'open'),
            ),
      )
    if (!row) throw new ApiError('conflict', 'the report changed meanwhile; try again')
    return { created, report: reportResource(row) }
  })
}

/** The caller's own reports, newest first. */
export async function listOwnReports(
  db: Db,
  input: { actor: Identity; limit: number; cursor?: TimestampIdCursor },
) {
  const rows = await db
    .select({ row: contentReports, cursorT: cursorTimestamp(contentReports.createdAt) })
    .from(contentReports)
    .where(
      and(
        eq(contentReports.reporterId, input.actor.userId),
        afterTimestampId(contentReports.createdAt, contentReports.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(contentReports.createdAt), desc(contentReports.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => reportResource(r.row),
    (r) => ({ t: r.cursorT, id: r.row.id }),
  )
}

/** Reports in the moderator queue: open ones oldest first, resolved ones newest first. */
export async function listReportQueue(
  db: Db,
  input: {
    status: 'open' | 'actioned' | 'dismissed'
    target_type?: ReportTargetType
    limit: number
    cursor?: TimestampIdCursor
  },
) {
  const order = input.status === 'open' ? 'asc' : 'desc'
  const rows = await queueRows(
    db,
    and(
      eq(contentReports.status, input.status),
      input.target_type ? eq(contentReports.targetType, input.target_type) : undefined,
      afterTimestampId(contentReports.createdAt, contentReports.id, input.cursor, order),
    )!,
    order,
    input.limit + 1,
  )
  return pageOf(rows, input.limit, queuedReport, (r) => ({ t: r.cursorT, id: r.report.id }))
}

/** One report with its context (moderators). */
export async function getQueuedReport(db: Db, input: { id: string }) {
  const [row] = await queueRows(db, eq(contentReports.id, input.id), 'asc', 1)
  if (!row) throw notFound('report')
  return queuedReport(row)
}

/** Rows of the queue; the subqueries name the outer table explicitly (drizzle leaves columns bare). */
async function queueRows(db: Db, where: SQL, order: 'asc' | 'desc', limit: number) {
  const reporter = sql`(SELECT json_build_object('id', u.id, 'username', u.username) FROM users u WHERE u.id = content_reports.reporter_id)`
  const targetUser = sql`(SELECT json_build_object('id', u.id, 'username', u.username) FROM users u WHERE u.id = content_reports.target_user_id)`
  const openOnTarget = sql<number>`(SELECT count(*)::int FROM content_reports o
    WHERE o.target_type = content_reports.target_type AND o.target_id = content_reports.target_id
      AND o.status = 'open')`
  const by = order === 'asc' ? asc : desc
  return db
    .select({
      report: contentReports,
      reporter: sql<{ id: string; username: string }>`${reporter}`,
      targetUser: sql<{ id: string; username: string } | null>`${targetUser}`,
      openOnTarget,
      cursorT: cursorTimestamp(contentReports.createdAt),
    })
    .from(contentReports)
    .where(where)
    .orderBy(by(contentReports.createdAt), by(contentReports.id))
    .limit(limit)
}

function queuedReport(row: Awaited<ReturnType<typeof queueRows>>[number]) {
  return {
    ...reportResource(row.report),
    reporter: row.reporter,
    target_user: row.targetUser,
    instance_id: row.report.instanceId ?? null,
    context: row.report.context,
    open_reports_on_target: row.openOnTarget,
    resolved_by: row.report.resolvedBy ?? null,
    resolution_note: row.report.resolutionNote ?? null,
  }
}

/** The ratings of one piece of content, with the caller's own. */
export async function ratingSummary(
  db: Db,
  input: { actor: Identity; content_type: RatedContentType; content_id: string },
) {
  await resolveTarget(db, { actor: input.actor, type: input.content_type, id: input.content_id })
  const rows = await db
    .select({
      rating: contentRatings.rating,
      isOfficial: contentRatings.isOfficial,
      ratedBy: contentRatings.ratedBy,
    })
    .from(contentRatings)
    .where(
      and(
        eq(contentRatings.contentType, input.content_type),
        eq(contentRatings.contentId, input.content_id),
      ),
    )
  const counts: Record<string, number> = {}
  for (const row of rows) if (!row.isOfficial) counts[row.rating] = (counts[row.rating] ?? 0) + 1
  return {
    content_type: input.content_type,
    content_id: input.content_id,
    official: (rows.find((r) => r.isOfficial)?.rating ?? null) as Rating | null,
    counts,
    mine: (rows.find((r) => r.ratedBy === input.actor.userId && !r.isOfficial)?.rating ??
      null) as Rating | null,
  }
}

/** Records (or changes) the caller's suggested rating. */
export async function rateContent(
  db: Db,
  input: { actor: Identity; content_type: RatedContentType; content_id: string; rating: Rating },
) {
  await resolveTarget(db, { actor: input.actor, type: input.content_type, id: input.content_id })
  await db
    .insert(contentRatings)
    .values({
      contentType: input.content_type,
      contentId: input.content_id,
      ratedBy: input.actor.userId,
      rating: input.rating,
    })
    .onConflictDoUpdate({
      target: [contentRatings.contentType, contentRatings.contentId, contentRatings.ratedBy],
      set: { rating: input.rating, ratedAt: sql`now()` },
      // A moderator's official row stays official; their own suggestion would be the same row.
      setWhere: sql`NOT ${contentRatings.isOfficial}`,
    })
  return ratingSummary(db, input)
}

const actionResource = (a: ModerationAction) => ({
  id: a.id,
  moderator_id: a.moderatorId ?? null,
  action: a.action,
  target_type: a.targetType,
  target_id: a.targetId,
  report_id: a.reportId ?? null,
  reason: a.reason,
  expires_at: isoTimestamp(a.expiresAt),
  details: a.details,
  created_at: isoTimestamp(a.createdAt),
})

/** What an action changed that the route must pass on (rooms, the ban list). */
export interface ActionEffects {
  /** A user whose sanctions changed, and their new state. */
  sanctions?: { user_id: string; state: SanctionState }
}

/** Runs one moderator action with its audit row and the report it resolves, in one transaction. */
export async function moderate(db: Db, input: { actor: Identity; body: ActionBody }) {
  const { actor, body } = input
  const moderatorId = actor.userId
  return db.transaction(async (tx) => {
    const effects: ActionEffects = {}
    let details: Record<string, unknown> = {}
    let expiresAt: Date | null = null
    let targetType: string
    let targetId: string
    switch (body.action) {
      case 'approve_media':
      case 'reject_media': {
        targetType = 'media'
        targetId = body.target_id
        const status = body.action === 'approve_media' ? 'approved' : 'rejected'
        const [before] = await tx
          .select({ status: userUploadedMedia.moderationStatus })
          .from(userUploadedMedia)
          .where(eq(userUploadedMedia.id, targetId))
          .for('update')
        if (!before) throw notFound('media')
        await tx
          .update(userUploadedMedia)
          .set({
            moderationStatus: status,
            humanReviewed: true,
            reviewedBy: moderatorId,
            reviewedAt: sql`now()`,
          })
          .where(eq(userUploadedMedia.id, targetId))
        details = { previous_status: before.status, status }
        break
      }
      case 'hide_quest':
      case 'unhide_quest': {
        targetType = 'quest'
        targetId = body.target_id
        const [quest] = await tx
          .select({ status: quests.status })
          .from(quests)
          .where(eq(quests.id, targetId))
          .for('update')
        if (!quest) throw notFound('quest')
        if (body.action === 'hide_quest') {
          if (quest.status === 'hidden')
            throw new ApiError('conflict', 'this quest is already hidden')
          await tx.update(quests).set({ status: 'hidden' }).where(eq(quests.id, targetId))
          details = { previous_status: quest.status }
        } else {
          if (quest.status !== 'hidden') throw new ApiError('conflict', 'this quest is not hidden')
          const [hidden] = await tx
            .select({ details: moderationActions.details })
            .from(moderationActions)
            .where(
              and(
                eq(moderationActions.action, 'hide_quest'),
                eq(moderationActions.targetId, targetId),
              ),
            )
            .orderBy(desc(moderationActions.createdAt))
            .limit(1)
          const restored = String(hidden?.details.previous_status ?? 'active')
          await tx.update(quests).set({ status: restored }).where(eq(quests.id, targetId))
          details = { restored_status: restored }
        }
        break
      }
      case 'mute':
      case 'unmute':
      case 'ban':
      case 'unban': {
        targetType = 'user'
        targetId = body.target_id
        if (targetId === moderatorId) {
          throw new ApiError('validation_error', 'you cannot sanction yourself', [
            { path: ['target_id'], code: 'custom', message: 'must be another user' },
          ])
        }
        const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, targetId))
        if (!user) throw notFound('user')
        const seconds = 'duration_seconds' in body ? body.duration_seconds : undefined
        const until = seconds === undefined ? null : new Date(Date.now() + seconds * 1000)
        const change =
          body.action === 'mute'
            ? { mute: until }
            : body.action === 'unmute'
              ? { mute: null }
              : body.action === 'ban'
                ? { ban: { until } }
                : { ban: null }
        const state = await changeSanctions(tx, targetId, change)
        if (body.action === 'ban') {
          // Refresh tokens die with the ban; access tokens are refused at the door (lib/bans.ts).
          await tx
            .update(refreshTokens)
            .set({ revokedAt: sql`now()` })
            .where(and(eq(refreshTokens.userId, targetId), sql`${refreshTokens.revokedAt} IS NULL`))
        }
        expiresAt = body.action === 'mute' || body.action === 'ban' ? until : null
        details = { permanent: body.action === 'ban' && until === null }
        effects.sanctions = { user_id: targetId, state }
        break
      }
      case 'set_rating': {
        targetType = body.content_type
        targetId = body.target_id
        await resolveTarget(tx, { actor, type: body.content_type, id: targetId, asModerator: true })
        const [previous] = await tx
          .delete(contentRatings)
          .where(
            and(
              eq(contentRatings.contentType, body.content_type),
              eq(contentRatings.contentId, targetId),
              eq(contentRatings.isOfficial, true),
            ),
          )
          .returning({ rating: contentRatings.rating })
        await tx
          .insert(contentRatings)
          .values({
            contentType: body.content_type,
            contentId: targetId,
            ratedBy: moderatorId,
            rating: body.rating,
            isOfficial: true,
          })
          .onConflictDoUpdate({
            target: [contentRatings.contentType, contentRatings.contentId, contentRatings.ratedBy],
            set: { rating: body.rating, isOfficial: true, ratedAt: sql`now()` },
          })
        if (body.content_type === 'media') {
          await tx
            .update(userUploadedMedia)
            .set({ contentRating: body.rating })
            .where(eq(userUploadedMedia.id, targetId))
        }
        details = { rating: body.rating, previous_rating: previous?.rating ?? null }
        break
      }
      case 'dismiss_report': {
        targetType = 'report'
        targetId = body.report_id
        break
      }
    }
    if (body.report_id) {
      const resolved = await tx
        .update(contentReports)
        .set({
          status: body.action === 'dismiss_report' ? 'dismissed' : 'actioned',
          resolvedBy: moderatorId,
          resolvedAt: sql`now()`,
          resolutionNote: body.reason,
        })
        .where(and(eq(contentReports.id, body.report_id), eq(contentReports.status, 'open')))
        .returning({ id: contentReports.id })
      if (resolved.length === 0) {
        const [exists] = await tx
          .select({ id: contentReports.id })
          .from(contentReports)
          .where(eq(contentReports.id, body.report_id))
        if (!exists) throw notFound('report')
        throw new ApiError('conflict', 'this report is already resolved')
      }
    }
    const [audit] = await tx
      .insert(moderationActions)
      .values({
        moderatorId,
        action: body.action,
        targetType,
        targetId,
        reportId: body.report_id ?? null,
        reason: body.reason,
        expiresAt,
        details,
      })
      .returning()
    return { action: actionResource(audit), effects }
  })
}

/** The audit log, newest first, optionally for one target. */
export async function listActions(
  db: Db,
  input: { target_id?: string; limit: number; cursor?: TimestampIdCursor },
) {
  const rows = await db
    .select({ row: moderationActions, cursorT: cursorTimestamp(moderationActions.createdAt) })
    .from(moderationActions)
    .where(
      and(
        input.target_id ? eq(moderationActions.targetId, input.target_id) : undefined,
        afterTimestampId(moderationActions.createdAt, moderationActions.id, input.cursor, 'desc'),
      ),
    )
    .orderBy(desc(moderationActions.createdAt), desc(moderationActions.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => actionResource(r.row),
    (r) => ({ t: r.cursorT, id: r.row.id }),
  )
}

/** Uploads by moderation status: pending ones oldest first, the others newest first. */
export async function listMediaQueue(
  db: Db,
  input: {
    status: 'pending' | 'approved' | 'rejected' | 'flagged'
    limit: number
    cursor?: TimestampIdCursor
  },
) {
  const order = input.status === 'pending' ? 'asc' : 'desc'
  const by = order === 'asc' ? asc : desc
  const rows = await db
    .select({
      media: userUploadedMedia,
      uploader: sql<{
        id: string
        username: string
      } | null>`(SELECT json_build_object('id', u.id, 'username', u.username) FROM users u WHERE u.id = user_uploaded_media.user_id)`,
      cursorT: cursorTimestamp(userUploadedMedia.uploadedAt),
    })
    .from(userUploadedMedia)
    .where(
      and(
        eq(userUploadedMedia.moderationStatus, input.status),
        afterTimestampId(userUploadedMedia.uploadedAt, userUploadedMedia.id, input.cursor, order),
      ),
    )
    .orderBy(by(userUploadedMedia.uploadedAt), by(userUploadedMedia.id))
    .limit(input.limit + 1)
  return pageOf(
    rows,
    input.limit,
    (r) => ({ ...mediaResource(r.media), uploader: r.uploader }),
    (r) => ({ t: r.cursorT, id: r.media.id }),
  )
}
