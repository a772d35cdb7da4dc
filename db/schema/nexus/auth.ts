/**
 * Built-in accounts (the seeds' "tier 1 auth"): password credentials kept apart from `users`,
 * rotating refresh tokens stored hashed, and failed logins for rate limiting.
 */
import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'

/** One password per built-in account; never part of `users`, never returned by the API. */
export const userCredentials = pgTable('user_credentials', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  passwordHash: text('password_hash').notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
})

/**
 * Refresh tokens, by SHA-256 hash. Each refresh rotates the token within its family; presenting a
 * rotated token again revokes the whole family (token theft detection).
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    familyId: uuid('family_id').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at').notNull(),
    rotatedAt: timestamptz('rotated_at'),
    revokedAt: timestamptz('revoked_at'),
  },
  (t) => [
    index('idx_refresh_tokens_family').on(t.familyId),
    index('idx_refresh_tokens_user').on(t.userId),
  ],
)

/** A refresh token row. */
export type RefreshToken = typeof refreshTokens.$inferSelect
