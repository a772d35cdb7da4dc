/**
 * Moderation tables (issue 15): the seed's planned `content_ratings` and `content_reports`, and
 * our `moderation_actions` (audit) and `user_sanctions` (current mute and ban). SQL in migration
 * 0041; decisions in db/README.md (74-77).
 */
import { sql } from 'drizzle-orm'
import {
  boolean,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'

/** A maturity rating of one piece of content by one user (official when a moderator's). */
export const contentRatings = pgTable(
  'content_ratings',
  {
    contentType: varchar('content_type', { length: 20 }).notNull(),
    contentId: uuid('content_id').notNull(),
    ratedBy: uuid('rated_by')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    rating: varchar('rating', { length: 2 }).notNull(),
    isOfficial: boolean('is_official').notNull().default(false),
    ratedAt: timestamptz('rated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'content_ratings_pkey', columns: [t.contentType, t.contentId, t.ratedBy] }),
    uniqueIndex('idx_content_ratings_one_official')
      .on(t.contentType, t.contentId)
      .where(sql`is_official`),
  ],
)

/** A player's report of a user, chat message, media, quest or companion. */
export const contentReports = pgTable(
  'content_reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    reporterId: uuid('reporter_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    targetType: varchar('target_type', { length: 20 }).notNull(),
    targetId: uuid('target_id').notNull(),
    targetUserId: uuid('target_user_id').references(() => users.id, { onDelete: 'set null' }),
    instanceId: uuid('instance_id'),
    reason: varchar('reason', { length: 30 }).notNull(),
    details: text('details'),
    context: jsonb('context').$type<Record<string, unknown>>().notNull().default({}),
    status: varchar('status', { length: 20 }).notNull().default('open'),
    resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    resolvedAt: timestamptz('resolved_at'),
    resolutionNote: text('resolution_note'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('idx_content_reports_one_open')
      .on(t.reporterId, t.targetType, t.targetId)
      .where(sql`status = 'open'`),
    index('idx_content_reports_queue').on(t.status, t.createdAt, t.id),
    index('idx_content_reports_target').on(t.targetType, t.targetId),
  ],
)

/** One moderator action (append-only audit). */
export const moderationActions = pgTable(
  'moderation_actions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    moderatorId: uuid('moderator_id').references(() => users.id, { onDelete: 'set null' }),
    action: varchar('action', { length: 30 }).notNull(),
    targetType: varchar('target_type', { length: 20 }).notNull(),
    targetId: uuid('target_id').notNull(),
    reportId: uuid('report_id').references(() => contentReports.id, { onDelete: 'set null' }),
    reason: text('reason').notNull(),
    expiresAt: timestamptz('expires_at'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('idx_moderation_actions_target').on(t.targetType, t.targetId, t.createdAt.desc()),
    index('idx_moderation_actions_time').on(t.createdAt.desc(), t.id.desc()),
  ],
)

/** A user's current mute and ban. */
export const userSanctions = pgTable('user_sanctions', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  mutedUntil: timestamptz('muted_until'),
  bannedAt: timestamptz('banned_at'),
  bannedUntil: timestamptz('banned_until'),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
})

/** A report row. */
export type ContentReport = typeof contentReports.$inferSelect
/** A moderation action row. */
export type ModerationAction = typeof moderationActions.$inferSelect
