/**
 * Idempotency keys of money-moving requests: written in the same transaction as the effect, so a
 * replay returns the stored response and a key can never apply twice.
 */
import { integer, pgTable, primaryKey, text, uuid, index } from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'

/** One row per (caller, key): the request's hash and the response it produced. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** SHA-256 of method, path and body: the same key with another request is refused. */
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    /** The response body exactly as first sent (text, so a replay is byte-identical). */
    responseBody: text('response_body').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.key] }),
    index('idx_idempotency_keys_expires').on(t.expiresAt),
  ],
)
