/**
 * The token economy's audit trail: every token earned or spent.
 */
import { index, integer, jsonb, pgTable, text, uuid, varchar } from 'drizzle-orm/pg-core'
import { timestamptz } from '../columns'
import { users } from './users'

/** Token earnings (positive) and spending (negative), one row per movement. */
export const tokenTransactions = pgTable(
  'token_transactions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id').references(() => users.id),
    amount: integer('amount').notNull(),
    transactionType: varchar('transaction_type', { length: 50 }).notNull(),
    referenceId: uuid('reference_id'),
    description: text('description'),
    timestamp: timestamptz('timestamp').defaultNow(),
    metadata: jsonb('metadata').default({}),
  },
  (t) => [
    index('idx_token_transactions_user').on(t.userId),
    index('idx_token_transactions_type').on(t.transactionType),
    index('idx_token_transactions_timestamp').on(t.timestamp.desc().nullsFirst()),
  ],
)

/** A token transaction row. */
export type TokenTransaction = typeof tokenTransactions.$inferSelect
/** Values for inserting a token transaction. */
export type NewTokenTransaction = typeof tokenTransactions.$inferInsert
