/**
 * Database bookkeeping: the seed's schema version records and the leaderboard refresh clock.
 */
import { pgTable, text } from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'

/** Schema version records (the seed's history of the production database). */
export const schemaVersion = pgTable('schema_version', {
  version: text('version').primaryKey(),
  appliedAt: timestamptz('applied_at').defaultNow(),
  description: text('description'),
  migrationFile: text('migration_file'),
})

/** When each materialized view was last refreshed (rate limit of the leaderboard refresh). */
export const materializedViewRefreshes = pgTable('materialized_view_refreshes', {
  viewName: text('view_name').primaryKey(),
  refreshedAt: timestamptz('refreshed_at').notNull(),
})

/** A schema version row. */
export type SchemaVersion = typeof schemaVersion.$inferSelect
/** Values for inserting a schema version row. */
export type NewSchemaVersion = typeof schemaVersion.$inferInsert
/** A refresh clock row. */
export type MaterializedViewRefresh = typeof materializedViewRefreshes.$inferSelect
