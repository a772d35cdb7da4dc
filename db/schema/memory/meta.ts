/**
 * Memory database bookkeeping: key/value schema metadata.
 */
import { pgTable, text, varchar } from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'

/** Schema version and architecture notes as key/value pairs. */
export const schemaMetadata = pgTable('schema_metadata', {
  key: varchar('key', { length: 50 }).primaryKey(),
  value: text('value').notNull(),
  updatedAt: timestamptz('updated_at').defaultNow(),
})

/** A schema metadata row. */
export type SchemaMetadata = typeof schemaMetadata.$inferSelect
/** Values for inserting schema metadata. */
export type NewSchemaMetadata = typeof schemaMetadata.$inferInsert
