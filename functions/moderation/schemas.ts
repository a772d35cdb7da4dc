/** Moderation representations: reports, ratings, the moderator queue and actions. */
import { z } from '@hono/zod-openapi'
import { idSchema } from '../lib/ids'
import { TimestampIdPageQuerySchema } from '../lib/pagination'
import { labelText } from '../social/schemas'

/** What can be reported. */
export const REPORT_TARGET_TYPES = ['user', 'chat_message', 'media', 'quest', 'companion'] as const
export type ReportTargetType = (typeof REPORT_TARGET_TYPES)[number]
/** Why. */
export const REPORT_REASONS = [
  'spam',
  'harassment',
  'hate',
  'sexual',
  'violence',
  'self_harm',
  'cheating',
  'impersonation',
  'other',
] as const
/** Maturity ratings: all ages, parental guidance (the seed's default), teen, mature, adults only. */
export const RATINGS = ['G', 'PG', 'T', 'M', 'AO'] as const
/** What can be rated. */
export const RATED_CONTENT_TYPES = ['media', 'quest', 'companion'] as const
/** Longest mute (30 days) and ban with an end (10 years; leave it out for a permanent ban). */
export const MAX_MUTE_SECONDS = 30 * 86_400
export const MAX_BAN_SECONDS = 10 * 365 * 86_400

const detailsText = z
  .string()
  .trim()
  .max(1000)
  .refine((t) => !t.includes('\u0000'), { error: 'must not contain a NUL character' })

export const CreateReportBodySchema = z
  .strictObject({
    target_type: z.enum(REPORT_TARGET_TYPES),
    target_id: idSchema('target_id'),
    reason: z.enum(REPORT_REASONS),
    details: detailsText.optional(),
    /** For a chat message still only in its live room: the instance it was sent in. */
    instance_id: idSchema('instance_id').optional(),
  })
  .openapi('CreateReportBody')

const ReportStatusSchema = z.enum(['open', 'actioned', 'dismissed'])

/** A report as its reporter sees it. */
export const ReportSchema = z
  .object({
    id: z.uuid(),
    target_type: z.enum(REPORT_TARGET_TYPES),
    target_id: z.uuid(),
    reason: z.enum(REPORT_REASONS),
    details: z.string().nullable(),
    status: ReportStatusSchema,
    created_at: z.string().nullable(),
    resolved_at: z.string().nullable(),
  })
  .openapi('Report')

/** A report in the moderator queue: with what was reported, as it was, and who it concerns. */
export const QueuedReportSchema = ReportSchema.extend({
  reporter: z.object({ id: z.uuid(), username: z.string() }),
  target_user: z.object({ id: z.uuid(), username: z.string() }).nullable(),
  instance_id: z.uuid().nullable(),
  context: z.record(z.string(), z.unknown()),
  /** Open reports on the same target (this one included). */
  open_reports_on_target: z.number().int(),
  resolved_by: z.uuid().nullable(),
  resolution_note: z.string().nullable(),
}).openapi('QueuedReport')

export const ReportQueueQuerySchema = TimestampIdPageQuerySchema.extend({
  status: ReportStatusSchema.default('open'),
  target_type: z.enum(REPORT_TARGET_TYPES).optional(),
})

export const ReportIdParamSchema = z.object({ id: idSchema('id') })

export const RatingParamSchema = z.object({
  content_type: z.enum(RATED_CONTENT_TYPES),
  content_id: idSchema('content_id'),
})

export const RateBodySchema = z.strictObject({ rating: z.enum(RATINGS) }).openapi('RateBody')

export const RatingSummarySchema = z
  .object({
    content_type: z.enum(RATED_CONTENT_TYPES),
    content_id: z.uuid(),
    /** The moderators' rating, when one was set. */
    official: z.enum(RATINGS).nullable(),
    /** Players' ratings by value. */
    counts: z.record(z.string(), z.number().int()),
    /** Your own rating. */
    mine: z.enum(RATINGS).nullable(),
  })
  .openapi('RatingSummary')

const reason = labelText(500)
const reportId = idSchema('report_id').optional()

/** One moderator action; `report_id` resolves that report with it. */
export const ActionBodySchema = z
  .discriminatedUnion('action', [
    z.strictObject({
      action: z.literal('approve_media'),
      target_id: idSchema('target_id'),
      reason,
      report_id: reportId,
    }),
    z.strictObject({
      action: z.literal('reject_media'),
      target_id: idSchema('target_id'),
      reason,
      report_id: reportId,
    }),
    z.strictObject({
      action: z.literal('hide_quest'),
      target_id: idSchema('target_id'),
      reason,
      report_id: reportId,
    }),
    z.strictObject({
      action: z.literal('unhide_quest'),
      target_id: idSchema('target_id'),
      reason,
      report_id: reportId,
    }),
    z.strictObject({
      action: z.literal('mute'),
      target_id: idSchema('target_id'),
      duration_seconds: z.int().min(60).max(MAX_MUTE_SECONDS),
      reason,
      report_id: reportId,
    }),
    z.strictObject({
      action: z.literal('unmute'),
      target_id: idSchema('target_id'),
      reason,
      report_id: reportId,
    }),
    z.strictObject({
      action: z.literal('ban'),
      target_id: idSchema('target_id'),
      /** Leave out for a permanent ban. */
      duration_seconds: z.int().min(60).max(MAX_BAN_SECONDS).optional(),
      reason,
      report_id: reportId,
    }),
    z.strictObject({
      action: z.literal('unban'),
      target_id: idSchema('target_id'),
      reason,
      report_id: reportId,
    }),
    z.strictObject({
      action: z.literal('set_rating'),
      content_type: z.enum(RATED_CONTENT_TYPES),
      target_id: idSchema('target_id'),
      rating: z.enum(RATINGS),
      reason,
      report_id: reportId,
    }),
    z.strictObject({
      action: z.literal('dismiss_report'),
      report_id: idSchema('report_id'),
      reason,
    }),
  ])
  .openapi('ModerationActionBody')

export type ActionBody = z.infer<typeof ActionBodySchema>

export const ModerationActionSchema = z
  .object({
    id: z.uuid(),
    moderator_id: z.uuid().nullable(),
    action: z.string(),
    target_type: z.string(),
    target_id: z.uuid(),
    report_id: z.uuid().nullable(),
    reason: z.string(),
    expires_at: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    created_at: z.string().nullable(),
  })
  .openapi('ModerationAction')

export const ActionsQuerySchema = TimestampIdPageQuerySchema.extend({
  target_id: idSchema('target_id').optional(),
})

export const MediaQueueQuerySchema = TimestampIdPageQuerySchema.extend({
  status: z.enum(['pending', 'approved', 'rejected', 'flagged']).default('pending'),
})
